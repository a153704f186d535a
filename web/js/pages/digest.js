// The daily digest: its settings (on or off, the UTC hour, recipients), a preview of what it would
// say now (the numbers of /sources/{source}/violations), and "send now".
import { api } from '../api.js';
import { html, useEffect, useState } from '../lib.js';
import { useLoad } from '../data.js';
import { setTitle } from '../components/layout.js';
import { ActionButton, Badge, Empty, ErrorNote, Loading, formatNumber } from '../components/ui.js';
import { href } from '../router.js';
import { AlertingHeader } from './channels.js';

function Settings({ settings, onSaved }) {
  const [form, setForm] = useState({ enabled: settings.enabled, hour: String(settings.hour), recipients: settings.recipients.join(', ') });
  const [state, setState] = useState({ busy: false, error: null, text: '' });
  const save = async (event) => {
    event.preventDefault();
    setState({ busy: true, error: null, text: '' });
    const body = { enabled: form.enabled, hour: Number(form.hour), recipients: form.recipients.split(/[\s,;]+/).filter(Boolean) };
    try { onSaved(await api.put('/digest', body)); setState({ busy: false, error: null, text: 'Saved the digest settings.' }); } catch (error) { setState({ busy: false, error, text: '' }); }
  };
  return html`<section aria-labelledby="dg-set"><h2 id="dg-set">Settings</h2>
    <form class="stack" onSubmit=${save}>
      <label class="check"><input type="checkbox" checked=${form.enabled} onChange=${(e) => setForm({ ...form, enabled: e.target.checked })} /> Send the digest every day</label>
      <div class="field"><label for="dg-hour">Hour (UTC)</label>
        <select id="dg-hour" value=${form.hour} onChange=${(e) => setForm({ ...form, hour: e.target.value })}>
          ${Array.from({ length: 24 }, (_, h) => html`<option value=${String(h)}>${String(h).padStart(2, '0')}:00 UTC</option>`)}</select></div>
      <div class="field"><label for="dg-to">Recipients</label>
        <input id="dg-to" value=${form.recipients} onInput=${(e) => setForm({ ...form, recipients: e.target.value })} />
        <span class="hint">Email addresses, separated by commas.</span></div>
      <${ActionButton} need="editor" type="submit" kind="primary" busy=${state.busy}>Save the digest settings<//>
    </form>
    <p role="status" aria-live="polite">${state.text}</p>
    <${ErrorNote} error=${state.error} title="Not saved" />
  </section>`;
}

function Preview({ preview }) {
  const noisy = preview.sources.filter((s) => s.violations);
  return html`<section aria-labelledby="dg-pre"><h2 id="dg-pre">Preview</h2>
    <p><strong>Daily digest: ${formatNumber(preview.total_violations)} violations on ${noisy.length} of ${preview.sources.length} sources</strong> (the last 24 hours, now).</p>
    ${preview.sources.length === 0 && html`<${Empty}>No sources.<//>`}
    ${preview.sources.map((s) => html`<table class="grid"><caption><a href=${href(`/sources/${encodeURIComponent(s.source)}/violations`, { window: '24h' })}>${s.source}</a>:
        ${formatNumber(s.violations)} violations in ${formatNumber(s.events)} events</caption>
      ${s.by_event.length > 0 && html`<thead><tr><th scope="col">Event</th><th scope="col" class="num">Violations</th><th scope="col" class="num">Events</th><th scope="col">Top fields</th></tr></thead>
      <tbody>${s.by_event.map((e) => html`<tr><th scope="row">${e.event || '(no event name)'}</th><td class="num">${formatNumber(e.violations)}</td>
        <td class="num">${formatNumber(e.events)}</td><td>${e.top.map((t) => `${t.field || '—'} ${t.type} ${t.count}`).join(', ')}</td></tr>`)}</tbody>`}
    </table>`)}
  </section>`;
}

function SendNow({ settings }) {
  const [to, setTo] = useState('');
  const [state, setState] = useState({ busy: false, error: null, result: null });
  const send = async () => {
    setState({ busy: true, error: null, result: null });
    try { setState({ busy: false, error: null, result: await api.post('/digest/send', undefined, { query: { to: to.trim() } }) }); } catch (error) { setState({ busy: false, error, result: null }); }
  };
  const result = state.result;
  return html`<section aria-labelledby="dg-send"><h2 id="dg-send">Send now</h2>
    <div class="field"><label for="dg-send-to">To (empty: the recipients above${settings.recipients.length ? `, ${settings.recipients.join(', ')}` : ''})</label>
      <input id="dg-send-to" type="email" value=${to} onInput=${(e) => setTo(e.target.value)} /></div>
    <${ActionButton} need="editor" busy=${state.busy} onClick=${send}>Send the digest now<//>
    <${ErrorNote} error=${state.error} title="Not sent" />
    ${result && html`<p class=${`note ${result.sent ? 'good' : 'error'}`} role="status">${result.sent
      ? html`<${Badge} tone="good">sent<//> to ${result.recipients.join(', ')}.` : html`<${Badge} tone="bad">not sent<//> ${result.error}`}</p>`}
  </section>`;
}

export function DigestPage() {
  const settings = useLoad(() => api.get('/digest'), []);
  const preview = useLoad(() => api.get('/digest/preview'), []);
  useEffect(() => setTitle('Daily digest'), []);
  return html`<${AlertingHeader} current="digest" title="Daily digest" />
    <p class="lede">Once a day, the violations of the last 24 hours per source and event, by email.</p>
    <${ErrorNote} error=${settings.error || preview.error} title="Could not load the digest" />
    ${(settings.loading && !settings.data) && html`<${Loading} what="Loading the digest settings" />`}
    ${settings.data && html`<${Settings} settings=${settings.data} onSaved=${(s) => settings.setData(s)} /><${SendNow} settings=${settings.data} />`}
    ${preview.data && html`<${Preview} preview=${preview.data} />`}`;
}
