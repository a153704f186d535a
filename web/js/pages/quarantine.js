// The quarantine: what the proxy held back and why. Filter by source, event, reason and time;
// inspect a payload with its violations (the violating paths highlighted); replay the selected
// events, or every one the filter matches, through the current plan, and see each one's outcome.
// Replayed events are marked (forwarded, or still blocked and why).
import { api } from '../api.js';
import { html, useEffect, useState } from '../lib.js';
import { useLoad } from '../data.js';
import { SourceSelect, TextFilter, TimeRange, rangeQuery, useSources } from '../components/filters.js';
import { JsonView } from '../components/json-view.js';
import { setTitle } from '../components/layout.js';
import { Pager } from '../components/pager.js';
import { ActionButton, Badge, Empty, ErrorNote, Loading, formatNumber, formatTime } from '../components/ui.js';
import { navigate } from '../router.js';

const LIMIT = 50;
const PATH = '/quarantine';

export function ReplayMark({ row }) {
  if (row.replayed_at) return html`<${Badge} tone="good" symbol="↻">replayed: ${row.replay_outcome || 'forwarded'} ${formatTime(row.replayed_at)}<//>`;
  if (row.replay_outcome) return html`<${Badge} tone="warn" symbol="↻">replayed: ${row.replay_outcome.replace(':', ' — ')}<//>`;
  return html`<span class="muted">not replayed</span>`;
}

function outcomeBadge(result) {
  if (result.forwarded) return html`<${Badge} tone="good">${result.outcome}<//>`;
  return html`<${Badge} tone="bad">${result.outcome.replace(':', ' — ')}<//>`;
}

function Inspect({ row }) {
  const fields = row.violations.map((v) => v.field).filter(Boolean);
  return html`<div class="inspect">
    ${row.violations.length > 0 ? html`<table class="grid small"><caption>Violations of event ${row.id}</caption>
      <thead><tr><th scope="col">Path</th><th scope="col">Type</th><th scope="col">Message</th></tr></thead>
      <tbody>${row.violations.map((v) => html`<tr><th scope="row"><code>${v.field || '(the message)'}</code></th><td>${v.type || v.code}</td><td>${v.message}</td></tr>`)}</tbody></table>`
      : html`<p>No property violation: held back as <strong>${row.reason}</strong>.</p>`}
    <p class="muted">messageId <code>${row.message_id}</code>, plan v${row.plan_version ?? '—'}, received ${formatTime(row.received_at)}</p>
    <${JsonView} value=${row.payload} highlight=${fields} label=${`Payload of event ${row.id}`} />
  </div>`;
}

function Results({ result }) {
  if (!result) return null;
  return html`<div class="note good" role="status">
    <p>Replayed ${formatNumber(result.matched)}: ${formatNumber(result.forwarded)} forwarded, ${formatNumber(result.still_blocked)} still blocked${result.already_forwarded ? `, ${result.already_forwarded} already forwarded` : ''}${result.no_source ? `, ${result.no_source} without a source` : ''}.</p>
    ${result.results.length > 0 && html`<table class="grid small"><caption>Outcome of each replay</caption>
      <thead><tr><th scope="col">Event id</th><th scope="col">Event</th><th scope="col">Outcome</th></tr></thead>
      <tbody>${result.results.map((r) => html`<tr><th scope="row">${r.id}</th><td>${r.event || '—'}</td><td>${outcomeBadge(r)}</td></tr>`)}</tbody></table>`}
  </div>`;
}

function Filters({ query, sources, reasons }) {
  const set = (patch) => navigate(PATH, { ...query, ...patch, offset: 0 }, { replace: true });
  return html`<form class="filters" role="search" aria-label="Filter the quarantine" onSubmit=${(e) => e.preventDefault()}>
    <${SourceSelect} id="q-source" value=${query.source} sources=${sources} onChange=${(source) => set({ source })} />
    <${TextFilter} id="q-event" label="Event" value=${query.event} onChange=${(event) => set({ event })} />
    <${TextFilter} id="q-reason" label="Reason" value=${query.reason} list=${reasons} onChange=${(reason) => set({ reason })} />
    <${TimeRange} idPrefix="q" query=${query} onChange=${set} />
    <label class="check"><input type="checkbox" checked=${query.replayed === '1'} onChange=${(e) => set({ replayed: e.target.checked ? '1' : '' })} /> Include events a replay forwarded</label>
  </form>`;
}

function filterBody(query) {
  return { source: query.source || undefined, event: query.event || undefined, reason: query.reason || undefined, ...rangeQuery(query) };
}

