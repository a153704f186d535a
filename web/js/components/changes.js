// A list of plan changes in Karapace's vocabulary, each with its category in words, symbol and colour.
import { html } from '../lib.js';
import { Badge } from './ui.js';

export const CATEGORY = {
  additive: { tone: 'good', symbol: '+', text: 'additive' },
  revision: { tone: 'warn', symbol: '~', text: 'revision' },
  breaking: { tone: 'bad', symbol: '✕', text: 'breaking' },
};

export function CategoryBadge({ category }) {
  const c = CATEGORY[category] || { tone: 'neutral', symbol: '', text: category || 'none' };
  return html`<${Badge} tone=${c.tone} symbol=${c.symbol}>${c.text}<//>`;
}

const show = (v) => (v === undefined || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v));

export function ChangesTable({ changes, caption }) {
  if (!changes?.length) return html`<p class="state empty">No changes.</p>`;
  return html`<table class="grid changes">
    <caption>${caption || `${changes.length} change${changes.length > 1 ? 's' : ''}`}</caption>
    <thead><tr><th scope="col">Category</th><th scope="col">Change</th><th scope="col">Where</th><th scope="col">What</th><th scope="col">Before → after</th></tr></thead>
    <tbody>${changes.map((c) => html`<tr class=${`change ${c.category}`}>
      <td><${CategoryBadge} category=${c.category} /></td>
      <td><code>${c.kind}</code></td>
      <td><code>${c.path}</code></td>
      <td>${c.message}</td>
      <td>${(c.old !== undefined && c.old !== null) || (c.new !== undefined && c.new !== null) ? html`<code>${show(c.old) || '—'}</code> → <code>${show(c.new) || '—'}</code>` : ''}</td>
    </tr>`)}</tbody>
  </table>`;
}
