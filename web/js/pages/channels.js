// Alert channels: create, edit and delete email, webhook and Slack channels; a webhook's signing
// secret is shown once with a copy button (and again only by rotating it); send a test alert and
// show what the receiver answered.
import { api, enc } from '../api.js';
import { html, useEffect, useState } from '../lib.js';
import { useLoad } from '../data.js';
import { SubNav, setTitle } from '../components/layout.js';
import { ActionButton, Badge, CopyButton, Empty, ErrorNote, Loading, formatTime, nextId } from '../components/ui.js';

const KINDS = [['webhook', 'Webhook (signed, Standard Webhooks)'], ['email', 'Email'], ['slack', 'Slack incoming webhook']];

export function AlertingHeader({ current, title }) {
  const items = [
    { key: 'channels', label: 'Channels', href: '#/channels' },
    { key: 'rules', label: 'Routing rules', href: '#/channels/rules' },
    { key: 'digest', label: 'Daily digest', href: '#/channels/digest' },
  ];
  return html`<h1>${title}</h1><${SubNav} label="Alerting screens" items=${items} current=${current} />`;
}

function configOf(kind, form) {
  if (kind === 'email') return { to: form.to.split(/[\s,;]+/).map((t) => t.trim()).filter(Boolean) };
  return { url: form.url.trim() };
}

function ConfigFields({ kind, form, setForm, prefix, editing }) {
  if (kind === 'email') {
    return html`<div class="field"><label for=${`${prefix}-to`}>Recipients</label>
      <input id=${`${prefix}-to`} value=${form.to} required onInput=${(e) => setForm({ ...form, to: e.target.value })} />
      <span class="hint">Email addresses, separated by commas; <code>owner</code> stands for the owner of the alert's event.</span></div>`;
  }
  const label = kind === 'slack' ? 'Slack webhook URL' : 'Webhook URL';
  return html`<div class="field"><label for=${`${prefix}-url`}>${label}</label>
    <input id=${`${prefix}-url`} type="url" value=${form.url} required=${!editing || kind !== 'slack'} onInput=${(e) => setForm({ ...form, url: e.target.value })} />
    ${kind === 'slack' && editing && html`<span class="hint">The stored URL is a credential and is not shown: leave empty to keep it.</span>`}</div>`;
}

function Secret({ secret, name }) {
  if (!secret) return null;
  return html`<div class="note good" role="status"><p>The signing secret of <strong>${name}</strong>, shown once: store it now in the receiver (it verifies the <code>webhook-signature</code> header).</p>
    <p><code class="secret" id="channel-secret">${secret}</code> <${CopyButton} text=${secret} label="Copy the signing secret" /></p></div>`;
}

function CreateChannel({ onCreated }) {
  const [kind, setKind] = useState('webhook');
  const [form, setForm] = useState({ name: '', url: '', to: '', enabled: true });
  const [state, setState] = useState({ busy: false, error: null, created: null });
  const submit = async (event) => {
    event.preventDefault();
    setState({ busy: true, error: null, created: null });
    try {
      const created = await api.post('/alert-channels', { name: form.name.trim(), kind, config: configOf(kind, form), enabled: form.enabled });
      setState({ busy: false, error: null, created });
      setForm({ name: '', url: '', to: '', enabled: true });
      onCreated();
    } catch (error) { setState({ busy: false, error, created: null }); }
  };
  return html`<details class="create" open=${Boolean(state.created)}><summary>Create a channel</summary>
    <form class="stack" onSubmit=${submit}>
      <div class="field"><label for="ch-name">Channel name</label><input id="ch-name" required value=${form.name} onInput=${(e) => setForm({ ...form, name: e.target.value })} /></div>
      <div class="field"><label for="ch-kind">Kind</label><select id="ch-kind" value=${kind} onChange=${(e) => setKind(e.target.value)}>
        ${KINDS.map(([k, text]) => html`<option value=${k}>${text}</option>`)}</select></div>
      <${ConfigFields} kind=${kind} form=${form} setForm=${setForm} prefix="ch-new" />
      <label class="check"><input type="checkbox" checked=${form.enabled} onChange=${(e) => setForm({ ...form, enabled: e.target.checked })} /> Enabled</label>
      <p><${ActionButton} need="admin" type="submit" kind="primary" busy=${state.busy}>Create channel<//></p>
    </form>
    <${ErrorNote} error=${state.error} title="Channel not created" />
    ${state.created && html`<p role="status">Created channel <strong>${state.created.name}</strong>.</p>`}
    <${Secret} secret=${state.created?.secret} name=${state.created?.name} />
  </details>`;
}