export function QuarantinePage({ query }) {
  const offset = Number(query.offset || 0);
  const { list: sources, byId } = useSources();
  const [stamp, setStamp] = useState(0);
  const [selected, setSelected] = useState(new Set());
  const [open, setOpen] = useState(new Set());
  const [state, setState] = useState({ busy: null, error: null, result: null });
  const key = JSON.stringify(query);
  const rows = useLoad(() => api.get('/quarantine', { query: { ...filterBody(query), include_replayed: query.replayed === '1', limit: LIMIT, offset } }), [key, stamp]);
  useEffect(() => setTitle('Quarantine'), []);
  useEffect(() => setSelected(new Set()), [key]);
  const data = rows.data;
  const reasons = [...new Set((data?.data || []).map((r) => r.reason))];
  const toggle = (set, id) => { const next = new Set(set); if (next.has(id)) next.delete(id); else next.add(id); return next; };
  const replay = async (which) => {
    const body = which === 'selected' ? { ids: [...selected] } : { ...filterBody(query), limit: 10000 };
    if (which === 'all' && !window.confirm(`Replay every one of the ${data.count} events this filter matches through the current plan?`)) return;
    setState({ busy: which, error: null, result: null });
    try {
      const result = await api.post('/quarantine/replay', body);
      setState({ busy: null, error: null, result });
      setSelected(new Set());
      if (query.replayed !== '1' && result.forwarded) navigate(PATH, { ...query, replayed: '1' }, { replace: true });
      else setStamp((s) => s + 1);
    } catch (error) { setState({ busy: null, error, result: null }); }
  };
  return html`<h1>Quarantine</h1>
    <p class="lede">Events the proxy held back (blocked by the plan, rejected as invalid, dropped by a transformation). A replay judges them again with the source's current plan and forwards those that now pass, once.</p>
    <${Filters} query=${query} sources=${sources} reasons=${reasons} />
    <div class="actions replay-bar">
      <${ActionButton} need="editor" kind="primary" busy=${state.busy === 'selected'} disabled=${selected.size === 0} reason="Select events first"
        onClick=${() => replay('selected')}>Replay selected (${selected.size})<//>
      <${ActionButton} need="editor" busy=${state.busy === 'all'} disabled=${!data?.count} reason="Nothing matches the filter"
        onClick=${() => replay('all')}>Replay all ${data ? formatNumber(data.count) : ''} matching the filter<//>
    </div>
    <${ErrorNote} error=${state.error} title="Replay refused" />
    <${Results} result=${state.result} />
    <${ErrorNote} error=${rows.error} title="Could not load the quarantine" />
    ${rows.loading && !data && html`<${Loading} what="Loading the quarantine" />`}
    ${data?.count === 0 && html`<${Empty}>Nothing quarantined matches this filter.<//>`}
    ${data?.count > 0 && html`<table class="grid quarantine">
      <caption>${formatNumber(data.count)} quarantined event${data.count === 1 ? '' : 's'}, newest first</caption>
      <thead><tr><th scope="col"><span class="visually-hidden">Select</span></th><th scope="col">Event</th><th scope="col">Source</th><th scope="col">Reason</th>
        <th scope="col" class="num">Violations</th><th scope="col">Received</th><th scope="col">Replay</th><th scope="col">Inspect</th></tr></thead>
      <tbody>${data.data.map((row) => html`<tr class=${selected.has(row.id) ? 'selected' : undefined}>
          <td><input type="checkbox" id=${`q-sel-${row.id}`} aria-label=${`Select event ${row.id} (${row.event || row.type})`} checked=${selected.has(row.id)}
            disabled=${Boolean(row.replayed_at)} onChange=${() => setSelected((s) => toggle(s, row.id))} /></td>
          <th scope="row">${row.event || html`<span class="muted">(${row.type})</span>`} <span class="muted">#${row.id}</span></th>
          <td>${byId.get(row.source_id)?.name || row.source_id}</td>
          <td><code>${row.reason}</code></td>
          <td class="num">${row.violations.length}</td>
          <td>${formatTime(row.received_at)}</td>
          <td><${ReplayMark} row=${row} /></td>
          <td><button type="button" class="btn small" aria-expanded=${open.has(row.id) ? 'true' : 'false'} aria-controls=${open.has(row.id) ? `q-insp-${row.id}` : undefined}
            onClick=${() => setOpen((s) => toggle(s, row.id))}>${open.has(row.id) ? 'Hide' : 'Inspect'} event ${row.id}</button></td>
        </tr>
        ${open.has(row.id) && html`<tr id=${`q-insp-${row.id}`} class="inspect-row"><td colspan="8"><${Inspect} row=${row} /></td></tr>`}`)}</tbody>
    </table>
    <${Pager} count=${data.count} limit=${LIMIT} offset=${offset} onOffset=${(o) => navigate(PATH, { ...query, offset: o })} />`}`;
}
