// Write keys: create (the secret is shown once, with a copy button), rotate (a new key while the
// old ones stay valid until revoked), revoke.
import { api, enc } from '../api.js';
import { html, useState } from '../lib.js';
import { useLoad } from '../data.js';
import { ActionButton, Badge, CopyButton, ErrorNote, formatTime } from './ui.js';

export function WriteKeys({ source }) {
  const [stamp, setStamp] = useState(0);
  const keys = useLoad(() => api.get(`/sources/${enc(source)}/write-keys`), [source, stamp]);
  const [state, setState] = useState({ busy: false, error: null, created: null });
  const create = async () => {
    setState({ busy: true, error: null, created: null });
    try {
      const created = await api.post(`/sources/${enc(source)}/write-keys`);
      setState({ busy: false, error: null, created });
      setStamp((s) => s + 1);
    } catch (error) { setState({ busy: false, error, created: null }); }
  };
  const revoke = async (key) => {
    if (!window.confirm(`Revoke the write key ${key.prefix}…? SDKs still using it get 401.`)) return;
    try {
      await api.del(`/sources/${enc(source)}/write-keys/${enc(key.id)}`);
      setStamp((s) => s + 1);
    } catch (error) { setState({ busy: false, error, created: null }); }
  };
  const live = (keys.data || []).filter((k) => !k.revoked_at).length;
  return html`<section aria-labelledby="wk-h"><h2 id="wk-h">Write keys</h2>
    <p class="hint">To rotate: create a new key, move the SDKs to it, then revoke the old one (both work meanwhile).</p>
    <${ErrorNote} error=${keys.error || state.error} title="Write keys" />
    ${state.created && html`<div class="note good" role="status"><p>New write key, shown once: store it now.</p>
      <p><code class="secret" id="new-key">${state.created.write_key}</code> <${CopyButton} text=${state.created.write_key} label="Copy the write key" /></p></div>`}
    ${keys.data && html`<table class="grid"><caption>${live} active key${live === 1 ? '' : 's'}</caption>
      <thead><tr><th scope="col">Key</th><th scope="col">Created</th><th scope="col">State</th><th scope="col">Actions</th></tr></thead>
      <tbody>${keys.data.map((k) => html`<tr><th scope="row"><code>${k.prefix}…</code></th><td>${formatTime(k.created_at)}</td>
        <td>${k.revoked_at ? html`<${Badge} tone="neutral" symbol="✕">revoked ${formatTime(k.revoked_at)}<//>` : html`<${Badge} tone="good">active<//>`}</td>
        <td>${!k.revoked_at && html`<${ActionButton} need="editor" kind="small danger" onClick=${() => revoke(k)}>Revoke ${k.prefix}…<//>`}</td></tr>`)}</tbody></table>`}
    <${ActionButton} need="editor" busy=${state.busy} onClick=${create}>Create a write key<//>
  </section>`;
}
