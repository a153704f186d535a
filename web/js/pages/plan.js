// A plan's events, filterable by name, label and owner, a page at a time (the API paginates, so a
// plan of thousands of events opens as fast as a small one); then identify, group, page, screen
// and the common schema, shown the same way.
import { api, enc } from '../api.js';
import { html, useEffect, useState } from '../lib.js';
import { useDebounced, useLoad } from '../data.js';
import { setTitle } from '../components/layout.js';
import { Pager } from '../components/pager.js';
import { PlanHeader } from '../components/plan-header.js';
import { PropertyTree } from '../components/property-tree.js';
import { Badge, Empty, ErrorNote, Loading } from '../components/ui.js';
import { navigate } from '../router.js';
import { PlanSections } from './plan-sections.js';

const LIMIT = 50;

function liveVersions(spec) {
  return [spec.version || 1, ...Object.keys(spec.versions || {}).map(Number)].sort((a, b) => a - b);
}

function EventItem({ name, spec }) {
  const [open, setOpen] = useState(false);
  const labels = Object.entries(spec.labels || {});
  return html`<li class="event">
    <details onToggle=${(e) => setOpen(e.currentTarget.open)}>
      <summary>
        <span class="event-name">${name}</span>
        ${spec.deprecated && html` <${Badge} tone="neutral" symbol="⚠">deprecated<//>`}
        <span class="event-meta">
          <span>owner: ${spec.owner || html`<span class="muted">none</span>`}</span>
          <span>versions: ${liveVersions(spec).map((v) => `v${v}`).join(', ')}</span>
          ${labels.length > 0 && html`<span>labels: ${labels.map(([k, v]) => html`<span class="label">${k}: ${v}</span> `)}</span>`}
        </span>
        ${spec.description ? html`<span class="desc">${spec.description}</span>` : html`<span class="desc muted">No description.</span>`}
      </summary>
      ${open && html`<div class="event-body">
        <h3>Properties${spec.versions && Object.keys(spec.versions).length ? ` (v${spec.version || 1})` : ''}</h3>
        <${PropertyTree} properties=${spec.properties} label=${`${name}: properties`} />
        ${Object.entries(spec.versions || {}).map(([number, version]) => html`<h3>Version ${number}${version.deprecated ? ' (deprecated)' : ''}</h3>
          ${version.description && html`<p>${version.description}</p>`}
          <${PropertyTree} properties=${version.properties} label=${`${name} v${number}: properties`} />`)}
      </div>`}
    </details>
  </li>`;
}

function Filters({ query, facets, onChange }) {
  const [text, setText] = useState(query.q || '');
  const push = useDebounced((value) => onChange({ q: value, offset: 0 }), 250);
  return html`<form class="filters" role="search" aria-label="Filter events" onSubmit=${(e) => e.preventDefault()}>
    <div class="field"><label for="f-q">Name or description</label>
      <input id="f-q" type="search" value=${text} onInput=${(e) => { setText(e.target.value); push(e.target.value); }} /></div>
    <div class="field"><label for="f-label">Label</label>
      <select id="f-label" value=${query.label || ''} onChange=${(e) => onChange({ label: e.target.value, offset: 0 })}>
        <option value="">Any label</option>
        ${(facets?.labels || []).map((f) => html`<option value=${f.value}>${f.value} (${f.count})</option>`)}
      </select></div>
    <div class="field"><label for="f-owner">Owner</label>
      <select id="f-owner" value=${query.owner || ''} onChange=${(e) => onChange({ owner: e.target.value, offset: 0 })}>
        <option value="">Any owner</option>
        ${(facets?.owners || []).map((f) => html`<option value=${f.value}>${f.value} (${f.count})</option>`)}
      </select></div>
  </form>`;
}

export function PlanPage({ params, query, path }) {
  const name = params.plan;
  const plan = useLoad(() => api.get(`/plans/${enc(name)}`), [name]);
  const version = query.version || (plan.data && !plan.data.latest_version ? 'draft' : 'latest');
  const offset = Number(query.offset || 0);
  const ready = Boolean(plan.data);
  const events = useLoad(() => (ready ? api.get(`/plans/${enc(name)}/events`, {
    query: { version, q: query.q, label: query.label, owner: query.owner, limit: LIMIT, offset } }) : null),
  [ready, name, version, query.q, query.label, query.owner, offset]);
  useEffect(() => setTitle(`Plan ${name}`), [name]);
  const change = (patch) => navigate(path, { ...query, ...patch }, { replace: true });
  const data = events.data;
  return html`<${PlanHeader} name=${name} plan=${plan.data} current="events" title=${plan.data?.display_name || name} />
  <${ErrorNote} error=${plan.error} title="Could not open the plan" />
  ${plan.data && html`<section aria-labelledby="events-h">
    <div class="section-head"><h2 id="events-h">Events</h2>
      <div class="field inline"><label for="f-version">Version</label>
        <select id="f-version" value=${version} onChange=${(e) => change({ version: e.target.value, offset: 0 })}>
          ${plan.data.latest_version > 0 && html`<option value="latest">Latest (v${plan.data.latest_version})</option>`}
          <option value="draft">Draft</option>
        </select></div>
    </div>
    <${Filters} query=${query} facets=${data?.facets} onChange=${change} />
    <${ErrorNote} error=${events.error} title="Could not list the events" />
    ${events.loading && !data && html`<${Loading} what="Loading events" />`}
    ${data && html`<p class="count" aria-live="polite" id="events-count">${data.count === data.total ? `${data.total.toLocaleString()} events` : `${data.count.toLocaleString()} of ${data.total.toLocaleString()} events match`}</p>
      ${data.count === 0 ? html`<${Empty}>${data.total ? 'No event matches these filters.' : 'This version has no events yet.'}<//>`
        : html`<ul class="events" aria-labelledby="events-h" aria-busy=${events.loading ? 'true' : 'false'}>${data.data.map((e) => html`<${EventItem} key=${e.name} name=${e.name} spec=${e.spec} />`)}</ul>`}
      <${Pager} count=${data.count} limit=${LIMIT} offset=${offset} label="Event pages" onOffset=${(o) => change({ offset: o })} />`}
  </section>
  <${PlanSections} name=${name} version=${version} />`}`;
}
