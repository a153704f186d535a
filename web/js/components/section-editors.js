// Editors for the parts of a plan besides its events: the plan's own settings, identify and group
// traits, page and screen (default and per name), and the common schema.
import { html, useState } from '../lib.js';
import { setIn } from '../plan-doc.js';
import { JsonField } from './json-field.js';
import { PropertiesEditor } from './property-editor.js';

const MODES = ['NONE', 'BACKWARD', 'BACKWARD_TRANSITIVE', 'FORWARD', 'FORWARD_TRANSITIVE', 'FULL', 'FULL_TRANSITIVE'];

function Text({ id, label, value, onInput, area }) {
  return html`<div class="field"><label for=${id}>${label}</label>
    ${area ? html`<textarea id=${id} rows="2" value=${value || ''} onInput=${(e) => onInput(e.target.value || undefined)}></textarea>`
      : html`<input id=${id} value=${value || ''} onInput=${(e) => onInput(e.target.value || undefined)} />`}</div>`;
}

function Choice({ id, label, value, options, onChange }) {
  return html`<div class="field"><label for=${id}>${label}</label>
    <select id=${id} value=${value} onChange=${(e) => onChange(e.target.value || undefined)}>
      ${options.map(([v, text]) => html`<option value=${v}>${text}</option>`)}</select></div>`;
}

export function PlanSettingsEditor({ doc, onChange }) {
  const set = (keys, value) => onChange(setIn(doc, keys, value));
  return html`<section class="editor" aria-labelledby="ps-h"><h2 id="ps-h">Plan settings</h2>
    <p class="muted">Name: <code>${doc.name}</code> (a plan's name does not change).</p>
    <${Text} id="ps-display" label="Display name" value=${doc.display_name} onInput=${(v) => set(['display_name'], v)} />
    <${Text} id="ps-desc" label="Description" area value=${doc.description} onInput=${(v) => set(['description'], v)} />
    <${Text} id="ps-owner" label="Owner" value=${doc.owner} onInput=${(v) => set(['owner'], v)} />
    <${Choice} id="ps-compat" label="Compatibility mode" value=${doc.compatibility || ''}
      options=${[['', 'the plan\'s current mode'], ...MODES.map((m) => [m, m])]} onChange=${(v) => set(['compatibility'], v)} />
    <${Choice} id="ps-fallback" label="Event version when a message names none" value=${doc.event_version_fallback || 'latest'}
      options=${[['latest', 'latest'], ['oldest', 'oldest (Segment)'], ['any', 'any live version']]}
      onChange=${(v) => set(['event_version_fallback'], v === 'latest' ? undefined : v)} />
    <${Choice} id="ps-ne" label="Event naming convention" value=${doc.naming?.events || 'object_action_title'}
      options=${[['object_action_title', 'Object Action (Title Case)'], ['snake_case', 'snake_case'], ['camelCase', 'camelCase'], ['any', 'any']]}
      onChange=${(v) => set(['naming', 'events'], v === 'object_action_title' ? undefined : v)} />
    <${Choice} id="ps-np" label="Property naming convention" value=${doc.naming?.properties || 'snake_case'}
      options=${[['snake_case', 'snake_case'], ['camelCase', 'camelCase'], ['any', 'any']]}
      onChange=${(v) => set(['naming', 'properties'], v === 'snake_case' ? undefined : v)} />
    <details class="advanced"><summary>Plan checks (JSON)</summary>
      <${JsonField} id="ps-checks" label="Checks" rows=${4} value=${doc.checks} path="checks" onChange=${(v) => set(['checks'], v)} /></details>
  </section>`;
}

export function TraitsEditor({ kind, doc, onChange }) {
  const spec = doc[kind] || {};
  const set = (keys, value) => onChange(setIn(doc, [kind, ...keys], value));
  const title = kind === 'identify' ? 'Identify traits' : 'Group traits';
  return html`<section class="editor" aria-labelledby=${`${kind}-h`}><h2 id=${`${kind}-h`}>${title}</h2>
    <${Text} id=${`${kind}-desc`} label="Description" area value=${spec.description} onInput=${(v) => set(['description'], v)} />
    <${Text} id=${`${kind}-owner`} label="Owner" value=${spec.owner} onInput=${(v) => set(['owner'], v)} />
    <h3>Traits</h3>
    <${PropertiesEditor} noun="trait" value=${spec.traits} loc=${[kind, 'traits']} onChange=${(t) => set(['traits'], t)} />
  </section>`;
}

export function ViewEditor({ kind, doc, onChange }) {
  const spec = doc[kind] || {};
  const set = (keys, value) => onChange(setIn(doc, [kind, ...keys], value));
  const [name, setName] = useState('');
  const title = kind === 'page' ? 'Page' : 'Screen';
  return html`<section class="editor" aria-labelledby=${`${kind}-h`}><h2 id=${`${kind}-h`}>${title} calls</h2>
    <${Text} id=${`${kind}-desc`} label="Description" area value=${spec.description} onInput=${(v) => set(['description'], v)} />
    <h3>Default properties (every ${kind})</h3>
    <${PropertiesEditor} value=${spec.properties} loc=${[kind, 'properties']} onChange=${(p) => set(['properties'], p)} />
    <h3>Per ${kind} name</h3>
    ${Object.entries(spec.names || {}).map(([n, view]) => html`<details class="version"><summary>${title} “${n}”</summary>
      <${Text} id=${`${kind}-${n}-d`} label=${`${n}: description`} area value=${view.description} onInput=${(v) => set(['names', n, 'description'], v)} />
      <${Text} id=${`${kind}-${n}-o`} label=${`${n}: owner`} value=${view.owner} onInput=${(v) => set(['names', n, 'owner'], v)} />
      <${PropertiesEditor} value=${view.properties} loc=${[kind, 'names', n, 'properties']} onChange=${(p) => set(['names', n, 'properties'], p)} />
      <button type="button" class="btn danger small" onClick=${() => set(['names', n], undefined)}>Remove ${kind} ${n}</button>
    </details>`)}
    <div class="add-row"><label for=${`${kind}-new`}>New ${kind} name</label>
      <input id=${`${kind}-new`} value=${name} onInput=${(e) => setName(e.target.value)} />
      <button type="button" class="btn small" onClick=${() => { if (name.trim()) { set(['names', name.trim()], { properties: {} }); setName(''); } }}>Add ${kind} name</button></div>
  </section>`;
}

export function CommonEditor({ doc, onChange }) {
  const spec = doc.common || {};
  return html`<section class="editor" aria-labelledby="common-h"><h2 id="common-h">Common schema</h2>
    <p class="muted">Rules over the whole message, every kind (for example <code>context.app.version</code>).</p>
    <${Text} id="common-desc" label="Description" area value=${spec.description} onInput=${(v) => onChange(setIn(doc, ['common', 'description'], v))} />
    <${PropertiesEditor} value=${spec.properties} loc=${['common', 'properties']} onChange=${(p) => onChange(setIn(doc, ['common', 'properties'], p))} />
  </section>`;
}
