// Create or edit a check made over REST: kind and source (on creation), event, severity, the
// hysteresis (`for`, `keep_firing_for`), and the kind's parameters in a form generated from its
// JSON Schema (GET /api/v1/checks/kinds).
import { api, enc } from '../api.js';
import { html, useState } from '../lib.js';
import { ActionButton, ErrorNote, nextId } from './ui.js';
import { SchemaForm, paramErrors } from './schema-form.js';

const num = (text) => (text === '' || text === undefined || text === null ? null : Number(text));

function initial(check, kinds) {
  return {
    kind: check?.kind || kinds[0]?.kind || '', source: '', event: check?.event || '', severity: check?.severity || 'warning',
    for: check ? String(check.for) : '', keep: check ? String(check.keep_firing_for) : '', enabled: check ? check.enabled : true,
    description: check?.description || '', params: check?.params || {},
  };
}

export function CheckForm({ check, kinds, sources, onSaved, onCancel }) {
  const [form, setForm] = useState(() => initial(check, kinds));
  const [state, setState] = useState({ busy: false, error: null });
  const [p] = useState(() => nextId('chk'));
  const kind = kinds.find((k) => k.kind === form.kind);
  const set = (patch) => setForm({ ...form, ...patch });
  const submit = async (event) => {
    event.preventDefault();
    setState({ busy: true, error: null });
    const common = { event: form.event.trim(), severity: form.severity, for: num(form.for), keep_firing_for: num(form.keep),
      enabled: form.enabled, description: form.description.trim() || null, params: form.params };
    try {
      const saved = check ? await api.patch(`/checks/${enc(check.id)}`, common)
        : await api.post('/checks', { ...common, kind: form.kind, source: form.source,
          for: common.for ?? undefined, keep_firing_for: common.keep_firing_for ?? undefined });
      setState({ busy: false, error: null });
      onSaved(saved);
    } catch (error) { setState({ busy: false, error }); }
  };
  return html`<form class="stack check-form" onSubmit=${submit} aria-label=${check ? `Edit check ${check.id}` : 'Create a check'}>
    ${!check && html`<div class="filters">
      <div class="field"><label for=${`${p}-kind`}>Kind</label>
        <select id=${`${p}-kind`} value=${form.kind} onChange=${(e) => set({ kind: e.target.value, params: {} })}>
          ${kinds.map((k) => html`<option value=${k.kind}>${k.kind}</option>`)}</select></div>
      <div class="field"><label for=${`${p}-source`}>Source</label>
        <select id=${`${p}-source`} value=${form.source} required onChange=${(e) => set({ source: e.target.value })}>
          <option value="">Choose a source</option>${sources.map((s) => html`<option value=${s.name}>${s.name}</option>`)}</select></div>
    </div>`}
    ${kind && html`<p class="hint">${kind.summary}${kind.needs_event ? ' (needs an event)' : ''}</p>`}
    <div class="bounds">
      <div class="field"><label for=${`${p}-event`}>Event${kind?.needs_event ? ' *' : ''}</label>
        <input id=${`${p}-event`} value=${form.event} required=${Boolean(kind?.needs_event)} onInput=${(e) => set({ event: e.target.value })} />
        <span class="hint">Empty: the whole source</span></div>
      <div class="field"><label for=${`${p}-severity`}>Severity</label>
        <select id=${`${p}-severity`} value=${form.severity} onChange=${(e) => set({ severity: e.target.value })}>
          <option value="info">info</option><option value="warning">warning</option><option value="critical">critical</option></select></div>
      <div class="field"><label for=${`${p}-for`}>Fire after (evaluations)</label>
        <input id=${`${p}-for`} type="number" min="1" value=${form.for} placeholder=${String(kind?.default_for ?? '')} onInput=${(e) => set({ for: e.target.value })} /></div>
      <div class="field"><label for=${`${p}-keep`}>Keep firing for (evaluations)</label>
        <input id=${`${p}-keep`} type="number" min="0" value=${form.keep} placeholder=${String(kind?.default_keep_firing_for ?? '')} onInput=${(e) => set({ keep: e.target.value })} /></div>
    </div>
    <div class="field"><label for=${`${p}-desc`}>Description</label><input id=${`${p}-desc`} value=${form.description} onInput=${(e) => set({ description: e.target.value })} /></div>
    <label class="check"><input type="checkbox" checked=${form.enabled} onChange=${(e) => set({ enabled: e.target.checked })} /> Enabled</label>
    ${kind && html`<fieldset><legend>Parameters of ${kind.kind}</legend>
      <${SchemaForm} key=${kind.kind} schema=${kind.params} value=${form.params} idPrefix=${`${p}-param`} errors=${paramErrors(state.error)} onChange=${(params) => set({ params })} /></fieldset>`}
    <div class="actions"><${ActionButton} need="editor" type="submit" kind="primary" busy=${state.busy}>${check ? 'Save the check' : 'Create the check'}<//>
      ${onCancel && html`<button type="button" class="btn" onClick=${onCancel}>Cancel</button>`}</div>
    <${ErrorNote} error=${state.error} title=${check ? 'Check not saved' : 'Check not created'} />
  </form>`;
}
