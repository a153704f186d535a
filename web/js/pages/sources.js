// The sources: mode, plan and pin, events and violations of the last 24 h, outbox depth; and a form
// to create one (its write key is shown once).
import { api } from '../api.js';
import { html, useEffect, useState } from '../lib.js';
import { useLoad } from '../data.js';
import { setTitle } from '../components/layout.js';
import { Pager } from '../components/pager.js';
import { ModeBadge } from '../components/source-header.js';
import { ActionButton, Badge, CopyButton, Empty, ErrorNote, Loading, formatNumber } from '../components/ui.js';
import { href, navigate } from '../router.js';

const LIMIT = 50;

function age(seconds) {
  if (seconds === null || seconds === undefined) return '';
  if (seconds < 120) return `${Math.round(seconds)} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  return `${Math.round(seconds / 3600)} h`;
}

function CreateSource({ onCreated }) {
  const plans = useLoad(() => api.get('/plans', { query: { limit: 500 } }), []);
  const [form, setForm] = useState({ name: '', plan: '', mode: 'shadow' });
  const [state, setState] = useState({ busy: false, error: null, created: null });
  const submit = async (event) => {
    event.preventDefault();
    setState({ busy: true, error: null, created: null });
    try {
      const created = await api.post('/sources', { name: form.name.trim(), plan: form.plan || null, mode: form.mode });
      setState({ busy: false, error: null, created });
      onCreated();
    } catch (error) { setState({ busy: false, error, created: null }); }
  };
  return html`<details class="create"><summary>Create a source</summary>
    <form class="stack" onSubmit=${submit}>
      <div class="field"><label for="src-name">Source name</label><input id="src-name" required value=${form.name} onInput=${(e) => setForm({ ...form, name: e.target.value })} /></div>
      <div class="field"><label for="src-plan">Plan</label><select id="src-plan" value=${form.plan} onChange=${(e) => setForm({ ...form, plan: e.target.value })}>
        <option value="">No plan</option>${(plans.data?.data || []).map((p) => html`<option value=${p.name}>${p.name}</option>`)}</select></div>
      <div class="field"><label for="src-mode">Mode</label><select id="src-mode" value=${form.mode} onChange=${(e) => setForm({ ...form, mode: e.target.value })}>
        <option value="shadow">shadow (record what enforce would do, forward everything)</option><option value="enforce">enforce</option></select></div>
      <${ActionButton} need="editor" type="submit" kind="primary" busy=${state.busy}>Create source<//>
    </form>
    <${ErrorNote} error=${state.error} title="Not created" />
    ${state.created && html`<div class="note good" role="status"><p>Created <a href=${href(`/sources/${encodeURIComponent(state.created.name)}`)}>${state.created.name}</a>. Its write key, shown once:</p>
      <p><code class="secret">${state.created.write_key}</code> <${CopyButton} text=${state.created.write_key} label="Copy the write key" /></p></div>`}
  </details>`;
}

export function SourcesPage({ query }) {
  const offset = Number(query.offset || 0);
  const [stamp, setStamp] = useState(0);
  const list = useLoad(() => api.get('/sources', { query: { stats: true, limit: LIMIT, offset } }), [offset, stamp]);
  useEffect(() => setTitle('Sources'), []);
  const data = list.data;
  return html`<h1>Sources</h1>
    <${CreateSource} onCreated=${() => setStamp((s) => s + 1)} />
    ${list.loading && !data && html`<${Loading} what="Loading sources" />`}
    <${ErrorNote} error=${list.error} title="Could not list the sources" />
    ${data?.count === 0 && html`<${Empty}>No sources yet: create one above, then point an SDK at this server with its write key.<//>`}
    ${data?.count > 0 && html`<table class="grid">
      <caption>Sources (${data.count})</caption>
      <thead><tr><th scope="col">Source</th><th scope="col">Mode</th><th scope="col">Plan</th><th scope="col" class="num">Events (24 h)</th>
        <th scope="col" class="num">Violations (24 h)</th><th scope="col" class="num">Outbox</th></tr></thead>
      <tbody>${data.data.map((s) => html`<tr>
        <th scope="row"><a href=${href(`/sources/${encodeURIComponent(s.name)}`)}>${s.name}</a></th>
        <td><${ModeBadge} mode=${s.mode} /></td>
        <td>${s.stats?.plan_name ? html`<a href=${href(`/plans/${encodeURIComponent(s.stats.plan_name)}`)}>${s.stats.plan_name}</a> ${s.plan_version ? html`<${Badge} tone="info" symbol="">pinned v${s.plan_version}<//>` : html`<span class="muted">latest</span>`}` : html`<span class="muted">none</span>`}</td>
        <td class="num"><a href=${href(`/sources/${encodeURIComponent(s.name)}/events`)}>${formatNumber(s.stats?.events_24h)}</a></td>
        <td class="num"><a href=${href(`/sources/${encodeURIComponent(s.name)}/violations`)}>${s.stats?.violations_24h ? html`<${Badge} tone="bad">${formatNumber(s.stats.violations_24h)}<//>` : '0'}</a></td>
        <td class="num">${formatNumber(s.stats?.outbox_depth)}${s.stats?.outbox_depth ? html` <span class="muted">(oldest ${age(s.stats.outbox_oldest_s)})</span>` : ''}</td>
      </tr>`)}</tbody></table>
    <${Pager} count=${data.count} limit=${LIMIT} offset=${offset} onOffset=${(o) => navigate('/sources', { offset: o })} />`}`;
}
