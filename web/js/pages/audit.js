// The audit log (admin): who changed what and when, newest first. Filter by entity, actor, action
// and time; each entry's details show what changed.
import { api } from '../api.js';
import { html, useEffect } from '../lib.js';
import { useLoad } from '../data.js';
import { TextFilter, TimeRange, rangeQuery } from '../components/filters.js';
import { setTitle } from '../components/layout.js';
import { Pager } from '../components/pager.js';
import { Empty, ErrorNote, Loading, formatNumber, formatTime } from '../components/ui.js';
import { can, denied, useMe } from '../session.js';
import { href, navigate } from '../router.js';

const LIMIT = 50;
const PATH = '/audit';
const ENTITIES = ['plan', 'source', 'check', 'alert', 'channel', 'rule', 'digest', 'token', 'quarantine', 'dead_letter'];
const ACTIONS = ['plan.', 'source.', 'check.', 'alert.', 'channel.', 'rule.', 'token.', 'digest.update', 'quarantine.replay', 'dead_letter.replay'];

export function useTokenNames(enabled = true) {
  const tokens = useLoad(() => (enabled ? api.get('/tokens', { query: { limit: 500 } }) : null), [enabled]);
  return new Map((tokens.data?.data || []).map((t) => [`token:${t.id}`, t]));
}

export function Actor({ actor, tokens }) {
  const token = tokens.get(actor);
  return token ? html`<span>${token.name} <span class="muted">(${token.role}, <code>${actor}</code>)</span></span>` : html`<code>${actor}</code>`;
}

function entityLink(entry) {
  const id = encodeURIComponent(entry.entity_id);
  const to = { alert: `/alerts/${id}`, check: `/checks/${id}`, plan: `/plans/${id}`, source: `/sources/${id}`,
    channel: '/channels', rule: '/channels/rules', digest: '/channels/digest', token: '/tokens' }[entry.entity];
  const text = `${entry.entity} ${entry.entity_id}`;
  return to && entry.entity_id !== '*' ? html`<a href=${href(to)}>${text}</a>` : text;
}

function show(value) {
  if (value === null || value === undefined) return html`<span class="muted">none</span>`;
  if (typeof value === 'object') return html`<code class="raw">${JSON.stringify(value)}</code>`;
  return html`<code class="raw">${String(value)}</code>`;
}

export function Changes({ details }) {
  const entries = details && typeof details === 'object' && !Array.isArray(details) ? Object.entries(details) : [];
  if (!entries.length) return html`<span class="muted">no details</span>`;
  return html`<dl class="changes">${entries.map(([k, v]) => html`<div><dt>${k}</dt><dd>${show(v)}</dd></div>`)}</dl>`;
}

function Filters({ query, tokens }) {
  const set = (patch) => navigate(PATH, { ...query, ...patch, offset: 0 }, { replace: true });
  return html`<form class="filters" role="search" aria-label="Filter the audit log" onSubmit=${(e) => e.preventDefault()}>
    <div class="field"><label for="au-entity">Entity</label>
      <select id="au-entity" value=${query.entity || ''} onChange=${(e) => set({ entity: e.target.value })}>
        <option value="">Every entity</option>${ENTITIES.map((e) => html`<option value=${e}>${e}</option>`)}</select></div>
    <${TextFilter} id="au-entity-id" label="Entity id" value=${query.entity_id} onChange=${(v) => set({ entity_id: v })} />
    <div class="field"><label for="au-actor">Actor</label>
      <select id="au-actor" value=${query.actor || ''} onChange=${(e) => set({ actor: e.target.value })}>
        <option value="">Anyone</option>
        ${[...tokens.values()].map((t) => html`<option value=${`token:${t.id}`}>${t.name} (${t.role})</option>`)}
        ${['scheduler', 'dispatcher', 'serve --demo'].map((a) => html`<option value=${a}>${a}</option>`)}
        ${query.actor && !tokens.has(query.actor) && !['scheduler', 'dispatcher', 'serve --demo'].includes(query.actor) && html`<option value=${query.actor}>${query.actor}</option>`}
      </select></div>
    <${TextFilter} id="au-action" label="Action" value=${query.action} list=${ACTIONS} onChange=${(v) => set({ action: v })} hint="ending in a dot: every action of that kind" />
    <${TimeRange} idPrefix="au" query=${query} onChange=${set} />
  </form>`;
}

export function AuditPage({ query }) {
  const me = useMe();
  const admin = can(me, 'admin');
  const offset = Number(query.offset || 0);
  const tokens = useTokenNames(admin);
  const key = JSON.stringify(query);
  const log = useLoad(() => (admin ? api.get('/audit', { query: { entity: query.entity, entity_id: query.entity_id, actor: query.actor,
    action: query.action, ...rangeQuery(query), limit: LIMIT, offset } }) : null), [key, admin]);
  useEffect(() => setTitle('Audit log'), []);
  if (!admin) return html`<h1>Audit log</h1><p class="note">${denied(me, 'admin')}</p>`;
  const data = log.data;
  return html`<h1>Audit log</h1>
    <${Filters} query=${query} tokens=${tokens} />
    <${ErrorNote} error=${log.error} title="Could not load the audit log" />
    ${log.loading && !data && html`<${Loading} what="Loading the audit log" />`}
    ${data?.count === 0 && html`<${Empty}>No entry matches.<//>`}
    ${data?.count > 0 && html`<table class="grid audit">
      <caption>${formatNumber(data.count)} entr${data.count === 1 ? 'y' : 'ies'}, newest first</caption>
      <thead><tr><th scope="col">When</th><th scope="col">Who</th><th scope="col">Action</th><th scope="col">Entity</th><th scope="col">What changed</th></tr></thead>
      <tbody>${data.data.map((e) => html`<tr><th scope="row">${formatTime(e.at)}</th><td><${Actor} actor=${e.actor} tokens=${tokens} /></td>
        <td><code>${e.action}</code></td><td>${entityLink(e)}</td><td><${Changes} details=${e.details} /></td></tr>`)}</tbody></table>
    <${Pager} count=${data.count} limit=${LIMIT} offset=${offset} onOffset=${(o) => navigate(PATH, { ...query, offset: o })} />`}`;
}
