// The YAML tab: the whole draft as text (a plain textarea, no bundler needed). A finding's line
// button selects that line here.
import { html, useEffect, useRef } from '../lib.js';

export function selectLine(textarea, line) {
  const lines = textarea.value.split('\n');
  const start = lines.slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0);
  const end = start + (lines[line - 1] || '').length;
  textarea.focus();
  textarea.setSelectionRange(start, end);
  const lineHeight = textarea.scrollHeight / Math.max(lines.length, 1);
  textarea.scrollTop = Math.max(0, (line - 5) * lineHeight);
}

export function YamlEditor({ text, onInput, line, parseError }) {
  const area = useRef(null);
  useEffect(() => { if (line?.n && area.current) selectLine(area.current, line.n); }, [line]);
  return html`<div class="field yaml">
    <label for="yaml-text">The draft as YAML</label>
    <textarea id="yaml-text" ref=${area} class="mono" rows="28" spellcheck="false" value=${text}
      onInput=${(e) => onInput(e.target.value)} aria-invalid=${parseError ? 'true' : undefined}
      aria-describedby=${parseError ? 'yaml-err' : 'yaml-hint'}></textarea>
    ${parseError ? html`<p id="yaml-err" class="field-error" role="alert">Not valid YAML: ${parseError}</p>`
      : html`<p id="yaml-hint" class="hint">Saved as YAML through the draft API; anchors and merge keys are expanded on save.</p>`}
  </div>`;
}
