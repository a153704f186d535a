// The overview, home after sign-in: per source, events per minute by outcome over the last hour or
// day with violations overlaid, the outbox's depth and age and the last forward error; the firing
// alerts; the top violations of the last 24 h from the digest (the numbers of
// /sources/{source}/violations: one source of truth).
import { api, enc } from '../api.js';
import { html, useEffect, useMemo } from '../lib.js';
import { useLoad } from '../data.js';
import { SeriesChart } from '../components/charts.js';
import { age, since } from '../components/filters.js';
import { setTitle } from '../components/layout.js';
import { Pager } from '../components/pager.js';
import { ModeBadge } from '../components/source-header.js';
import { Badge, Empty, ErrorNote, Loading, formatNumber, formatTime } from '../components/ui.js';
import { SeverityBadge } from '../components/alert-bits.js';
import { href, navigate } from '../router.js';

const LIMIT = 10;
const OUTCOMES = ['forwarded', 'omitted', 'blocked', 'rejected', 'deduplicated'];
const WINDOWS = [['1h', 'Last hour'], ['24h', 'Last 24 hours']];

function chartSeries(data) {
  const zeros = data.t.map(() => 0);
  const names = [...OUTCOMES, ...Object.keys(data.outcomes).filter((o) => !OUTCOMES.includes(o))];
  return [...names.map((label) => ({ label, values: data.outcomes[label] || zeros })),
    { label: 'violations', values: data.violations }];
}

function Traffic({ name, window }) {
  const series = useLoad(() => api.get(`/sources/${enc(name)}/series`, { query: { window, step: 'minute' } }), [name, window]);
  const lines = useMemo(() => (series.data ? chartSeries(series.data) : null), [series.data]);
  if (series.error) return html`<${ErrorNote} error=${series.error} title="Could not load the traffic" />`;
  if (!lines) return html`<${Loading} what="Loading the traffic" />`;
  const total = lines.slice(0, -1).reduce((n, s) => n + s.values.reduce((a, b) => a + b, 0), 0);
  if (!total) return html`<${Empty}>No events in this window.<//>`;
  const label = window === '1h' ? 'the last hour' : 'the last 24 hours';
  return html`<${SeriesChart} t=${series.data.t} series=${lines} title=${`${name}: events per minute by outcome, violations overlaid, ${label}`} height=${200} />`;
}

