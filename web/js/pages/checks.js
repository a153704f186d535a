// The data-quality checks: kind, scope, state and last run of each; run now; create one from a
// registered kind (its parameters in a form generated from the kind's JSON Schema).
import { api, enc } from '../api.js';
import { html, useEffect, useState } from '../lib.js';
import { useLoad } from '../data.js';
import { CheckForm } from '../components/check-form.js';
import { SourceSelect, useSources } from '../components/filters.js';
import { setTitle } from '../components/layout.js';
import { Pager } from '../components/pager.js';
import { ActionButton, Badge, Empty, ErrorNote, Loading, formatNumber, formatTime } from '../components/ui.js';
import { href, navigate } from '../router.js';

const LIMIT = 50;
const PATH = '/checks';
const TONES = { firing: ['bad', '●'], error: ['bad', '✕'], pending: ['warn', '…'], holds: ['warn', '!'], resolved: ['good', '✓'],
  ok: ['good', '✓'], skipped: ['neutral', '–'], learning: ['info', '◔'] };

export function OutcomeBadge({ outcome }) {
  if (!outcome) return html`<span class="muted">never run</span>`;
  const [tone, symbol] = TONES[outcome] || ['neutral', ''];
  return html`<${Badge} tone=${tone} symbol=${symbol}>${outcome}<//>`;
}

export function useKinds() {
  return useLoad(() => api.get('/checks/kinds'), []);
}

export function RunNow({ check, onDone }) {
  const [state, setState] = useState({ busy: false, error: null });
  const run = async () => {
    setState({ busy: true, error: null });
    try { onDone(await api.post(`/checks/${enc(check.id)}/run`)); setState({ busy: false, error: null }); } catch (error) { setState({ busy: false, error }); }
  };
  return html`<${ActionButton} need="editor" kind="small" busy=${state.busy} disabled=${!check.enabled} reason="The check is disabled"
      onClick=${run}>Run ${check.kind} now<//><${ErrorNote} error=${state.error} title="Not run" />`;
}

function Filters({ query, sources, kinds }) {
  const set = (patch) => navigate(PATH, { ...query, ...patch, offset: 0 }, { replace: true });
  return html`<form class="filters" role="search" aria-label="Filter the checks" onSubmit=${(e) => e.preventDefault()}>
    <${SourceSelect} id="ck-source" value=${query.source} sources=${sources} onChange=${(source) => set({ source })} />
    <div class="field"><label for="ck-kind">Kind</label><select id="ck-kind" value=${query.kind || ''} onChange=${(e) => set({ kind: e.target.value })}>
      <option value="">Every kind</option>${kinds.map((k) => html`<option value=${k.kind}>${k.kind}</option>`)}</select></div>
    <div class="field"><label for="ck-origin">Made by</label><select id="ck-origin" value=${query.origin || ''} onChange=${(e) => set({ origin: e.target.value })}>
      <option value="">Anyone</option><option value="plan">the plan</option><option value="default">the defaults</option><option value="api">REST (editable here)</option></select></div>
  </form>`;
}

export function CheckScope({ check }) {
  return check.event ? html`event <strong>${check.event}</strong>` : html`<span>the whole source</span>`;
}

export function ChecksPage({ query }) {
  const offset = Number(query.offset || 0);
  const { list: sources, byId } = useSources();
  const kinds = useKinds();
  const [stamp, setStamp] = useState(0);
  const [note, setNote] = useState('');
  const key = JSON.stringify(query);
  const checks = useLoad(() => api.get('/checks', { query: { source: query.source, kind: query.kind, origin: query.origin, limit: LIMIT, offset } }), [key, stamp]);
  useEffect(() => setTitle('Checks'), []);
  const data = checks.data;
  return html`<h1>Checks</h1>
    <p class="lede">The worker runs every enabled check each cycle; a check fires an alert after <em>for</em> evaluations whose condition holds, and resolves after <em>keep firing for</em> clear ones. Checks from the plan and the defaults are changed in the plan; those made here are edited here.</p>
    <details class="create"><summary>Create a check</summary>
      ${kinds.data && html`<${CheckForm} kinds=${kinds.data} sources=${sources} onSaved=${(made) => { setNote(`Created the ${made.kind} check ${made.id}.`); setStamp((s) => s + 1); }} />`}
      <${ErrorNote} error=${kinds.error} title="Could not load the check kinds" /></details>
    <p role="status" aria-live="polite">${note}</p>
    <${Filters} query=${query} sources=${sources} kinds=${kinds.data || []} />
    <${ErrorNote} error=${checks.error} title="Could not list the checks" />
    ${checks.loading && !data && html`<${Loading} what="Loading the checks" />`}
    ${data?.count === 0 && html`<${Empty}>No check matches. The worker creates the plan's and the default checks on its next cycle.<//>`}
    ${data?.count > 0 && html`<table class="grid">
      <caption>${formatNumber(data.count)} check${data.count === 1 ? '' : 's'}</caption>
      <thead><tr><th scope="col">Check</th><th scope="col">Source</th><th scope="col">Scope</th><th scope="col">Made by</th><th scope="col">State</th>
        <th scope="col">Last run</th><th scope="col">Actions</th></tr></thead>
      <tbody>${data.data.map((c) => html`<tr>
        <th scope="row"><a href=${href(`/checks/${encodeURIComponent(c.id)}`)}>${c.kind}</a> <span class="muted">${c.id}</span></th>
        <td>${byId.get(c.source_id)?.name || c.source_id}</td>
        <td><${CheckScope} check=${c} /></td>
        <td>${c.origin}</td>
        <td>${c.enabled ? html`<${OutcomeBadge} outcome=${c.last_outcome} />` : html`<${Badge} tone="neutral" symbol="✕">disabled<//>`}
          ${c.run_requested_at && html` <span class="muted">run requested</span>`}</td>
        <td>${formatTime(c.last_run_at)}</td>
        <td class="actions"><${RunNow} check=${c} onDone=${() => { setNote(`Asked the worker to run ${c.kind} ${c.id}.`); setStamp((s) => s + 1); }} /></td>
      </tr>`)}</tbody></table>
    <${Pager} count=${data.count} limit=${LIMIT} offset=${offset} onOffset=${(o) => navigate(PATH, { ...query, offset: o })} />`}`;
}
