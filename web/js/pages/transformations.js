// A source's transformations in order: list, add, reorder, edit, enable, remove; and a preview of
// transformations + plan on a sample payload (nothing is stored or forwarded).
import { api, enc } from '../api.js';
import { html, useEffect, useState } from '../lib.js';
import { useLoad } from '../data.js';
import { setTitle } from '../components/layout.js';
import { SourceHeader } from '../components/source-header.js';
import { TransformationForm } from '../components/transformation-form.js';
import { ActionButton, Badge, Empty, ErrorNote, Loading } from '../components/ui.js';

const SAMPLE = JSON.stringify({ type: 'track', event: 'Completed Order', userId: 'u1', properties: { order_id: 'o1', total: 12 } }, null, 2);

function describe(t) {
  const where = [t.if?.kind, t.if?.event && `“${[].concat(t.if.event).join('”, “')}”`].filter(Boolean).join(' ');
  return `${t.action}${Object.keys(t.params || {}).length ? ` ${JSON.stringify(t.params)}` : ''}${where ? ` — only ${where}` : ' — every call'}`;
}

function Preview({ source }) {
  const [text, setText] = useState(SAMPLE);
  const [state, setState] = useState({ error: null, result: null, busy: false });
  const run = async () => {
    setState({ error: null, result: null, busy: true });
    try {
      setState({ error: null, result: await api.post(`/sources/${enc(source)}/preview`, JSON.parse(text)), busy: false });
    } catch (error) {
      setState({ error: error instanceof SyntaxError ? { code: 'invalid_json', message: error.message } : error, result: null, busy: false });
    }
  };
  return html`<section aria-labelledby="pv-h"><h2 id="pv-h">Preview on a sample payload</h2>
    <div class="field"><label for="pv-text">Sample message (JSON, or {"batch": [...]})</label>
      <textarea id="pv-text" class="mono" rows="8" value=${text} onInput=${(e) => setText(e.target.value)}></textarea></div>
    <button type="button" class="btn" onClick=${run} disabled=${state.busy}>Preview</button>
    <${ErrorNote} error=${state.error} title="Preview failed" />
    ${state.result && html`<div role="status"><p>Plan ${state.result.plan || '(none)'} v${state.result.plan_version ?? '—'}:</p>
      ${state.result.verdicts.map((v) => html`<div class="verdict-box"><p><${Badge} tone=${v.forwarded ? 'good' : 'bad'}>${v.outcome}<//> ${v.event || v.type}${v.reason ? ` (${v.reason})` : ''}</p>
        <pre class="json" tabindex="0" aria-label="The verdict as JSON">${JSON.stringify(v, null, 2)}</pre></div>`)}</div>`}
  </section>`;
}

export function TransformationsPage({ params }) {
  const name = params.source;
  const [stamp, setStamp] = useState(0);
  const list = useLoad(() => api.get(`/sources/${enc(name)}/transformations`), [name, stamp]);
  const [editing, setEditing] = useState(null);
  const [adding, setAdding] = useState(false);
  const [state, setState] = useState({ error: null, text: '' });
  useEffect(() => setTitle(`Transformations of ${name}`), [name]);
  const act = async (fn, text) => {
    try { await fn(); setState({ error: null, text }); setStamp((s) => s + 1); return true; } catch (error) { setState({ error, text: '' }); return false; }
  };
  const items = list.data || [];
  const move = (i, delta) => act(async () => {
    const order = [...items];
    [order[i], order[i + delta]] = [order[i + delta], order[i]];
    for (const [position, t] of order.entries()) {
      if (t.position !== position) await api.patch(`/sources/${enc(name)}/transformations/${enc(t.id)}`, { position });
    }
  }, `Moved “${items[i].name}” ${delta < 0 ? 'up' : 'down'}.`);
  return html`<${SourceHeader} name=${name} current="transformations" title=${`Transformations of ${name}`} />
    <p class="hint">Applied in this order to every message before the plan judges it (in shadow mode: judged, never forwarded changed).</p>
    <p role="status" aria-live="polite">${state.text}</p>
    <${ErrorNote} error=${state.error || list.error} title="Transformations" />
    ${list.loading && !list.data && html`<${Loading} what="Loading transformations" />`}
    ${list.data && items.length === 0 && html`<${Empty}>No transformations.<//>`}
    ${items.length > 0 && html`<ol class="transformations">${items.map((t, i) => html`<li key=${t.id}>
      ${editing === t.id ? html`<${TransformationForm} initial=${t} submitLabel="Save the transformation" onCancel=${() => setEditing(null)}
          onSubmit=${async (body) => { if (await act(() => api.patch(`/sources/${enc(name)}/transformations/${enc(t.id)}`, body), `Saved “${body.name}”.`)) setEditing(null); }} />`
        : html`<div class="row"><strong>${t.name}</strong> ${t.enabled ? html`<${Badge} tone="good">enabled<//>` : html`<${Badge} tone="neutral" symbol="⏸">disabled<//>`}
          <span class="muted">${describe(t)}</span></div>
          <div class="actions">
            <${ActionButton} need="editor" kind="small" disabled=${i === 0} reason="Already first" onClick=${() => move(i, -1)}>Move ${t.name} up<//>
            <${ActionButton} need="editor" kind="small" disabled=${i === items.length - 1} reason="Already last" onClick=${() => move(i, 1)}>Move ${t.name} down<//>
            <${ActionButton} need="editor" kind="small" onClick=${() => setEditing(t.id)}>Edit ${t.name}<//>
            <${ActionButton} need="editor" kind="small danger" onClick=${() => window.confirm(`Remove “${t.name}”?`) && act(() => api.del(`/sources/${enc(name)}/transformations/${enc(t.id)}`), `Removed “${t.name}”.`)}>Remove ${t.name}<//>
          </div>`}
    </li>`)}</ol>`}
    ${adding ? html`<section aria-labelledby="add-t-h"><h2 id="add-t-h">Add a transformation</h2><${TransformationForm} submitLabel="Add the transformation" onCancel=${() => setAdding(false)}
        onSubmit=${async (body) => { if (await act(() => api.post(`/sources/${enc(name)}/transformations`, body), `Added “${body.name}”.`)) setAdding(false); }} /></section>`
      : html`<p><${ActionButton} need="editor" onClick=${() => setAdding(true)}>Add a transformation<//></p>`}
    <${Preview} source=${name} />`;
}
