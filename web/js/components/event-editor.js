// Edit one track event of the draft: name, description, owner, labels, version, deprecated,
// properties, further live versions, and (advanced) its checks and expectations as JSON.
import { html, useState } from '../lib.js';
import { formatPath, setIn } from '../plan-doc.js';
import { Findings } from './findings.js';
import { JsonField } from './json-field.js';
import { PropertiesEditor } from './property-editor.js';
import { nextId } from './ui.js';

function Labels({ labels, onChange, base }) {
  const entries = Object.entries(labels || {});
  const [key, setKey] = useState('');
  const [value, setValue] = useState('');
  const add = () => {
    if (!key.trim()) return;
    onChange({ ...(labels || {}), [key.trim()]: value });
    setKey(''); setValue('');
  };
  return html`<fieldset><legend>Labels</legend>
    ${entries.length === 0 && html`<p class="muted">No labels.</p>`}
    <ul class="plain">${entries.map(([k, v]) => html`<li><span class="label">${k}: ${v}</span>
      <button type="button" class="btn small" onClick=${() => onChange(setIn(labels, [k], undefined))}>Remove label ${k}</button></li>`)}</ul>
    <div class="add-row"><label for=${`${base}-lk`}>Label key</label><input id=${`${base}-lk`} value=${key} onInput=${(e) => setKey(e.target.value)} />
      <label for=${`${base}-lv`}>Label value</label><input id=${`${base}-lv`} value=${value} onInput=${(e) => setValue(e.target.value)} />
      <button type="button" class="btn small" onClick=${add}>Add label</button></div>
  </fieldset>`;
}

function Versions({ versions, loc, onChange }) {
  const [number, setNumber] = useState('');
  const add = () => {
    const n = Number(number);
    if (!Number.isInteger(n) || n < 1 || versions?.[n]) return;
    onChange({ ...(versions || {}), [n]: { properties: {} } });
    setNumber('');
  };
  return html`<fieldset><legend>Further live versions (chosen by context.protocols.event_version)</legend>
    ${Object.entries(versions || {}).map(([n, version]) => html`<details class="version"><summary>Version ${n}</summary>
      <div class="field"><label for=${`v-${n}-d`}>Version ${n} description</label>
        <textarea id=${`v-${n}-d`} rows="2" value=${version.description || ''}
          onInput=${(e) => onChange(setIn(versions, [n, 'description'], e.target.value || undefined))}></textarea></div>
      <label class="check"><input type="checkbox" checked=${Boolean(version.deprecated)}
        onChange=${(e) => onChange(setIn(versions, [n, 'deprecated'], e.target.checked || undefined))} /> Version ${n} deprecated</label>
      <${PropertiesEditor} value=${version.properties} loc=${[...loc, n, 'properties']}
        onChange=${(p) => onChange(setIn(versions, [n, 'properties'], p))} />
      <button type="button" class="btn danger small" onClick=${() => onChange(setIn(versions, [n], undefined))}>Remove version ${n}</button>
    </details>`)}
    <div class="add-row"><label for="v-new">New version number</label>
      <input id="v-new" type="number" min="1" value=${number} onInput=${(e) => setNumber(e.target.value)} />
      <button type="button" class="btn small" onClick=${add}>Add version</button></div>
  </fieldset>`;
}

export function EventEditor({ name, spec, onChange, onRename, onRemove }) {
  const [base] = useState(() => nextId('ev'));
  const loc = ['events', name];
  const set = (key, value) => onChange(setIn(spec, [key], value === '' || value === false ? undefined : value));
  const [draftName, setDraftName] = useState(name);
  return html`<section class="editor" aria-labelledby=${`${base}-h`}>
    <h2 id=${`${base}-h`}>Event “${name}”</h2>
    <${Findings} path=${formatPath(loc)} />
    <div class="field"><label for=${`${base}-name`}>Event name</label>
      <input id=${`${base}-name`} value=${draftName} onInput=${(e) => setDraftName(e.target.value)}
        onChange=${(e) => onRename(name, e.target.value.trim())} /></div>
    <div class="field"><label for=${`${base}-desc`}>Description</label>
      <textarea id=${`${base}-desc`} rows="2" value=${spec.description || ''} onInput=${(e) => set('description', e.target.value)}></textarea>
      <${Findings} path=${formatPath([...loc, 'description'])} /></div>
    <div class="field"><label for=${`${base}-owner`}>Owner</label>
      <input id=${`${base}-owner`} value=${spec.owner || ''} onInput=${(e) => set('owner', e.target.value)} /></div>
    <div class="field"><label for=${`${base}-version`}>Version of these properties</label>
      <input id=${`${base}-version`} type="number" min="1" value=${spec.version || 1}
        onInput=${(e) => set('version', Number(e.target.value) > 1 ? Number(e.target.value) : undefined)} /></div>
    <label class="check"><input type="checkbox" checked=${Boolean(spec.deprecated)} onChange=${(e) => set('deprecated', e.target.checked)} /> Deprecated</label>
    <${Labels} labels=${spec.labels} base=${base} onChange=${(labels) => set('labels', Object.keys(labels).length ? labels : undefined)} />
    <h3>Properties</h3>
    <${PropertiesEditor} value=${spec.properties} loc=${[...loc, 'properties']} onChange=${(p) => set('properties', Object.keys(p).length ? p : undefined)} />
    <${Versions} versions=${spec.versions} loc=${[...loc, 'versions']} onChange=${(v) => set('versions', Object.keys(v).length ? v : undefined)} />
    <details class="advanced"><summary>Checks and expectations (JSON)</summary>
      <${JsonField} id=${`${base}-checks`} label="Checks" rows=${4} value=${spec.checks} path=${formatPath([...loc, 'checks'])} onChange=${(v) => set('checks', v)} />
      <${JsonField} id=${`${base}-exp`} label="Great Expectations expectations" rows=${4} value=${spec.expectations} path=${formatPath([...loc, 'expectations'])} onChange=${(v) => set('expectations', v)} />
    </details>
    <p><button type="button" class="btn danger" onClick=${() => onRemove(name)}>Remove event ${name}</button></p>
  </section>`;
}