function TestResult({ result }) {
  if (!result) return null;
  const answered = result.status ? `answered ${result.status}` : result.ok ? 'accepted it' : 'did not answer';
  return html`<p class=${`note ${result.ok ? 'good' : 'error'}`} role="status">
    ${result.ok ? html`<${Badge} tone="good">delivered<//>` : html`<${Badge} tone="bad">not delivered<//>`}
    ${' '}The receiver ${answered}${result.error ? `: ${result.error}` : ''} (${Math.round(result.elapsed_ms)} ms).${result.disable ? ' The channel is now disabled (410 Gone).' : ''}</p>`;
}

function EditChannel({ channel, onSaved, onCancel }) {
  const [form, setForm] = useState({ name: channel.name, url: channel.kind === 'slack' ? '' : channel.config.url || '',
    to: (channel.config.to || []).join(', '), enabled: channel.enabled });
  const [state, setState] = useState({ busy: false, error: null });
  const [prefix] = useState(() => nextId('ch-edit'));
  const submit = async (event) => {
    event.preventDefault();
    setState({ busy: true, error: null });
    const keep = channel.kind === 'slack' && !form.url.trim();
    try {
      await api.patch(`/alert-channels/${enc(channel.id)}`, { name: form.name.trim(), enabled: form.enabled, ...(keep ? {} : { config: configOf(channel.kind, form) }) });
      onSaved(`Saved ${form.name.trim()}.`);
    } catch (error) { setState({ busy: false, error }); }
  };
  return html`<form class="stack edit-form" onSubmit=${submit} aria-label=${`Edit ${channel.name}`}>
    <div class="field"><label for=${`${prefix}-name`}>Channel name</label><input id=${`${prefix}-name`} required value=${form.name} onInput=${(e) => setForm({ ...form, name: e.target.value })} /></div>
    <${ConfigFields} kind=${channel.kind} form=${form} setForm=${setForm} prefix=${prefix} editing=${true} />
    <label class="check"><input type="checkbox" checked=${form.enabled} onChange=${(e) => setForm({ ...form, enabled: e.target.checked })} /> Enabled</label>
    <div class="actions"><${ActionButton} need="admin" type="submit" kind="primary" busy=${state.busy}>Save ${channel.name}<//>
      <button type="button" class="btn" onClick=${onCancel}>Cancel</button></div>
    <${ErrorNote} error=${state.error} title="Not saved" />
  </form>`;
}

function ChannelRow({ channel, onChanged }) {
  const [editing, setEditing] = useState(false);
  const [state, setState] = useState({ busy: null, error: null, result: null, secret: null, text: '' });
  const owner = channel.kind === 'email' && (channel.config.to || []).includes('owner');
  const [to, setTo] = useState('');
  const [toId] = useState(() => nextId('ch-to'));
  const act = async (what, fn) => {
    setState({ busy: what, error: null, result: null, secret: null, text: '' });
    try { setState({ busy: null, error: null, ...(await fn()) }); } catch (error) { setState({ busy: null, error, result: null, secret: null, text: '' }); }
  };
  const test = () => act('test', async () => ({ result: await api.post(`/alert-channels/${enc(channel.id)}/test`, owner && to ? { to } : undefined) }));
  const rotate = () => window.confirm(`Rotate the signing secret of ${channel.name}? The receiver must be given the new one.`)
    && act('rotate', async () => ({ secret: (await api.post(`/alert-channels/${enc(channel.id)}/rotate-secret`)).secret }));
  const remove = () => window.confirm(`Delete the channel ${channel.name}? Rules that name it stop sending to it.`)
    && act('delete', async () => { await api.del(`/alert-channels/${enc(channel.id)}`); onChanged(`Deleted ${channel.name}.`); return {}; });
  const where = channel.kind === 'email' ? (channel.config.to || []).join(', ') : channel.config.url;
  return html`<li class="channel" aria-labelledby=${`ch-${channel.id}`}>
    <h3 id=${`ch-${channel.id}`}>${channel.name} <span class="muted">${channel.kind}</span>
      ${channel.enabled ? html` <${Badge} tone="good">enabled<//>` : html` <${Badge} tone="bad">disabled<//>`}</h3>
    <p><code class="raw">${where}</code>${channel.kind === 'webhook' && html` <span class="muted">${channel.config.has_secret ? 'signed' : 'no secret'}</span>`}</p>
    ${channel.disabled_reason && html`<p class="muted">Disabled: ${channel.disabled_reason}</p>`}
    <p class="muted">Created ${formatTime(channel.created_at)}, changed ${formatTime(channel.updated_at)}</p>
    ${owner && html`<div class="field inline"><label for=${toId}>Send the test to</label><input id=${toId} type="email" value=${to} onInput=${(e) => setTo(e.target.value)} /></div>`}
    <div class="actions">
      <${ActionButton} need="editor" busy=${state.busy === 'test'} onClick=${test}>Send a test alert to ${channel.name}<//>
      <${ActionButton} need="admin" onClick=${() => setEditing(!editing)} aria-expanded=${editing ? 'true' : 'false'}>Edit ${channel.name}<//>
      ${channel.kind === 'webhook' && html`<${ActionButton} need="admin" busy=${state.busy === 'rotate'} onClick=${rotate}>Rotate the secret of ${channel.name}<//>`}
      <${ActionButton} need="admin" kind="danger" busy=${state.busy === 'delete'} onClick=${remove}>Delete ${channel.name}<//>
    </div>
    <${TestResult} result=${state.result} />
    <${Secret} secret=${state.secret} name=${channel.name} />
    <${ErrorNote} error=${state.error} title="Not done" />
    ${editing && html`<${EditChannel} channel=${channel} onCancel=${() => setEditing(false)} onSaved=${(text) => { setEditing(false); onChanged(text); }} />`}
  </li>`;
}

export function ChannelsPage() {
  const [stamp, setStamp] = useState(0);
  const [note, setNote] = useState('');
  const channels = useLoad(() => api.get('/alert-channels', { query: { limit: 500 } }), [stamp]);
  useEffect(() => setTitle('Alert channels'), []);
  const changed = (text) => { setNote(text || ''); setStamp((s) => s + 1); };
  const data = channels.data;
  return html`<${AlertingHeader} current="channels" title="Alert channels" />
    <p class="lede">Where alerts go. Routing rules decide which alerts reach which channel; an email channel addressed to <code>owner</code> also reaches each event's owner without a rule.</p>
    <${CreateChannel} onCreated=${() => changed('')} />
    <p role="status" aria-live="polite">${note}</p>
    <${ErrorNote} error=${channels.error} title="Could not list the channels" />
    ${channels.loading && !data && html`<${Loading} what="Loading the channels" />`}
    ${data?.count === 0 && html`<${Empty}>No channel yet: create one above.<//>`}
    ${data?.count > 0 && html`<ul class="plain channels">${data.data.map((c) => html`<${ChannelRow} key=${`${c.id}-${c.updated_at}`} channel=${c} onChanged=${changed} />`)}</ul>`}`;
}
