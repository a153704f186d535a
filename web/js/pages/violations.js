// The violations explorer: per source and window, grouped by event, then field, then type, with
// counts, a sparkline, first and last seen, and sample payloads with the violating path highlighted.
import { api, enc } from '../api.js';
import { html, useEffect } from '../lib.js';
import { useLoad } from '../data.js';
import { Sparkline } from '../components/charts.js';
import { JsonView } from '../components/json-view.js';
import { setTitle } from '../components/layout.js';
import { SourceHeader, WindowPicker } from '../components/source-header.js';
import { Empty, ErrorNote, Loading, formatNumber, formatTime } from '../components/ui.js';
import { navigate } from '../router.js';

function group(rows) {
  const events = new Map();
  for (const row of rows) {
    if (!events.has(row.event)) events.set(row.event, { count: 0, fields: new Map() });
    const ev = events.get(row.event);
    ev.count += row.count;
    if (!ev.fields.has(row.field)) ev.fields.set(row.field, []);
    ev.fields.get(row.field).push(row);
  }
  return [...events.entries()].sort((a, b) => b[1].count - a[1].count);
}

function TypeRow({ row }) {
  return html`<li class="vtype">
    <div class="vtype-head"><code>${row.type}</code> <strong>${formatNumber(row.count)}</strong>
      <${Sparkline} values=${row.series} label=${`${row.event} ${row.field} ${row.type}`} />
      <span class="muted">first seen ${formatTime(row.first_seen)}, last seen ${formatTime(row.last_seen)}</span></div>
    ${row.samples?.length > 0 && html`<details><summary>${row.samples.length} sample payload${row.samples.length > 1 ? 's' : ''}</summary>
      ${row.samples.map((s, i) => html`<div class="sample"><p>${s.message} <span class="muted">(plan v${s.plan_version ?? '—'}, ${formatTime(s.seen_at)})</span></p>
        <${JsonView} value=${s.payload} highlight=${row.field} label=${`Sample ${i + 1}`} /></div>`)}</details>`}
  </li>`;
}

export function ViolationsPage({ params, query, path }) {
  const name = params.source;
  const window = query.window || '24h';
  const source = useLoad(() => api.get(`/sources/${enc(name)}`), [name]);
  const data = useLoad(() => api.get(`/sources/${enc(name)}/violations`, { query: { window, samples: 3 } }), [name, window]);
  useEffect(() => setTitle(`Violations of ${name}`), [name]);
  const rows = (data.data?.data || []).filter((r) => !query.event || r.event === query.event);
  const total = rows.reduce((n, r) => n + r.count, 0);
  return html`<${SourceHeader} name=${name} source=${source.data} current="violations" title=${`Violations of ${name}`} />
    <${WindowPicker} value=${window} onChange=${(w) => navigate(path, { ...query, window: w }, { replace: true })} />
    ${query.event && html`<p>Only event <strong>${query.event}</strong>. <a href=${`#${path}?window=${window}`}>Show every event</a></p>`}
    <${ErrorNote} error=${data.error} title="Could not load the violations" />
    ${data.loading && !data.data && html`<${Loading} what="Loading violations" />`}
    ${data.data && rows.length === 0 && html`<${Empty}>No violations in this window.<//>`}
    ${rows.length > 0 && html`<p class="count">${formatNumber(total)} violations</p>
      <ul class="vtree">${group(rows).map(([event, ev]) => html`<li class="vevent">
        <h2>${event || '(no event name)'} <span class="muted">${formatNumber(ev.count)}</span></h2>
        <ul>${[...ev.fields.entries()].map(([field, types]) => html`<li class="vfield">
          <h3><code>${field || '(the message)'}</code></h3>
          <ul>${types.map((row) => html`<${TypeRow} row=${row} />`)}</ul></li>`)}</ul>
      </li>`)}</ul>`}`;
}
