// A 412 on save: someone changed the draft since it was read. Say who and when, and offer to
// reload theirs, to compare it with mine, or to save mine over it.
import { api, enc } from '../api.js';
import { html, useState } from '../lib.js';
import { sameJson } from '../plan-doc.js';
import { ActionButton, ErrorNote, formatTime } from './ui.js';

function differences(mine, theirs) {
  const out = [];
  const keys = new Set([...Object.keys(mine || {}), ...Object.keys(theirs || {})]);
  for (const key of keys) {
    if (key === 'events') continue;
    if (!sameJson(mine?.[key], theirs?.[key])) out.push({ what: key, mine: mine?.[key], theirs: theirs?.[key] });
  }
  const events = new Set([...Object.keys(mine?.events || {}), ...Object.keys(theirs?.events || {})]);
  for (const name of events) {
    const a = mine?.events?.[name];
    const b = theirs?.events?.[name];
    if (!sameJson(a, b)) out.push({ what: `event “${name}”`, mine: a, theirs: b });
  }
  return out;
}

const show = (value) => (value === undefined ? '(absent)' : JSON.stringify(value, null, 2));

export function Conflict({ plan, error, mine, onReload, onOverwrite }) {
  const [compare, setCompare] = useState(null);
  const [failed, setFailed] = useState(null);
  const d = error.details || {};
  const who = d.changed_by_name ? `${d.changed_by_name} (${d.changed_by})` : d.changed_by || 'someone';
  const loadCompare = async () => {
    try {
      setCompare(differences(mine, await api.get(`/plans/${enc(plan)}/draft`)));
    } catch (err) { setFailed(err); }
  };
  return html`<div class="note error conflict" role="alert">
    <p><strong>Not saved: the draft changed since you opened it.</strong> <code class="code">${error.code}</code>
      Changed by <strong>${who}</strong>${d.changed_at ? ` at ${formatTime(d.changed_at)}` : ''}${d.action ? ` (${d.action})` : ''}.</p>
    <p class="actions">
      <button type="button" class="btn" onClick=${onReload}>Reload their draft (discard my changes)</button>
      <button type="button" class="btn" onClick=${loadCompare}>Compare with mine</button>
      <${ActionButton} need="editor" onClick=${() => onOverwrite(d.etag)}>Save mine over theirs<//>
    </p>
    <${ErrorNote} error=${failed} title="Could not load their draft" />
    ${compare && html`<section aria-label="Differences between my draft and theirs">
      ${compare.length === 0 ? html`<p>No difference: their change and yours are the same.</p>` : html`<table class="grid compare">
        <caption>${compare.length} difference${compare.length > 1 ? 's' : ''}</caption>
        <thead><tr><th scope="col">What</th><th scope="col">Mine</th><th scope="col">Theirs</th></tr></thead>
        <tbody>${compare.map((c) => html`<tr><th scope="row">${c.what}</th><td><pre>${show(c.mine)}</pre></td><td><pre>${show(c.theirs)}</pre></td></tr>`)}</tbody>
      </table>`}
    </section>`}
  </div>`;
}
