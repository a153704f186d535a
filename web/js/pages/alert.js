// One alert (`/#/alerts/{id}`, the link in alert emails and webhooks): what fired, where, since
// when, its history and the notifications sent; acknowledge (no more repeats) or withdraw it;
// snooze for a chosen time (nothing is sent meanwhile) or end the snooze.
import { api } from '../api.js';
import { html, useEffect, useState } from '../lib.js';
import { useLoad } from '../data.js';
import { AlertState, SeverityBadge } from '../components/alert-bits.js';
import { setTitle } from '../components/layout.js';
import { ActionButton, Badge, ErrorNote, Loading, formatTime, nextId } from '../components/ui.js';
import { href } from '../router.js';
import { can, useMe } from '../session.js';
import { Actor, useTokenNames } from './audit.js';

const SNOOZES = [[15, '15 minutes'], [60, '1 hour'], [240, '4 hours'], [1440, '1 day'], [10080, '1 week']];

function value(v) {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'object') return html`<code>${JSON.stringify(v)}</code>`;
  if (typeof v === 'number') return Number.isInteger(v) ? v.toLocaleString() : v.toLocaleString(undefined, { maximumFractionDigits: 3 });
  return String(v);
}

function Facts({ alert, tokens }) {
  const labels = Object.entries(alert.labels || {});
  return html`<dl class="facts-grid">
    <div><dt>Check</dt><dd><a href=${href(`/checks/${encodeURIComponent(alert.check_id)}`)}>${alert.check_kind}</a> <span class="muted">${alert.check_id}</span></dd></div>
    <div><dt>Source</dt><dd><a href=${href(`/sources/${encodeURIComponent(alert.source)}/events`)}>${alert.source}</a></dd></div>
    <div><dt>Event</dt><dd>${alert.event || html`<span class="muted">the whole source</span>`}</dd></div>
    <div><dt>Field</dt><dd>${alert.field ? html`<code>${alert.field}</code>` : '—'}</dd></div>
    <div><dt>Since</dt><dd>${formatTime(alert.since || alert.started_at)}${alert.since && alert.since !== alert.started_at ? html` <span class="muted">(estimated onset; detected ${formatTime(alert.started_at)})</span>` : ''}</dd></div>
    <div><dt>${alert.resolved_at ? 'Resolved' : 'Last firing'}</dt><dd>${formatTime(alert.resolved_at || alert.last_firing_at)}</dd></div>
    <div><dt>Owner</dt><dd>${alert.owner || '—'}</dd></div>
    <div><dt>Labels</dt><dd>${labels.length ? labels.map(([k, v]) => html`<span class="label">${k}: ${v}</span>`) : '—'}</dd></div>
    ${alert.acked_at && html`<div><dt>Acknowledged</dt><dd>${formatTime(alert.acked_at)} by <${Actor} actor=${alert.acked_by} tokens=${tokens} /></dd></div>`}
    ${alert.snoozed_until && html`<div><dt>Snoozed until</dt><dd>${formatTime(alert.snoozed_until)} by <${Actor} actor=${alert.snoozed_by} tokens=${tokens} /></dd></div>`}
    ${alert.silenced_by?.length > 0 && html`<div><dt>Silenced by</dt><dd>${alert.silenced_by.map((s, i) => html`${i ? ', ' : ''}<a href=${href('/silences', { state: s.state || '' })}>${s.comment || s.id}</a> <span class="muted">${s.id}${s.ends_at ? `, until ${formatTime(s.ends_at)}` : ''}</span>`)}</dd></div>`}
    ${alert.inhibited_by?.length > 0 && html`<div><dt>Inhibited by</dt><dd>${alert.inhibited_by.map((id, i) => html`${i ? ', ' : ''}<a href=${href(`/alerts/${id}`)}>alert #${id}</a>`)}</dd></div>`}
    ${alert.correlated_with && html`<div><dt>Same root as</dt><dd><a href=${href(`/alerts/${alert.correlated_with}`)}>alert #${alert.correlated_with}</a></dd></div>`}
  </dl>`;
}

function Actions({ alert, onChange }) {
  const [minutes, setMinutes] = useState('60');
  const [comment, setComment] = useState('');
  const [state, setState] = useState({ busy: null, error: null, text: '' });
  const [ids] = useState(() => ({ comment: nextId('al-comment'), snooze: nextId('al-snooze') }));
  const act = async (what, fn, text) => {
    setState({ busy: what, error: null, text: '' });
    try { onChange(await fn()); setState({ busy: null, error: null, text }); } catch (error) { setState({ busy: null, error, text: '' }); }
  };
  const body = comment.trim() ? { comment: comment.trim() } : undefined;
  const snoozed = alert.snoozed_until && new Date(alert.snoozed_until).getTime() > Date.now();
  const label = SNOOZES.find(([m]) => String(m) === minutes)?.[1] || `${minutes} minutes`;
  return html`<section aria-labelledby="al-act"><h2 id="al-act">Acknowledge or snooze</h2>
    <p class="hint">Acknowledging stops the repeats of a firing alert (its resolution is still sent); a snooze sends nothing about it until it ends.</p>
    <div class="field"><label for=${ids.comment}>Comment (optional, kept in the history)</label>
      <input id=${ids.comment} value=${comment} maxlength="1000" onInput=${(e) => setComment(e.target.value)} /></div>
    <div class="actions">
      ${alert.acked_at
        ? html`<${ActionButton} need="editor" busy=${state.busy === 'unack'} onClick=${() => act('unack', () => api.del(`/alerts/${alert.id}/ack`), 'Acknowledgement withdrawn: repeats resume.')}>Withdraw the acknowledgement<//>`
        : html`<${ActionButton} need="editor" kind="primary" busy=${state.busy === 'ack'} onClick=${() => act('ack', () => api.post(`/alerts/${alert.id}/ack`, body), 'Acknowledged: no more repeats.')}>Acknowledge<//>`}
    </div>
    <div class="actions snooze-row">
      <div class="field inline"><label for=${ids.snooze}>Snooze for</label>
        <select id=${ids.snooze} value=${minutes} onChange=${(e) => setMinutes(e.target.value)}>
          ${SNOOZES.map(([m, text]) => html`<option value=${String(m)}>${text}</option>`)}</select></div>
      <${ActionButton} need="editor" busy=${state.busy === 'snooze'} onClick=${() => act('snooze', () => api.post(`/alerts/${alert.id}/snooze`, { minutes: Number(minutes), ...(body || {}) }), `Snoozed for ${label}.`)}>Snooze<//>
      ${snoozed && html`<${ActionButton} need="editor" busy=${state.busy === 'unsnooze'} onClick=${() => act('unsnooze', () => api.del(`/alerts/${alert.id}/snooze`), 'Snooze ended.')}>End the snooze<//>`}
    </div>
    <p role="status" aria-live="polite">${state.text}</p>
    <${ErrorNote} error=${state.error} title="Not done" />
  </section>`;
}

function History({ history, channels, tokens }) {
  const detail = (k, v) => (k === 'channel_id' ? html`<span class="kv">channel: ${channels.get(v)?.name || v}</span> ` : html`<span class="kv">${k}: ${value(v)}</span> `);
  return html`<section aria-labelledby="al-hist"><h2 id="al-hist">History</h2>
    <table class="grid"><caption>What happened to this alert, oldest first</caption>
      <thead><tr><th scope="col">When</th><th scope="col">What</th><th scope="col">Who</th><th scope="col">Details</th></tr></thead>
      <tbody>${history.map((h) => html`<tr><th scope="row">${formatTime(h.at)}</th><td>${h.action}</td><td><${Actor} actor=${h.actor} tokens=${tokens} /></td>
        <td>${Object.entries(h.details || {}).filter(([, v]) => v !== null).map(([k, v]) => detail(k, v))}</td></tr>`)}</tbody>
    </table></section>`;
}

function Notifications({ notifications, channels }) {
  const sent = notifications.filter((n) => !n.route);
  const routes = notifications.filter((n) => n.route);
  const name = (id) => channels.get(id)?.name || id;
  return html`<section aria-labelledby="al-notes"><h2 id="al-notes">Notifications</h2>
    ${routes.length > 0 && html`<p>Routed to ${routes.map((r, i) => html`${i ? ', ' : ''}<a href=${href('/channels')}>${name(r.channel_id)}</a>${r.recipient ? ` (${r.recipient})` : ''}`)}.</p>`}
    ${sent.length === 0 ? html`<p class="state empty">No notification sent yet (a new group waits for its group wait).</p>` : html`<table class="grid">
      <caption>${sent.length} notification${sent.length === 1 ? '' : 's'} about this alert</caption>
      <thead><tr><th scope="col">Created</th><th scope="col">Channel</th><th scope="col">About</th><th scope="col">Delivery</th><th scope="col" class="num">Tries</th><th scope="col">Sent</th></tr></thead>
      <tbody>${sent.map((n) => html`<tr><th scope="row">${formatTime(n.created_at)}</th><td>${name(n.channel_id)}</td><td>${n.status}</td>
        <td>${n.state === 'sent' ? html`<${Badge} tone="good">sent<//>` : n.state === 'failed' ? html`<${Badge} tone="bad">failed<//>` : html`<${Badge} tone="warn">${n.state}<//>`}
          ${n.last_error && html` <span class="muted">${n.last_error}</span>`}</td>
        <td class="num">${n.attempts}</td><td>${formatTime(n.sent_at)}</td></tr>`)}</tbody></table>`}
  </section>`;
}

export function AlertPage({ params }) {
  const id = params.alert;
  const alert = useLoad(() => api.get(`/alerts/${encodeURIComponent(id)}`), [id]);
  const channels = useLoad(() => api.get('/alert-channels', { query: { limit: 500 } }), []);
  const tokens = useTokenNames(can(useMe(), 'admin'));
  useEffect(() => setTitle(`Alert ${id}`), [id]);
  const a = alert.data;
  const byId = new Map((channels.data?.data || []).map((c) => [c.id, c]));
  return html`<p class="crumbs"><a href="#/alerts">Alerts</a> / #${id}</p>
    <h1>${a ? a.title : `Alert ${id}`}</h1>
    <${ErrorNote} error=${alert.error} title="Could not open the alert" />
    ${alert.loading && !a && html`<${Loading} what="Loading the alert" />`}
    ${a && html`<p><${SeverityBadge} severity=${a.severity} /> <${AlertState} alert=${a} /></p>
      <p class="lede summary">${a.summary}</p>
      <${Facts} alert=${a} tokens=${tokens} />
      ${Object.keys(a.details || {}).length > 0 && html`<details><summary>What the check measured</summary>
        <dl class="facts-grid">${Object.entries(a.details).map(([k, v]) => html`<div><dt>${k}</dt><dd>${value(v)}</dd></div>`)}</dl></details>`}
      <${Actions} alert=${a} onChange=${() => alert.reload()} />
      <${History} history=${a.history || []} channels=${byId} tokens=${tokens} />
      <${Notifications} notifications=${a.notifications || []} channels=${byId} />`}`;
}
