// Where a source forwards to (its upstream and the write key sent there, never shown back) and which
// browser origins may send to it.
import { api, enc } from '../api.js';
import { html, useState } from '../lib.js';
import { ActionButton, ErrorNote } from './ui.js';

export function SourceConnection({ source, onSaved }) {
  const [url, setUrl] = useState(source.upstream_url || '');
  const [key, setKey] = useState('');
  const [origins, setOrigins] = useState((source.allowed_origins || []).join('\n'));
  const [state, setState] = useState({ error: null, text: '' });
  const patch = async (body, text) => {
    try {
      onSaved(await api.patch(`/sources/${enc(source.name)}`, body));
      setState({ error: null, text });
      setKey('');
    } catch (error) { setState({ error, text: '' }); }
  };
  const saveUpstream = () => patch({ upstream_url: url.trim() || null, ...(key ? { upstream_write_key: key } : {}) }, 'Saved the upstream.');
  const list = origins.split('\n').map((o) => o.trim()).filter(Boolean);
  const supportsOrigins = 'allowed_origins' in source;
  return html`<section aria-labelledby="up-h"><h2 id="up-h">Upstream</h2><form onSubmit=${(e) => { e.preventDefault(); saveUpstream(); }}>
      <div class="field"><label for="up-url">Upstream URL</label>
        <input id="up-url" type="url" value=${url} placeholder="https://api.segment.io" onInput=${(e) => setUrl(e.target.value)} /></div>
      <div class="field"><label for="up-key">Upstream write key</label>
        <input id="up-key" type="password" autocomplete="off" value=${key} onInput=${(e) => setKey(e.target.value)} aria-describedby="up-key-h" />
        <p id="up-key-h" class="hint">${source.has_upstream_write_key ? 'A key is set; it is never shown. Type a new one to replace it.' : 'No key is set.'}</p></div>
      <${ActionButton} need="editor" type="submit">Save the upstream<//>
    </form></section>
    <section aria-labelledby="orig-h"><h2 id="orig-h">Allowed browser origins</h2>
      ${supportsOrigins ? html`<div class="field"><label for="orig-list">Origins allowed to send with this source's write keys (one per line; empty: any origin)</label>
          <textarea id="orig-list" rows="3" value=${origins} onInput=${(e) => setOrigins(e.target.value)}></textarea></div>
        <${ActionButton} need="editor" onClick=${() => patch({ allowed_origins: list.length ? list : null }, 'Saved the allowed origins.')}>Save the origins<//>`
        : html`<p>Any origin may send to this source: this server does not restrict browser origins per source.</p>`}
    </section>
    <p role="status" aria-live="polite">${state.text}</p>
    <${ErrorNote} error=${state.error} title="Not saved" />`;
}
