// Silences and maintenance windows (`/#/silences`): alerts their matchers accept are not notified
// while they are active; they keep firing and their page says which silence muted them. List them
// by state, create one ahead of time (matchers, a time range or a recurrence: an RFC 5545 RRULE with
// a duration and a time zone), expire one. The public REST API only: /api/v1/silences.
import { api, enc } from '../api.js';
import { html, useEffect, useState } from '../lib.js';
import { useLoad } from '../data.js';
import { setTitle } from '../components/layout.js';
import { Pager } from '../components/pager.js';
import { ActionButton, Badge, Empty, ErrorNote, Loading, formatNumber, formatTime } from '../components/ui.js';
import { href, navigate } from '../router.js';
import { can, useMe } from '../session.js';
import { Actor, useTokenNames } from './audit.js';

const LIMIT = 50;
const PATH = '/silences';
const NAMES = [['source', 'Source'], ['event', 'Event'], ['check_kind', 'Check kind'], ['check', 'Check (kind or id)'],
  ['owner', 'Owner'], ['severity', 'Severity'], ['field', 'Field'], ['labels.', 'Label…']];
const OPS = [['=', 'is'], ['!=', 'is not'], ['=~', 'matches'], ['!~', 'does not match']];
const TONES = { active: ['warn', 'z'], pending: ['info', '…'], expired: ['neutral', '✓'] };
const ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

export function SilenceState({ state }) {
  const [tone, symbol] = TONES[state] || ['neutral', ''];
  return html`<${Badge} tone=${tone} symbol=${symbol}>${state}<//>`;
}

export const matcherText = (m) => `${m.name}${m.op}"${m.value}"`;

function instant(local) {
  const date = local ? new Date(local) : null;
  return date && !Number.isNaN(date.getTime()) ? date.toISOString() : undefined;
}

function MatcherRow({ row, index, count, onChange, onRemove }) {
  const n = index + 1;
  const label = row.name.startsWith('labels.');
  return html`<fieldset class="matcher-row"><legend>Matcher ${n}</legend>
    <div class="field inline"><label for=${`sil-name-${n}`}>Label ${n}</label>
      <select id=${`sil-name-${n}`} value=${label ? 'labels.' : row.name} onChange=${(e) => onChange({ ...row, name: e.target.value })}>
        ${NAMES.map(([v, text]) => html`<option value=${v}>${text}</option>`)}</select></div>
    ${label && html`<div class="field inline"><label for=${`sil-key-${n}`}>Label key ${n}</label>
      <input id=${`sil-key-${n}`} value=${row.name.slice(7)} onInput=${(e) => onChange({ ...row, name: `labels.${e.target.value}` })} /></div>`}
    <div class="field inline"><label for=${`sil-op-${n}`}>Operator ${n}</label>
      <select id=${`sil-op-${n}`} value=${row.op} onChange=${(e) => onChange({ ...row, op: e.target.value })}>
        ${OPS.map(([v, text]) => html`<option value=${v}>${text} (${v})</option>`)}</select></div>
    <div class="field inline"><label for=${`sil-value-${n}`}>Value ${n}</label>
      <input id=${`sil-value-${n}`} value=${row.value} onInput=${(e) => onChange({ ...row, value: e.target.value })} /></div>
    ${count > 1 && html`<button type="button" class="btn" onClick=${onRemove}>Remove matcher ${n}</button>`}
  </fieldset>`;
}

function body(form) {
  const out = { matchers: form.matchers, comment: form.comment.trim() };
  if (form.starts) out.starts_at = instant(form.starts);
  if (form.repeat) {
    out.recurrence = { rrule: form.rrule.trim(), duration_minutes: Number(form.duration), timezone: form.zone.trim() || 'UTC' };
    if (form.ends) out.ends_at = instant(form.ends);
  } else if (form.ends) out.ends_at = instant(form.ends);
  return out;
}

