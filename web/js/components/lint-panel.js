// The lint findings of the document being edited, refreshed as the user types (debounced).
import { html } from '../lib.js';
import { Finding } from './findings.js';
import { ErrorNote } from './ui.js';

export function LintPanel({ lint, onLine }) {
  const issues = lint.result?.issues || [];
  const summary = lint.result
    ? `${lint.result.errors} error${lint.result.errors === 1 ? '' : 's'}, ${lint.result.warnings} warning${lint.result.warnings === 1 ? '' : 's'}`
    : 'not run yet';
  return html`<aside class="lint" aria-labelledby="lint-h">
    <h2 id="lint-h">Lint</h2>
    <p role="status" aria-live="polite" class="lint-summary">${lint.busy ? 'Linting…' : `Lint: ${summary}`}</p>
    <${ErrorNote} error=${lint.error} title="Could not lint" />
    ${issues.length > 0 && html`<ul class="findings">${issues.map((issue) => html`<li class="finding-row">
      <ul class="plain"><${Finding} issue=${issue} /></ul>
      <span class="path"><code>${issue.path || '(the document)'}</code>${issue.line && onLine
        ? html` <button type="button" class="btn link" onClick=${() => onLine(issue.line)}>line ${issue.line}</button>` : ''}</span></li>`)}</ul>`}
  </aside>`;
}
