// "Showing 51–100 of 3,000" with previous/next, for every list the API paginates.
import { html } from '../lib.js';

export function Pager({ count, limit, offset, onOffset, label = 'Pages' }) {
  if (!count || (count <= limit && offset === 0)) return null;
  const first = offset + 1;
  const last = Math.min(offset + limit, count);
  return html`<nav class="pager" aria-label=${label}>
    <button type="button" class="btn small" disabled=${offset === 0} onClick=${() => onOffset(Math.max(0, offset - limit))}>Previous</button>
    <span class="pager-status" aria-live="polite">Showing ${first.toLocaleString()}–${last.toLocaleString()} of ${count.toLocaleString()}</span>
    <button type="button" class="btn small" disabled=${last >= count} onClick=${() => onOffset(offset + limit)}>Next</button>
  </nav>`;
}