function CreateSilence({ onCreated }) {
  const blank = { name: 'source', op: '=', value: '' };
  const [form, setForm] = useState({ matchers: [blank], comment: '', starts: '', ends: '', repeat: false,
    rrule: 'FREQ=WEEKLY;BYDAY=SU', duration: '120', zone: ZONE });
  const [state, setState] = useState({ busy: false, error: null, text: '' });
  const set = (patch) => setForm({ ...form, ...patch });
  const row = (i, value) => set({ matchers: form.matchers.map((m, j) => (j === i ? value : m)) });
  const submit = async (event) => {
    event.preventDefault();
    setState({ busy: true, error: null, text: '' });
    try {
      const created = await api.post('/silences', body(form));
      setState({ busy: false, error: null, text: `Created the silence ${created.id} (${created.state}).` });
      onCreated(created);
    } catch (error) { setState({ busy: false, error, text: '' }); }
  };
  return html`<details class="create" open><summary>Create a silence</summary>
    <form class="stack" aria-label="Create a silence" onSubmit=${submit}>
      <p class="hint">An alert is silenced when every matcher holds. Regular expressions match the whole value.</p>
      ${form.matchers.map((m, i) => html`<${MatcherRow} row=${m} index=${i} count=${form.matchers.length}
        onChange=${(v) => row(i, v)} onRemove=${() => set({ matchers: form.matchers.filter((_, j) => j !== i) })} />`)}
      <button type="button" class="btn" onClick=${() => set({ matchers: [...form.matchers, { ...blank }] })}>Add a matcher</button>
      <div class="field"><label for="sil-comment">Comment (why; shown on the alerts it silences)</label>
        <input id="sil-comment" required maxlength="2000" value=${form.comment} onInput=${(e) => set({ comment: e.target.value })} /></div>
      <div class="field"><label for="sil-starts">Starts (your local time; empty: now)</label>
        <input id="sil-starts" type="datetime-local" value=${form.starts} onInput=${(e) => set({ starts: e.target.value })} /></div>
      <div class="field"><label for="sil-ends">${form.repeat ? 'Last occurrence before (optional)' : 'Ends (your local time)'}</label>
        <input id="sil-ends" type="datetime-local" required=${!form.repeat} value=${form.ends} onInput=${(e) => set({ ends: e.target.value })} /></div>
      <label class="check"><input id="sil-repeat" type="checkbox" checked=${form.repeat} onChange=${(e) => set({ repeat: e.target.checked })} />
        Repeats (a recurring maintenance window or holiday)</label>
      ${form.repeat && html`<div class="field"><label for="sil-rrule">Recurrence rule (RFC 5545, e.g. FREQ=WEEKLY;BYDAY=SU or FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=25)</label>
          <input id="sil-rrule" required value=${form.rrule} onInput=${(e) => set({ rrule: e.target.value })} /></div>
        <div class="field"><label for="sil-duration">Each occurrence lasts (minutes)</label>
          <input id="sil-duration" type="number" min="1" required value=${form.duration} onInput=${(e) => set({ duration: e.target.value })} /></div>
        <div class="field"><label for="sil-zone">Time zone of the rule</label>
          <input id="sil-zone" required value=${form.zone} onInput=${(e) => set({ zone: e.target.value })} /></div>`}
      <${ActionButton} need="editor" type="submit" kind="primary" busy=${state.busy}>Create the silence<//>
    </form>
    <p role="status" aria-live="polite">${state.text}</p>
    <${ErrorNote} error=${state.error} title="Not created" />
  </details>`;
}

function Window({ silence: s }) {
  const w = s.current || s.next;
  if (!w) return html`<span class="muted">—</span>`;
  return html`${s.current ? 'now: ' : 'next: '}${formatTime(w.start)} – ${formatTime(w.end)}`;
}

export function SilencesPage({ query }) {
  const offset = Number(query.offset || 0);
  const [stamp, setStamp] = useState(0);
  const [note, setNote] = useState({ text: '', error: null });
  const list = useLoad(() => api.get('/silences', { query: { state: query.state, limit: LIMIT, offset } }), [query.state, offset, stamp]);
  const tokens = useTokenNames(can(useMe(), 'admin'));
  useEffect(() => setTitle('Silences'), []);
  const expire = async (s) => {
    try {
      await api.post(`/silences/${enc(s.id)}/expire`);
      setNote({ text: `Expired the silence ${s.id}.`, error: null });
      setStamp((n) => n + 1);
    } catch (error) { setNote({ text: '', error }); }
  };
  const data = list.data;
  return html`<h1>Silences</h1>
    <p class="muted">Alerts a silence matches keep firing and are recorded as silenced, but nobody is notified until it ends;
      they are notified then if they still fire. See also <a href=${href('/alerts')}>the alerts</a>.</p>
    <${CreateSilence} onCreated=${() => setStamp((n) => n + 1)} />
    <form class="filters" role="search" aria-label="Filter the silences" onSubmit=${(e) => e.preventDefault()}>
      <div class="field"><label for="sil-state">State</label>
        <select id="sil-state" value=${query.state || ''} onChange=${(e) => navigate(PATH, { state: e.target.value, offset: 0 }, { replace: true })}>
          <option value="">Every state</option><option value="active">Active</option><option value="pending">Pending</option><option value="expired">Expired</option></select></div>
    </form>
    <p role="status" aria-live="polite">${note.text}</p>
    <${ErrorNote} error=${note.error} title="Not expired" />
    <${ErrorNote} error=${list.error} title="Could not list the silences" />
    ${list.loading && !data && html`<${Loading} what="Loading the silences" />`}
    ${data?.count === 0 && html`<${Empty}>No silence matches.<//>`}
    ${data?.count > 0 && html`<table class="grid">
      <caption>${formatNumber(data.count)} silence${data.count === 1 ? '' : 's'}, newest first</caption>
      <thead><tr><th scope="col">Silence</th><th scope="col">State</th><th scope="col">Matchers</th><th scope="col">Window</th>
        <th scope="col">Repeats</th><th scope="col">Created by</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
      <tbody>${data.data.map((s) => html`<tr id=${`silence-${s.id}`}>
        <th scope="row">${s.comment}<br /><span class="muted">${s.id}</span></th>
        <td><${SilenceState} state=${s.state} /></td>
        <td>${s.matchers.map((m) => html`<code class="label">${matcherText(m)}</code> `)}</td>
        <td><${Window} silence=${s} /></td>
        <td>${s.recurrence ? html`<code>${s.recurrence.rrule}</code> for ${s.recurrence.duration_minutes} min (${s.recurrence.timezone})` : '—'}</td>
        <td><${Actor} actor=${s.created_by} tokens=${tokens} /></td>
        <td>${s.state !== 'expired' && html`<${ActionButton} need="editor" onClick=${() => expire(s)}>Expire<span class="visually-hidden"> ${s.id}</span><//>`}</td>
      </tr>`)}</tbody></table>
    <${Pager} count=${data.count} limit=${LIMIT} offset=${offset} onOffset=${(o) => navigate(PATH, { ...query, offset: o })} />`}`;
}
