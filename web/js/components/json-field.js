// A textarea holding one JSON value: it reports the parsed value (undefined when empty) and says
// when the text is not JSON instead of dropping it.
import { html, useState } from '../lib.js';
import { Findings } from './findings.js';

export function JsonField({ id, label, value, onChange, path, rows = 1 }) {
  const [text, setText] = useState(value === undefined || value === null ? '' : JSON.stringify(value, null, rows > 1 ? 2 : 0));
  const [bad, setBad] = useState(null);
  const input = (e) => {
    const next = e.target.value;
    setText(next);
    if (!next.trim()) { setBad(null); onChange(undefined); return; }
    try { onChange(JSON.parse(next)); setBad(null); } catch (err) { setBad(err.message); }
  };
  const errId = `${id}-err`;
  return html`<div class="field">
    <label for=${id}>${label}</label>
    ${rows > 1 ? html`<textarea id=${id} rows=${rows} class="mono" value=${text} onInput=${input} aria-invalid=${bad ? 'true' : undefined} aria-describedby=${bad ? errId : undefined}></textarea>`
      : html`<input id=${id} class="mono" value=${text} onInput=${input} aria-invalid=${bad ? 'true' : undefined} aria-describedby=${bad ? errId : undefined} />`}
    ${bad && html`<p id=${errId} class="field-error">Not JSON yet: ${bad}</p>`}
    ${path && html`<${Findings} path=${path} />`}
  </div>`;
}
