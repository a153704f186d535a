// A payload pretty-printed, with the violating path highlighted (a mark and the words "violation
// here", never colour alone). Paths are the violations' field paths: properties.total, items[0].sku.
import { html } from '../lib.js';

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

export function JsonView({ value, highlight, label = 'Payload' }) {
  const target = splitPath(highlight);
  const out = [];
  lines(value, [], 0, null, out, true);
  const hit = (p) => target.length > 0 && p.length === target.length && p.every((s, i) => s === target[i]);
  const found = out.some((l) => hit(l.path));
  return html`<figure class="json-view">
    <figcaption>${label}${target.length ? html` — violating path <code>${highlight}</code>${found ? '' : ' (absent from the payload)'}` : ''}</figcaption>
    <pre class="json" tabindex="0">${out.map((l) => (hit(l.path) && !l.closing
      ? html`<mark class="hit">${l.text}</mark><span class="hit-note"> ← violation here</span>\n`
      : `${l.text}\n`))}</pre>
  </figure>`;
}
