// Privacy: regulations in Segment's vocabulary (suppress, delete, unsuppress by user id) with
// their status, and one regulation's receipt (what was done, when, rows each store gave up).
// Regulations name people, so the API answers admins only.
import { api, enc } from '../api.js';
import { html, useEffect, useState } from '../lib.js';
import { useLoad } from '../data.js';
import { setTitle } from '../components/layout.js';
import { Pager } from '../components/pager.js';
import { ActionButton, Badge, Empty, ErrorNote, Loading, formatNumber, formatTime } from '../components/ui.js';
import { href, navigate } from '../router.js';

const LIMIT = 50;
const TERMINAL = ['FINISHED', 'FAILED', 'PARTIAL_SUCCESS'];
const TYPES = [
  ['SUPPRESS_ONLY', 'Suppress: stop collecting their events'],
  ['SUPPRESS_WITH_DELETE', 'Suppress and delete: stop collecting and forget what is held'],
  ['DELETE_ONLY', 'Delete only: forget what is held, keep collecting'],
  ['UNSUPPRESS', 'Unsuppress: collect their events again'],
];
const TONES = { FINISHED: 'good', FAILED: 'bad', PARTIAL_SUCCESS: 'warn', RUNNING: 'info', INITIALIZED: 'neutral' };

export function StatusBadge({ status }) {
  return html`<${Badge} tone=${TONES[status] || 'neutral'} symbol=${status === 'INITIALIZED' ? '…' : undefined}>${status}<//>`;
}

const lines = (text) => text.split(/[\n,]/).map((s) => s.trim()).filter(Boolean);

function CreateRegulation({ onCreated }) {
  const sources = useLoad(() => api.get('/sources', { query: { limit: 500 } }), []);
  const channels = useLoad(() => api.get('/alert-channels', { query: { limit: 500 } }), []);
  const [form, setForm] = useState({ type: 'SUPPRESS_WITH_DELETE', subjects: '', sources: [], notify: [] });
  const [state, setState] = useState({ busy: false, error: null });
  const pick = (key, event) => setForm({ ...form, [key]: [...event.target.selectedOptions].map((o) => o.value) });
  const submit = async (event) => {
    event.preventDefault();
    setState({ busy: true, error: null });
    const body = { regulationType: form.type, subjectType: 'USER_ID', subjectIds: lines(form.subjects) };
    if (form.sources.length) body.sourceIds = form.sources;
    if (form.notify.length) body.notify = form.notify;
    try {
      const created = await api.post('/regulations', body);
      setState({ busy: false, error: null });
      onCreated(created);
    } catch (error) { setState({ busy: false, error }); }
  };
  const hooks = (channels.data?.data || []).filter((c) => c.kind === 'webhook');
  return html`<details class="create" open><summary>Create a regulation</summary>
    <form class="stack" onSubmit=${submit}>
      <div class="field"><label for="reg-type">Regulation</label>
        <select id="reg-type" value=${form.type} onChange=${(e) => setForm({ ...form, type: e.target.value })}>
          ${TYPES.map(([value, label]) => html`<option value=${value}>${label}</option>`)}</select></div>
      <div class="field"><label for="reg-subjects">User ids (or anonymous ids), one per line</label>
        <textarea id="reg-subjects" rows="4" required value=${form.subjects}
          onInput=${(e) => setForm({ ...form, subjects: e.target.value })}></textarea></div>
      <div class="field"><label for="reg-sources">Sources (none chosen: every source)</label>
        <select id="reg-sources" multiple size="3" onChange=${(e) => pick('sources', e)}>
          ${(sources.data?.data || []).map((s) => html`<option value=${s.id}>${s.name}</option>`)}</select></div>
      <div class="field"><label for="reg-notify">Send regulation.created to (webhook channels)</label>
        <select id="reg-notify" multiple size="2" onChange=${(e) => pick('notify', e)}>
          ${hooks.map((c) => html`<option value=${c.id}>${c.name}</option>`)}</select></div>
      <${ActionButton} need="admin" type="submit" kind="primary" busy=${state.busy}>Create the regulation<//>
    </form>
    <${ErrorNote} error=${state.error} title="Not created" />
  </details>`;
}

