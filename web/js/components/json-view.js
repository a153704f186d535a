// A payload pretty-printed, with the violating path highlighted (a mark and the words "violation
// here", never colour alone). Paths are the violations' field paths: properties.total, items[0].sku.
import { html } from '../lib.js';

const NEWLINE = '\n'; // an expression: htm drops a literal newline at the end of a template

function splitPath(path) {
  return String(path || '').split(/\.|\[(\d+)\]/).filter((p) => p !== undefined && p !== '');
}

function lines(value, path, indent, key, out, last) {
  const pad = '  '.repeat(indent);
  const label = key === null ? '' : `${JSON.stringify(key)}: `;
  const comma = last ? '' : ',';
  if (value && typeof value === 'object') {
    const entries = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
    const [open, close] = Array.isArray(value) ? ['[', ']'] : ['{', '}'];
    if (!entries.length) { out.push({ text: `${pad}${label}${open}${close}${comma}`, path }); return; }
    out.push({ text: `${pad}${label}${open}`, path });
    entries.forEach(([k, v], i) => lines(v, [...path, String(k)], indent + 1, Array.isArray(value) ? null : k, out, i === entries.length - 1));
    out.push({ text: `${pad}${close}${comma}`, path, closing: true });
    return;
  }
  out.push({ text: `${pad}${label}${JSON.stringify(value)}${comma}`, path });
}

// `highlight`: one violating path, or a list of them (a quarantined event's violations).
export function JsonView({ value, highlight, label = 'Payload' }) {
  const paths = [].concat(highlight ?? []).filter(Boolean).map(String);
  const targets = paths.map(splitPath);
  const out = [];
  lines(value, [], 0, null, out, true);
  const hit = (p) => targets.some((t) => t.length > 0 && p.length === t.length && p.every((s, i) => s === t[i]));
  const absent = paths.filter((path, i) => !out.some((l) => l.path.length === targets[i].length && l.path.every((s, j) => s === targets[i][j])));
  const named = paths.length === 1 ? html` — violating path <code>${paths[0]}</code>`
    : paths.length > 1 ? html` — violating paths ${paths.map((p, i) => html`${i ? ', ' : ''}<code>${p}</code>`)}` : '';
  return html`<figure class="json-view">
    <figcaption>${label}${named}${absent.length ? ` (${absent.length === paths.length && paths.length === 1 ? 'absent from the payload' : `absent: ${absent.join(', ')}`})` : ''}</figcaption>
    <pre class="json" tabindex="0">${out.map((l) => (hit(l.path) && !l.closing
      ? html`<mark class="hit">${l.text}</mark><span class="hit-note"> ← violation here</span>${NEWLINE}`
      : `${l.text}\n`))}</pre>
  </figure>`;
}
