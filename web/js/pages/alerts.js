// Alerts, firing and resolved, newest first: what fired, on which source, event and field, since
// when, and whether it is acknowledged or snoozed. `/#/alerts` (the link of a grouped notification)
// opens this list; `/#/alerts/{id}` (one alert's link) opens its page.
import { api } from '../api.js';
import { html, useEffect } from '../lib.js';
import { useLoad } from '../data.js';
import { AlertState, SeverityBadge } from '../components/alert-bits.js';
import { SourceSelect, useSources } from '../components/filters.js';
import { setTitle } from '../components/layout.js';
import { Pager } from '../components/pager.js';
import { Empty, ErrorNote, Loading, formatNumber, formatTime } from '../components/ui.js';
import { href, navigate } from '../router.js';

const LIMIT = 50;
const PATH = '/alerts';

function Filters({ query, sources }) {
  const set = (patch) => navigate(PATH, { ...query, ...patch, offset: 0 }, { replace: true });
  return html`<form class="filters" role="search" aria-label="Filter the alerts" onSubmit=${(e) => e.preventDefault()}>
    <div class="field"><label for="al-status">State</label>
      <select id="al-status" value=${query.status || ''} onChange=${(e) => set({ status: e.target.value })}>
        <option value="">Firing and resolved</option><option value="firing">Firing</option><option value="resolved">Resolved</option></select></div>
    <${SourceSelect} id="al-source" value=${query.source} sources=${sources} onChange=${(source) => set({ source })} />
    <div class="field"><label for="al-acked">Acknowledged</label>
      <select id="al-acked" value=${query.acked || ''} onChange=${(e) => set({ acked: e.target.value })}>
        <option value="">Either</option><option value="false">Not acknowledged</option><option value="true">Acknowledged</option></select></div>
  </form>`;
}

export function AlertsPage({ query }) {
  const offset = Number(query.offset || 0);
  const { list: sources } = useSources();
  const key = JSON.stringify(query);
  const alerts = useLoad(() => api.get('/alerts', { query: { status: query.status, source: query.source, acked: query.acked, limit: LIMIT, offset } }), [key]);
  useEffect(() => setTitle('Alerts'), []);
  const data = alerts.data;
  return html`<h1>Alerts</h1>
    <${Filters} query=${query} sources=${sources} />
    <${ErrorNote} error=${alerts.error} title="Could not load the alerts" />
    ${alerts.loading && !data && html`<${Loading} what="Loading the alerts" />`}
    ${data?.count === 0 && html`<${Empty}>No alert matches.<//>`}
    ${data?.count > 0 && html`<table class="grid">
      <caption>${formatNumber(data.count)} alert${data.count === 1 ? '' : 's'}, newest first</caption>
      <thead><tr><th scope="col">Alert</th><th scope="col">Severity</th><th scope="col">State</th><th scope="col">Source</th><th scope="col">Event</th>
        <th scope="col">Field</th><th scope="col">Since</th><th scope="col">Last firing / resolved</th></tr></thead>
      <tbody>${data.data.map((a) => html`<tr>
        <th scope="row"><a href=${href(`/alerts/${a.id}`)}>${a.title}</a><br /><span class="muted">${a.check_kind} #${a.id}</span></th>
        <td><${SeverityBadge} severity=${a.severity} /></td>
        <td><${AlertState} alert=${a} /></td>
        <td>${a.source}</td><td>${a.event || html`<span class="muted">the whole source</span>`}</td>
        <td>${a.field ? html`<code>${a.field}</code>` : '—'}</td>
        <td>${formatTime(a.since || a.started_at)}</td>
        <td>${a.resolved_at ? `resolved ${formatTime(a.resolved_at)}` : formatTime(a.last_firing_at)}</td>
      </tr>`)}</tbody></table>
    <${Pager} count=${data.count} limit=${LIMIT} offset=${offset} onOffset=${(o) => navigate(PATH, { ...query, offset: o })} />`}`;
}
