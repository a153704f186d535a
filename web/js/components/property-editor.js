// Edit a properties (or traits) object: add, rename, remove properties, and every field of a
// property (type, required, nullable, enum, pattern, bounds, format, pii, items, nested properties,
// raw schema). Lint findings appear beside the property they concern.
import { html, useContext, useState } from '../lib.js';
import { formatPath, renameKey, setIn } from '../plan-doc.js';
import { FindingsContext, Findings, countUnder } from './findings.js';
import { typeText } from './property-tree.js';
import { nextId } from './ui.js';
import { PropertyFields } from './property-fields.js';

function PropertyRow({ name, spec, loc, onChange, onRename, onRemove, startOpen }) {
  const findings = useContext(FindingsContext);
  const path = formatPath([...loc, name]);
  const issues = countUnder(findings, path);
  const [draftName, setDraftName] = useState(name);
  const [nameId] = useState(() => nextId('pname'));
  return html`<li class="prop-edit">
    <details open=${startOpen}>
      <summary><code class="prop-name">${name}</code> <span class="type">${typeText(spec)}</span>
        ${spec.required ? ' · required' : ''}${issues ? html` · <span class="finding-count">${issues} finding${issues > 1 ? 's' : ''}</span>` : ''}</summary>
      <${Findings} path=${path} />
      <div class="prop-fields">
        <div class="field"><label for=${nameId}>Property name</label>
          <input id=${nameId} value=${draftName} onInput=${(e) => setDraftName(e.target.value)}
            onChange=${(e) => onRename(name, e.target.value.trim())} /></div>
        <${PropertyFields} spec=${spec} loc=${[...loc, name]} onChange=${onChange} />
        <button type="button" class="btn danger small" onClick=${() => onRemove(name)}>Remove property ${name}</button>
      </div>
    </details>
  </li>`;
}

export function PropertiesEditor({ value, loc, onChange, noun = 'property' }) {
  const properties = value || {};
  const [adding, setAdding] = useState('');
  const [added, setAdded] = useState(null);
  const [addId] = useState(() => nextId('padd'));
  const add = (event) => {
    event.preventDefault();
    const name = adding.trim();
    if (!name || name in properties) return;
    onChange({ ...properties, [name]: { type: 'string' } });
    setAdded(name);
    setAdding('');
  };
  const label = formatPath(loc);
  return html`<div class="props-editor">
    ${Object.keys(properties).length === 0 && html`<p class="muted">No ${noun === 'trait' ? 'traits' : 'properties'} yet.</p>`}
    <ul class="tree">${Object.entries(properties).map(([name, spec]) => html`<${PropertyRow} key=${name} name=${name} spec=${spec}
      loc=${loc} startOpen=${name === added}
      onChange=${(next) => onChange(setIn(properties, [name], next))}
      onRename=${(from, to) => onChange(renameKey(properties, from, to))}
      onRemove=${(gone) => onChange(setIn(properties, [gone], undefined))} />`)}</ul>
    <div class="add-row" role="group" aria-label=${`Add a ${noun} to ${label}`}>
      <label for=${addId}>New ${noun} name</label>
      <input id=${addId} value=${adding} onInput=${(e) => setAdding(e.target.value)}
        onKeyDown=${(e) => { if (e.key === 'Enter') add(e); }} />
      <button type="button" class="btn small" onClick=${add}>Add ${noun}</button>
    </div>
  </div>`;
}
