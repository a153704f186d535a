// Small shared pieces: loading, empty and error states, buttons that know the role, status text.
import { html, useState } from '../lib.js';
import { denied, useMe } from '../session.js';

let uid = 0;
export const nextId = (prefix = 'id') => `${prefix}-${++uid}`;

export function Loading({ what = 'Loading' }) {
  return html`<p class="state loading" role="status" aria-live="polite"><span class="spinner" aria-hidden="true"></span>${what}…</p>`;
}

export function Empty({ children }) {
  return html`<p class="state empty">${children}</p>`;
}

function detailLines(details) {
  if (!details) return [];
  if (Array.isArray(details)) {
    return details.map((d) => (typeof d === 'object' ? [d.path, d.message || d.change || JSON.stringify(d)]
      .filter(Boolean).join(': ') : String(d)));
  }
  if (Array.isArray(details.changes)) return details.changes.map((c) => `${c.kind}: ${c.path || ''} — ${c.message || ''}`);
  return [];
}

// The API's error as the API said it: its code and message (and the paths of its details).
export function ErrorNote({ error, title = 'Something went wrong' }) {
  if (!error) return null;
  const lines = detailLines(error.details);
  return html`<div class="note error" role="alert">
    <p><strong>${title}:</strong> <code class="code">${error.code || 'error'}</code> ${error.message}</p>
    ${lines.length > 0 && html`<ul>${lines.slice(0, 20).map((line) => html`<li>${line}</li>`)}</ul>`}
  </div>`;
}

// A button for an action that needs `need` (viewer | editor | admin). Without the role it stays
// focusable but aria-disabled, with the reason on hover (title) and for screen readers.
export function ActionButton({ need = 'viewer', onClick, children, busy, disabled, reason, kind = '', ...rest }) {
  const me = useMe();
  const why = denied(me, need) || (disabled ? reason || null : null);
  const [descId] = useState(() => nextId('why'));
  const off = Boolean(why) || Boolean(busy) || Boolean(disabled);
  const click = (event) => {
    if (off) { event.preventDefault(); return; }
    onClick?.(event);
  };
  return html`<button type=${rest.type || 'button'} class=${`btn ${kind}`} aria-disabled=${off ? 'true' : undefined}
      title=${why || undefined} aria-describedby=${why ? descId : undefined} onClick=${click} ...${rest}>
    ${busy ? html`<span class="spinner" aria-hidden="true"></span>` : null}${children}
  </button>${why && html`<span id=${descId} class="visually-hidden">${why}</span>`}`;
}

// A word and a symbol for each kind of status, so colour is never the only signal.
export function Badge({ tone = 'neutral', children, symbol }) {
  const mark = symbol ?? { good: '✓', bad: '✕', warn: '!', info: 'i', neutral: '' }[tone];
  return html`<span class=${`badge ${tone}`}>${mark && html`<span aria-hidden="true">${mark} </span>`}${children}</span>`;
}

export function formatTime(value) {
  if (!value) return '—';
  const text = /[zZ]|[+-]\d\d:?\d\d$/.test(value) ? value : `${value}Z`; // naive times are UTC
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? value : date.toLocaleString();
}

export function formatNumber(value) {
  return value === null || value === undefined ? '—' : Number(value).toLocaleString();
}

export function CopyButton({ text, label = 'Copy' }) {
  const [done, setDone] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setDone(true);
    } catch {
      setDone(false);
    }
  };
  return html`<button type="button" class="btn small" onClick=${copy}>${done ? 'Copied' : label}</button>
    <span class="visually-hidden" role="status">${done ? 'Copied to the clipboard' : ''}</span>`;
}
