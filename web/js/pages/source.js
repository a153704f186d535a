// A source's settings: the plan binding (latest or pinned), the mode, the schema controls, write
// keys, the upstream and the allowed browser origins.
import { api, enc } from '../api.js';
import { html, useEffect, useState } from '../lib.js';
import { useLoad } from '../data.js';
import { setTitle } from '../components/layout.js';
import { SchemaControls } from '../components/schema-controls.js';
import { SourceHeader } from '../components/source-header.js';
import { ActionButton, ErrorNote, Loading } from '../components/ui.js';
import { WriteKeys } from '../components/write-keys.js';
import { SourceConnection } from '../components/source-connection.js';

function Binding({ source, onSaved }) {
  const plans = useLoad(() => api.get('/plans', { query: { limit: 500 } }), []);
  const current = (plans.data?.data || []).find((p) => p.id === source.plan_id);
  const [plan, setPlan] = useState(null);
  const [pin, setPin] = useState(source.plan_version ? String(source.plan_version) : '');
  const chosen = plan ?? current?.name ?? '';
  const versions = useLoad(() => (chosen ? api.get(`/plans/${enc(chosen)}/versions`, { query: { limit: 500 } }) : null), [chosen]);
  const [state, setState] = useState({ error: null, saved: false });
  const save = async () => {
    try {
      onSaved(await api.patch(`/sources/${enc(source.name)}`, { plan: chosen || null, plan_version: pin ? Number(pin) : null }));
      setState({ error: null, saved: true });
    } catch (error) { setState({ error, saved: false }); }
  };
  return html`<section aria-labelledby="bind-h"><h2 id="bind-h">Plan binding</h2>
    <div class="filters">
      <div class="field"><label for="bind-plan">Plan</label>
        <select id="bind-plan" value=${chosen} onChange=${(e) => { setPlan(e.target.value); setPin(''); }}>
          <option value="">No plan</option>${(plans.data?.data || []).map((p) => html`<option value=${p.name}>${p.name}</option>`)}</select></div>
      <div class="field"><label for="bind-pin">Version</label>
        <select id="bind-pin" value=${pin} onChange=${(e) => setPin(e.target.value)}>
          <option value="">Follow the latest</option>
          ${(versions.data?.data || []).map((v) => html`<option value=${String(v.version)}>Pin v${v.version}</option>`)}</select></div>
    </div>
    <${ActionButton} need="editor" onClick=${save}>Save the binding<//>
    ${state.saved && html`<span role="status"> Saved.</span>`}
    <${ErrorNote} error=${state.error} title="Binding not saved" />
  </section>`;
}

function Mode({ source, onSaved }) {
  const [state, setState] = useState({ error: null, text: '' });
  const set = async (mode) => {
    onSaved({ ...source, mode }); // shown at once, undone on error
    try {
      onSaved(await api.patch(`/sources/${enc(source.name)}`, { mode }));
      setState({ error: null, text: `Saved: the source is now in ${mode} mode.` });
    } catch (error) { onSaved(source); setState({ error, text: '' }); }
  };
  return html`<section aria-labelledby="mode-h"><h2 id="mode-h">Mode</h2>
    <fieldset class="window-picker"><legend>What the proxy does with what the plan refuses</legend>
      <label class="check"><input type="radio" name="mode" checked=${source.mode === 'enforce'} onChange=${() => set('enforce')} /> <strong>enforce</strong>: block and omit as the schema controls say</label>
      <label class="check"><input type="radio" name="mode" checked=${source.mode === 'shadow'} onChange=${() => set('shadow')} /> <strong>shadow</strong>: record what enforce would do, forward everything unchanged</label>
    </fieldset>
    <p role="status" aria-live="polite">${state.text}</p>
    <${ErrorNote} error=${state.error} title="Mode not changed" />
  </section>`;
}

export function SourcePage({ params }) {
  const name = params.source;
  const source = useLoad(() => api.get(`/sources/${enc(name)}`), [name]);
  useEffect(() => setTitle(`Source ${name}`), [name]);
  const s = source.data;
  const update = (next) => source.setData(next);
  return html`<${SourceHeader} name=${name} source=${s} current="settings" title=${`Source ${name}`} />
    ${source.loading && !s && html`<${Loading} what="Loading the source" />`}
    <${ErrorNote} error=${source.error} title="Could not open the source" />
    ${s && html`<div class="panels">
      <${Binding} source=${s} onSaved=${update} />
      <${Mode} source=${s} onSaved=${update} />
      <${SchemaControls} source=${name} settings=${s.settings} onChange=${(settings) => update({ ...s, settings })} />
      <${WriteKeys} source=${name} />
      <${SourceConnection} source=${s} onSaved=${update} />
    </div>`}`;
}