function ForwardFacts({ fwd, stats }) {
  if (!fwd) return null;
  const error = fwd.last_error;
  return html`<dl class="facts-grid">
    <div><dt>Events (24 h)</dt><dd>${formatNumber(stats?.events_24h)}</dd></div>
    <div><dt>Violations (24 h)</dt><dd>${stats?.violations_24h ? html`<${Badge} tone="bad">${formatNumber(stats.violations_24h)}<//>` : '0'}</dd></div>
    <div><dt>Outbox</dt><dd>${formatNumber(fwd.outbox_depth)} waiting${fwd.outbox_depth ? `, oldest ${age(fwd.outbox_oldest_s)}` : ''}
      ${fwd.retrying ? html` <${Badge} tone="warn">${formatNumber(fwd.retrying)} retrying<//>` : ''}</dd></div>
    <div><dt>Dead letters</dt><dd>${fwd.dead_letters ? html`<a href=${href('/dead-letters', { source: fwd.source })}><${Badge} tone="bad">${formatNumber(fwd.dead_letters)}<//></a>` : '0'}</dd></div>
    <div class="wide"><dt>Last forward error</dt><dd>${error ? html`<${Badge} tone=${error.where === 'dead_letter' ? 'bad' : 'warn'}>${error.where === 'dead_letter' ? 'dead letter' : 'retrying'}<//>
      ${' '}${error.message} <span class="muted">(${error.where === 'dead_letter' ? `dead-lettered ${formatTime(error.at)}` : `next try ${formatTime(error.at)}`})</span>`
      : fwd.upstream_configured ? html`<span class="muted">none</span>` : html`<${Badge} tone="warn">no upstream set<//>`}</dd></div>
  </dl>`;
}

function Sources({ window, offset }) {
  const sources = useLoad(() => api.get('/sources', { query: { stats: true, limit: LIMIT, offset } }), [offset]);
  const forwarding = useLoad(() => api.get('/forwarding', { query: { limit: LIMIT, offset } }), [offset]);
  const byId = new Map((forwarding.data?.data || []).map((f) => [f.source_id, f]));
  const data = sources.data;
  return html`<section aria-labelledby="ov-src"><h2 id="ov-src">Sources</h2>
    <${ErrorNote} error=${sources.error || forwarding.error} title="Could not load the sources" />
    ${sources.loading && !data && html`<${Loading} what="Loading the sources" />`}
    ${data?.count === 0 && html`<${Empty}>No sources yet. <a href="#/sources">Create one</a>.<//>`}
    ${(data?.data || []).map((s) => html`<article class="source-card" aria-labelledby=${`ov-${s.id}`}>
      <h3 id=${`ov-${s.id}`}><a href=${href(`/sources/${encodeURIComponent(s.name)}/events`)}>${s.name}</a> <${ModeBadge} mode=${s.mode} /></h3>
      <${ForwardFacts} fwd=${byId.get(s.id)} stats=${s.stats} />
      <${Traffic} name=${s.name} window=${window} />
    </article>`)}
    ${data && html`<${Pager} count=${data.count} limit=${LIMIT} offset=${offset} label="Pages of sources"
      onOffset=${(o) => navigate('/overview', { window, offset: o })} />`}
  </section>`;
}

function FiringAlerts() {
  const alerts = useLoad(() => api.get('/alerts', { query: { status: 'firing', limit: 10 } }), []);
  const data = alerts.data;
  return html`<section aria-labelledby="ov-alerts"><h2 id="ov-alerts">Firing alerts${data ? ` (${data.count})` : ''}</h2>
    <${ErrorNote} error=${alerts.error} title="Could not load the alerts" />
    ${data?.count === 0 && html`<p class="state empty"><${Badge} tone="good">nothing firing<//></p>`}
    ${data?.count > 0 && html`<ul class="plain alert-list">${data.data.map((a) => html`<li>
      <${SeverityBadge} severity=${a.severity} /> <a href=${href(`/alerts/${a.id}`)}>${a.title}</a>
      <span class="muted"> (${a.source}, firing for ${age(since(a.started_at))})</span>
      ${a.acked_at && html` <${Badge} tone="info" symbol="✓">acknowledged<//>`}${a.snoozed_until && html` <${Badge} tone="neutral" symbol="z">snoozed<//>`}
    </li>`)}</ul>
    ${data.count > data.data.length && html`<p><a href=${href('/alerts', { status: 'firing' })}>All ${data.count} firing alerts</a></p>`}`}
  </section>`;
}

function TopViolations() {
  const digest = useLoad(() => api.get('/digest/preview'), []);
  const rows = (digest.data?.sources || []).flatMap((s) => s.by_event.map((e) => ({ ...e, source: s.source })))
    .sort((a, b) => b.violations - a.violations).slice(0, 10);
  return html`<section aria-labelledby="ov-top"><h2 id="ov-top">Top violations, last 24 hours</h2>
    <${ErrorNote} error=${digest.error} title="Could not load the violations" />
    ${digest.loading && !digest.data && html`<${Loading} what="Loading the violations" />`}
    ${digest.data && rows.length === 0 && html`<${Empty}>No violations in the last 24 hours.<//>`}
    ${rows.length > 0 && html`<table class="grid"><caption>Top violations, last 24 hours (${formatNumber(digest.data.total_violations)} in all, as the digest counts them)</caption>
      <thead><tr><th scope="col">Source</th><th scope="col">Event</th><th scope="col" class="num">Violations</th><th scope="col" class="num">Events</th><th scope="col">Most frequent</th></tr></thead>
      <tbody>${rows.map((r) => html`<tr>
        <td><a href=${href(`/sources/${encodeURIComponent(r.source)}/violations`, { window: '24h', event: r.event })}>${r.source}</a></td>
        <th scope="row">${r.event || html`<span class="muted">(no event name)</span>`}</th>
        <td class="num">${formatNumber(r.violations)}</td><td class="num">${formatNumber(r.events)}</td>
        <td><ul class="plain">${r.top.map((t) => html`<li><code>${t.field || '(the message)'}</code> ${t.type}: ${formatNumber(t.count)}</li>`)}</ul></td>
      </tr>`)}</tbody></table>`}
  </section>`;
}

export function OverviewPage({ query }) {
  const window = query.window === '24h' ? '24h' : '1h';
  const offset = Number(query.offset || 0);
  useEffect(() => setTitle('Overview'), []);
  return html`<h1>Overview</h1>
    <fieldset class="window-picker"><legend>Traffic over</legend>
      ${WINDOWS.map(([id, label]) => html`<label class="check"><input type="radio" name="ov-window" value=${id} checked=${window === id}
        onChange=${() => navigate('/overview', { window: id, offset }, { replace: true })} /> ${label}</label>`)}</fieldset>
    <div class="overview">
      <div class="overview-main"><${Sources} window=${window} offset=${offset} /></div>
      <div class="overview-side"><${FiringAlerts} /><${TopViolations} /></div>
    </div>`;
}
