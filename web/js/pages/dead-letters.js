// Dead letters: events the upstream refused, or never took within the retry budget. Filter by
// source and time; inspect the upstream's status, our reason (never the upstream's body) and the
// payload; replay the selected events, or every one the filter matches, back into the outbox.
import { api } from '../api.js';
import { html, useEffect, useState } from '../lib.js';
import { useLoad } from '../data.js';
import { SourceSelect, TimeRange, rangeQuery, useSources } from '../components/filters.js';
import { JsonView } from '../components/json-view.js';
import { setTitle } from '../components/layout.js';
import { Pager } from '../components/pager.js';
import { ActionButton, Badge, Empty, ErrorNote, Loading, formatNumber, formatTime } from '../components/ui.js';
import { navigate } from '../router.js';

const LIMIT = 50;
const PATH = '/dead-letters';

// Our words only: an "HTTP 400: <body>" kept by an older version shows as its status.
export function ourReason(reason) {
  return String(reason || '').replace(/^HTTP (\d{3}):[\s\S]*$/, 'upstream answered HTTP $1');
}

function Filters({ query, sources }) {
  const set = (patch) => navigate(PATH, { ...query, ...patch, offset: 0 }, { replace: true });
  return html`<form class="filters" role="search" aria-label="Filter the dead letters" onSubmit=${(e) => e.preventDefault()}>
    <${SourceSelect} id="dl-source" value=${query.source} sources=${sources} onChange=${(source) => set({ source })} />
    <${TimeRange} idPrefix="dl" query=${query} onChange=${set} />
  </form>`;
}

export function DeadLettersPage({ query }) {
  const offset = Number(query.offset || 0);
  const { list: sources, byId } = useSources();
  const [stamp, setStamp] = useState(0);
  const [selected, setSelected] = useState(new Set());
  const [open, setOpen] = useState(new Set());
  const [state, setState] = useState({ busy: null, error: null, done: null });
  const key = JSON.stringify(query);
  const filter = { source: query.source || undefined, ...rangeQuery(query) };
  const rows = useLoad(() => api.get('/dead-letter', { query: { ...filter, limit: LIMIT, offset } }), [key, stamp]);
  useEffect(() => setTitle('Dead letters'), []);
  useEffect(() => setSelected(new Set()), [key]);
  const data = rows.data;
  const toggle = (set, id) => { const next = new Set(set); if (next.has(id)) next.delete(id); else next.add(id); return next; };
  const replay = async (which) => {
    if (which === 'all' && !window.confirm(`Send every one of the ${data.count} dead letters this filter matches back to the outbox?`)) return;
    setState({ busy: which, error: null, done: null });
    try {
      const done = await api.post('/dead-letter/replay', which === 'selected' ? { ids: [...selected] } : { ...filter, limit: 10000 });
      setState({ busy: null, error: null, done });
      setSelected(new Set());
      setStamp((s) => s + 1);
    } catch (error) { setState({ busy: null, error, done: null }); }
  };
  return html`<h1>Dead letters</h1>
    <p class="lede">Events an upstream refused (a 4xx other than 408 and 429), or that failed every try for longer than the retry budget. A replay puts them back in the outbox: the worker forwards them on its next round.</p>
    <${Filters} query=${query} sources=${sources} />
    <div class="actions replay-bar">
      <${ActionButton} need="editor" kind="primary" busy=${state.busy === 'selected'} disabled=${selected.size === 0} reason="Select dead letters first"
        onClick=${() => replay('selected')}>Replay selected (${selected.size})<//>
      <${ActionButton} need="editor" busy=${state.busy === 'all'} disabled=${!data?.count} reason="Nothing matches the filter"
        onClick=${() => replay('all')}>Replay all ${data ? formatNumber(data.count) : ''} matching the filter<//>
    </div>
    <${ErrorNote} error=${state.error} title="Replay refused" />
    ${state.done && html`<p class="note good" role="status">Replayed: ${formatNumber(state.done.requeued)} event${state.done.requeued === 1 ? '' : 's'} back in the outbox, forwarded on the worker's next round (see the <a href="#/overview">overview</a>).</p>`}
    <${ErrorNote} error=${rows.error} title="Could not load the dead letters" />
    ${rows.loading && !data && html`<${Loading} what="Loading the dead letters" />`}
    ${data?.count === 0 && html`<${Empty}>No dead letters match this filter.<//>`}
    ${data?.count > 0 && html`<table class="grid">
      <caption>${formatNumber(data.count)} dead letter${data.count === 1 ? '' : 's'}, newest first</caption>
      <thead><tr><th scope="col"><span class="visually-hidden">Select</span></th><th scope="col">Event</th><th scope="col">Source</th><th scope="col">Status</th>
        <th scope="col">Reason</th><th scope="col" class="num">Tries</th><th scope="col">Dead-lettered</th><th scope="col">Inspect</th></tr></thead>
      <tbody>${data.data.map((row) => html`<tr class=${selected.has(row.id) ? 'selected' : undefined}>
          <td><input type="checkbox" aria-label=${`Select dead letter ${row.id}`} checked=${selected.has(row.id)} onChange=${() => setSelected((s) => toggle(s, row.id))} /></td>
          <th scope="row">${row.payload?.event || row.payload?.type || '—'} <span class="muted">#${row.id}</span></th>
          <td>${byId.get(row.source_id)?.name || row.source_id}</td>
          <td>${row.status ? html`<${Badge} tone="bad" symbol="✕">HTTP ${row.status}<//>` : html`<${Badge} tone="warn" symbol="!">no answer<//>`}</td>
          <td>${ourReason(row.reason)}</td>
          <td class="num">${row.attempts}</td>
          <td>${formatTime(row.created_at)}</td>
          <td><button type="button" class="btn small" aria-expanded=${open.has(row.id) ? 'true' : 'false'} aria-controls=${open.has(row.id) ? `dl-insp-${row.id}` : undefined}
            onClick=${() => setOpen((s) => toggle(s, row.id))}>${open.has(row.id) ? 'Hide' : 'Inspect'} dead letter ${row.id}</button></td>
        </tr>
        ${open.has(row.id) && html`<tr id=${`dl-insp-${row.id}`} class="inspect-row"><td colspan="8"><div class="inspect">
          <p>messageId <code>${row.message_id}</code>; first tried ${formatTime(row.first_attempt_at)}, ${row.attempts} tr${row.attempts === 1 ? 'y' : 'ies'}; ${row.status ? `the upstream last answered HTTP ${row.status}` : 'the upstream never answered'}: ${ourReason(row.reason)}.</p>
          <${JsonView} value=${row.payload} label=${`Payload of dead letter ${row.id}`} /></div></td></tr>`}`)}</tbody>
    </table>
    <${Pager} count=${data.count} limit=${LIMIT} offset=${offset} onOffset=${(o) => navigate(PATH, { ...query, offset: o })} />`}`;
}
