// API tokens (admin): create one (its secret is shown once, with a copy button), list them by
// prefix, revoke. The console itself signs in with one.
import { api, enc } from '../api.js';
import { html, useEffect, useState } from '../lib.js';
import { useLoad } from '../data.js';
import { setTitle } from '../components/layout.js';
import { Pager } from '../components/pager.js';
import { ActionButton, Badge, CopyButton, Empty, ErrorNote, Loading, formatTime } from '../components/ui.js';
import { can, denied, useMe } from '../session.js';
import { href, navigate } from '../router.js';

const LIMIT = 50;

function CreateToken({ onCreated }) {
  const [form, setForm] = useState({ name: '', role: 'viewer' });
  const [state, setState] = useState({ busy: false, error: null, created: null });
  const submit = async (event) => {
    event.preventDefault();
    setState({ busy: true, error: null, created: null });
    try {
      const created = await api.post('/tokens', { name: form.name.trim(), role: form.role });
      setState({ busy: false, error: null, created });
      setForm({ name: '', role: form.role });
      onCreated();
    } catch (error) { setState({ busy: false, error, created: null }); }
  };
  return html`<section aria-labelledby="tk-new"><h2 id="tk-new">Create a token</h2>
    <form class="filters" onSubmit=${submit}>
      <div class="field"><label for="tk-name">Token name</label><input id="tk-name" required maxlength="100" value=${form.name} onInput=${(e) => setForm({ ...form, name: e.target.value })} /></div>
      <div class="field"><label for="tk-role">Role</label><select id="tk-role" value=${form.role} onChange=${(e) => setForm({ ...form, role: e.target.value })}>
        <option value="viewer">viewer (reads)</option><option value="editor">editor (changes plans, sources, checks, alerts)</option><option value="admin">admin (tokens, channels, the audit log)</option></select></div>
      <div class="field"><${ActionButton} need="admin" type="submit" kind="primary" busy=${state.busy}>Create token<//></div>
    </form>
    <${ErrorNote} error=${state.error} title="Token not created" />
    ${state.created && html`<div class="note good" role="status"><p>Token <strong>${state.created.name}</strong> (${state.created.role}), shown once: store it now.</p>
      <p><code class="secret" id="new-token">${state.created.token}</code> <${CopyButton} text=${state.created.token} label="Copy the token" /></p></div>`}
  </section>`;
}

export function TokensPage({ query }) {
  const me = useMe();
  const admin = can(me, 'admin');
  const offset = Number(query.offset || 0);
  const [stamp, setStamp] = useState(0);
  const [state, setState] = useState({ error: null, text: '' });
  const tokens = useLoad(() => (admin ? api.get('/tokens', { query: { limit: LIMIT, offset } }) : null), [offset, stamp, admin]);
  useEffect(() => setTitle('API tokens'), []);
  if (!admin) return html`<h1>API tokens</h1><p class="note">${denied(me, 'admin')}</p>`;
  const revoke = async (t) => {
    if (!window.confirm(`Revoke the token ${t.name} (${t.prefix}…)? Whatever uses it gets 401.`)) return;
    try { await api.del(`/tokens/${enc(t.id)}`); setState({ error: null, text: `Revoked ${t.name}.` }); setStamp((s) => s + 1); } catch (error) { setState({ error, text: '' }); }
  };
  const data = tokens.data;
  return html`<h1>API tokens</h1>
    <p class="lede">Tokens for scripts, CI and the console. Stored hashed: a token is shown once, when it is created.</p>
    <${CreateToken} onCreated=${() => setStamp((s) => s + 1)} />
    <p role="status" aria-live="polite">${state.text}</p>
    <${ErrorNote} error=${tokens.error || state.error} title="Tokens" />
    ${tokens.loading && !data && html`<${Loading} what="Loading the tokens" />`}
    ${data?.count === 0 && html`<${Empty}>No tokens.<//>`}
    ${data?.count > 0 && html`<table class="grid"><caption>${data.count} token${data.count === 1 ? '' : 's'}, oldest first</caption>
      <thead><tr><th scope="col">Name</th><th scope="col">Role</th><th scope="col">Prefix</th><th scope="col">Created</th><th scope="col">State</th><th scope="col">Actions</th></tr></thead>
      <tbody>${data.data.map((t) => html`<tr>
        <th scope="row">${t.name}${t.id === me.token_id ? html` <span class="muted">(this session)</span>` : ''}</th><td>${t.role}</td><td><code>${t.prefix}…</code></td>
        <td>${formatTime(t.created_at)}</td>
        <td>${t.revoked_at ? html`<${Badge} tone="neutral" symbol="✕">revoked ${formatTime(t.revoked_at)}<//>` : html`<${Badge} tone="good">active<//>`}</td>
        <td class="actions">${!t.revoked_at && html`<${ActionButton} need="admin" kind="small danger" disabled=${t.id === me.token_id} reason="This is the token of this session: sign in with another one to revoke it"
          onClick=${() => revoke(t)}>Revoke ${t.name}<//>`}
          <a class="btn small" href=${href('/audit', { entity: 'token', entity_id: t.id })}>Audit of ${t.name}</a>
          <a class="btn small" href=${href('/audit', { actor: `token:${t.id}` })}>What ${t.name} did</a></td>
      </tr>`)}</tbody></table>
    <${Pager} count=${data.count} limit=${LIMIT} offset=${offset} onOffset=${(o) => navigate('/tokens', { offset: o })} />`}`;
}
