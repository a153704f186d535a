// The plans: name, latest version, whether the draft differs, bound sources, events, violations 24 h.
import { api } from '../api.js';
import { html, useEffect } from '../lib.js';
import { useLoad } from '../data.js';
import { setTitle } from '../components/layout.js';
import { Pager } from '../components/pager.js';
import { Badge, Empty, ErrorNote, Loading, formatNumber } from '../components/ui.js';
import { href, navigate } from '../router.js';

const LIMIT = 50;

function PlanRow({ plan }) {
  const s = plan.stats || {};
  const link = href(`/plans/${encodeURIComponent(plan.name)}`);
  return html`<tr>
    <th scope="row"><a href=${link}>${plan.display_name || plan.name}</a>${plan.display_name && html` <span class="muted">(${plan.name})</span>`}</th>
    <td>${plan.latest_version ? `v${plan.latest_version}` : html`<${Badge} tone="warn">unpublished<//>`}</td>
    <td>${s.draft_differs ? html`<a href=${href(`/plans/${encodeURIComponent(plan.name)}/diff`, { from: 'latest', to: 'draft' })}><${Badge} tone="warn">differs<//></a>` : html`<${Badge} tone="good">same<//>`}</td>
    <td>${s.bound_sources?.length ? s.bound_sources.map((name, i) => html`${i > 0 && ', '}<a href=${href(`/sources/${encodeURIComponent(name)}`)}>${name}</a>`) : html`<span class="muted">none</span>`}</td>
    <td class="num">${formatNumber(s.events)}</td>
    <td class="num">${s.violations_24h ? html`<${Badge} tone="bad">${formatNumber(s.violations_24h)}<//>` : '0'}</td>
  </tr>`;
}

export function PlansPage({ query }) {
  const offset = Number(query.offset || 0);
  const { data, error, loading } = useLoad(() => api.get('/plans', { query: { stats: true, limit: LIMIT, offset } }), [offset]);
  useEffect(() => setTitle('Plans'), []);
  return html`<h1>Plans</h1>
  <p class="actions"><a class="btn" href="#/plans/import">Import a plan</a></p>
  ${loading && html`<${Loading} what="Loading plans" />`}
  <${ErrorNote} error=${error} title="Could not list the plans" />
  ${data && data.count === 0 && html`<${Empty}>No plans yet. <a href="#/plans/import">Import one</a>, or push one with <code>governance plan push</code>.<//>`}
  ${data && data.count > 0 && html`<table class="grid">
    <caption>Tracking plans (${data.count})</caption>
    <thead><tr><th scope="col">Plan</th><th scope="col">Latest version</th><th scope="col">Draft</th>
      <th scope="col">Bound sources</th><th scope="col" class="num">Events</th><th scope="col" class="num">Violations (24 h)</th></tr></thead>
    <tbody>${data.data.map((plan) => html`<${PlanRow} key=${plan.id} plan=${plan} />`)}</tbody>
  </table>
  <${Pager} count=${data.count} limit=${LIMIT} offset=${offset} onOffset=${(o) => navigate('/plans', { offset: o })} />`}`;
}