export function PrivacyPage({ query }) {
  const offset = Number(query.offset || 0);
  const [stamp, setStamp] = useState(0);
  const list = useLoad(() => api.get('/regulations', { query: { limit: LIMIT, offset } }), [offset, stamp]);
  useEffect(() => setTitle('Privacy'), []);
  const data = list.data;
  const created = (regulation) => { setStamp((s) => s + 1); navigate(`/privacy/${enc(regulation.id)}`); };
  return html`<h1>Privacy</h1>
    <p class="muted">Suppressions are in force on every web process within a second; deletions are purged by the worker.</p>
    <${CreateRegulation} onCreated=${created} />
    ${list.loading && !data && html`<${Loading} what="Loading regulations" />`}
    <${ErrorNote} error=${list.error} title="Could not list the regulations" />
    ${data?.count === 0 && html`<${Empty}>No regulations yet.<//>`}
    ${data?.count > 0 && html`<table class="grid">
      <caption>Regulations (${data.count})</caption>
      <thead><tr><th scope="col">Regulation</th><th scope="col">Type</th><th scope="col" class="num">Subjects</th>
        <th scope="col">Sources</th><th scope="col">Status</th><th scope="col">Created</th></tr></thead>
      <tbody>${data.data.map((r) => html`<tr>
        <th scope="row"><a href=${href(`/privacy/${enc(r.id)}`)}>${r.id}</a></th>
        <td>${r.regulationType}</td><td class="num">${formatNumber(r.subjectIds.length)}</td>
        <td>${r.sourceIds ? r.sourceIds.join(', ') : html`<span class="muted">every source</span>`}</td>
        <td><${StatusBadge} status=${r.overallStatus} /></td><td>${formatTime(r.createdAt)}</td>
      </tr>`)}</tbody></table>
    <${Pager} count=${data.count} limit=${LIMIT} offset=${offset} onOffset=${(o) => navigate('/privacy', { offset: o })} />`}`;
}

function detail(step) {
  return Object.entries(step).filter(([k]) => k !== 'at' && k !== 'action')
    .map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(', ') : v === null ? 'every source' : v}`).join(' · ');
}

export function RegulationPage({ params }) {
  const [tick, setTick] = useState(0);
  const one = useLoad(() => api.get(`/regulations/${enc(params.regulation)}`), [params.regulation, tick]);
  const r = one.data;
  useEffect(() => setTitle(`Regulation ${params.regulation}`), [params.regulation]);
  useEffect(() => {  // follow a deletion until it is done
    if (!r || TERMINAL.includes(r.overallStatus)) return undefined;
    const timer = setTimeout(() => setTick((t) => t + 1), 1000);
    return () => clearTimeout(timer);
  }, [r]);
  const deleted = Object.entries(r?.receipt?.deleted || {});
  return html`<h1>Regulation ${params.regulation}</h1>
    <p><a href=${href('/privacy')}>All regulations</a></p>
    ${one.loading && !r && html`<${Loading} what="Loading the regulation" />`}
    <${ErrorNote} error=${one.error} title="Could not load the regulation" />
    ${r && html`<table class="grid"><caption>The regulation</caption><tbody>
        <tr><th scope="row">Type</th><td>${r.regulationType}</td></tr>
        <tr><th scope="row">Status</th><td><${StatusBadge} status=${r.overallStatus} />${r.error ? html` <span>${r.error}</span>` : ''}</td></tr>
        <tr><th scope="row">Subjects</th><td>${r.subjectIds.join(', ')}</td></tr>
        <tr><th scope="row">Sources</th><td>${r.sourceIds ? r.sourceIds.join(', ') : 'every source'}</td></tr>
        <tr><th scope="row">Requested</th><td>${formatTime(r.createdAt)} by ${r.actor}</td></tr>
        <tr><th scope="row">Finished</th><td>${formatTime(r.finishedAt)}</td></tr>
      </tbody></table>
      ${deleted.length > 0 && html`<table class="grid"><caption>Rows each store gave up</caption>
        <thead><tr><th scope="col">Store</th><th scope="col" class="num">Rows deleted</th></tr></thead>
        <tbody>${deleted.map(([store, rows]) => html`<tr><th scope="row">${store}</th><td class="num">${formatNumber(rows)}</td></tr>`)}</tbody></table>`}
      <h2>Receipt</h2>
      <ol>${(r.receipt.steps || []).map((s) => html`<li><time datetime=${s.at}>${formatTime(s.at)}</time> <strong>${s.action}</strong> <span class="muted">${detail(s)}</span></li>`)}</ol>
      ${r.receipt.kept && html`<p class="muted">Kept: ${r.receipt.kept}</p>`}`}`;
}
