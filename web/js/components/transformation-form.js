// One transformation as a form: name, enabled, condition (kind, event), action and its parameters.
import { html, useState } from '../lib.js';
import { JsonField } from './json-field.js';
import { ActionButton, nextId } from './ui.js';

export const ACTIONS = {
  rename_event: ['to'], rename_property: ['from', 'to'], drop_property: ['path'], set_value: ['path', 'value'],
  map_value: ['path', 'mapping'], casing: ['path', 'to'], hash: ['path'], drop_event: [],
};
const JSON_PARAMS = new Set(['value', 'mapping']);
const CASINGS = ['lower', 'upper', 'snake', 'title', 'kebab'];
const KINDS = ['', 'track', 'identify', 'group', 'page', 'screen', 'alias'];

export function blank() {
  return { name: '', enabled: true, if: {}, action: 'rename_event', params: {} };
}

export function TransformationForm({ initial, submitLabel, onSubmit, onCancel }) {
  const [t, setT] = useState(() => ({ ...blank(), ...initial, if: { ...(initial?.if || {}) }, params: { ...(initial?.params || {}) } }));
  const [busy, setBusy] = useState(false);
  const [base] = useState(() => nextId('tf'));
  const set = (patch) => setT({ ...t, ...patch });
  const setParam = (key, value) => setT({ ...t, params: { ...t.params, [key]: value } });
  const submit = async (e) => {
    e.preventDefault();
    setBusy(true);
    const cond = Object.fromEntries(Object.entries(t.if).filter(([, v]) => v));
    const params = Object.fromEntries(ACTIONS[t.action].map((k) => [k, t.params[k]]));
    await onSubmit({ name: t.name, enabled: t.enabled, if: cond, action: t.action, params });
    setBusy(false);
  };
  const id = (k) => `${base}-${k}`;
  return html`<form class="stack transformation-form" onSubmit=${submit}>
    <div class="field"><label for=${id('name')}>Transformation name</label><input id=${id('name')} required value=${t.name} onInput=${(e) => set({ name: e.target.value })} /></div>
    <label class="check"><input type="checkbox" checked=${t.enabled} onChange=${(e) => set({ enabled: e.target.checked })} /> Enabled</label>
    <div class="filters">
      <div class="field"><label for=${id('kind')}>Only for calls of kind</label><select id=${id('kind')} value=${t.if.kind || ''} onChange=${(e) => set({ if: { ...t.if, kind: e.target.value } })}>
        ${KINDS.map((k) => html`<option value=${k}>${k || 'every kind'}</option>`)}</select></div>
      <div class="field"><label for=${id('event')}>Only for the event or name</label><input id=${id('event')} value=${t.if.event || ''} onInput=${(e) => set({ if: { ...t.if, event: e.target.value } })} /></div>
      <div class="field"><label for=${id('action')}>Action</label><select id=${id('action')} value=${t.action} onChange=${(e) => set({ action: e.target.value })}>
        ${Object.keys(ACTIONS).map((a) => html`<option value=${a}>${a}</option>`)}</select></div>
    </div>
    ${ACTIONS[t.action].map((key) => {
      if (JSON_PARAMS.has(key)) return html`<${JsonField} id=${id(key)} label=${`${key} (JSON)`} rows=${key === 'mapping' ? 3 : 1} value=${t.params[key]} onChange=${(v) => setParam(key, v)} />`;
      if (t.action === 'casing' && key === 'to') {
        return html`<div class="field"><label for=${id(key)}>to</label><select id=${id(key)} value=${t.params.to || ''} onChange=${(e) => setParam('to', e.target.value)}>
          <option value="">choose</option>${CASINGS.map((c) => html`<option value=${c}>${c}</option>`)}</select></div>`;
      }
      return html`<div class="field"><label for=${id(key)}>${key}</label><input id=${id(key)} value=${t.params[key] || ''} onInput=${(e) => setParam(key, e.target.value)} /></div>`;
    })}
    <p class="actions"><${ActionButton} need="editor" type="submit" kind="primary" busy=${busy}>${submitLabel}<//>
      ${onCancel && html`<button type="button" class="btn" onClick=${onCancel}>Cancel</button>`}</p>
  </form>`;
}
