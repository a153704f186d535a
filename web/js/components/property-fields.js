// Every field of one property spec (the plan format's friendly JSON Schema subset), as a form.
import { html, useState } from '../lib.js';
import { formatPath } from '../plan-doc.js';
import { Findings } from './findings.js';
import { PropertiesEditor } from './property-editor.js';
import { JsonField } from './json-field.js';
import { nextId } from './ui.js';

const TYPES = ['string', 'number', 'integer', 'boolean', 'object', 'array', 'null'];
const FORMATS = ['', 'date-time', 'date', 'time', 'email', 'uri', 'uuid', 'ipv4', 'ipv6', 'hostname', 'duration'];
const FLAGS = [['required', 'Required'], ['nullable', 'Nullable (null allowed)'], ['pii', 'Personal data (PII)'], ['deprecated', 'Deprecated']];
const NUMBERS = [
  ['minimum', 'Minimum'], ['maximum', 'Maximum'], ['exclusiveMinimum', 'Exclusive minimum'],
  ['exclusiveMaximum', 'Exclusive maximum'], ['multipleOf', 'Multiple of'], ['minLength', 'Min length'],
  ['maxLength', 'Max length'], ['minItems', 'Min items'], ['maxItems', 'Max items'],
];

function typesOf(spec) {
  if (!spec.type || spec.type === 'any') return [];
  return Array.isArray(spec.type) ? spec.type : [spec.type];
}

function enumText(spec) {
  if (!spec.enum) return '';
  return spec.enum.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join('\n');
}

// One value per line: strings stay strings for a string property; otherwise JSON where it parses.
function parseEnum(text, types) {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  if (!lines.length) return undefined;
  const stringsOnly = types.length === 1 && types[0] === 'string';
  return lines.map((line) => {
    if (stringsOnly) return line;
    try { return JSON.parse(line); } catch { return line; }
  });
}

function Field({ id, label, path, children, hint }) {
  return html`<div class="field">
    <label for=${id}>${label}</label>${children}
    ${hint && html`<p class="hint">${hint}</p>`}
    <${Findings} path=${path} />
  </div>`;
}

export function PropertyFields({ spec, loc, onChange }) {
  const [ids] = useState(() => ({ base: nextId('pf') }));
  const path = formatPath(loc);
  const set = (key, value) => {
    const next = { ...spec };
    if (value === undefined || value === '' || value === false) delete next[key];
    else next[key] = value;
    onChange(next);
  };
  const types = typesOf(spec);
  const setType = (name, on) => {
    const chosen = TYPES.filter((t) => (t === name ? on : types.includes(t)));
    set('type', chosen.length === 0 ? undefined : chosen.length === 1 ? chosen[0] : chosen);
  };
  const id = (key) => `${ids.base}-${key}`;
  const [enumDraft, setEnumDraft] = useState(enumText(spec));
  return html`<fieldset class="type-field"><legend>Type (none checked: any)</legend>
      ${TYPES.map((t) => html`<label class="check"><input type="checkbox" checked=${types.includes(t)}
        onChange=${(e) => setType(t, e.target.checked)} /> ${t}</label>`)}
      <${Findings} path=${`${path}.type`} />
    </fieldset>
    <fieldset class="flags"><legend>Rules</legend>
      ${FLAGS.map(([key, label]) => html`<label class="check"><input type="checkbox" checked=${Boolean(spec[key])}
        onChange=${(e) => set(key, e.target.checked)} /> ${label}</label>`)}
    </fieldset>
    <${Field} id=${id('description')} label="Description" path=${`${path}.description`}>
      <textarea id=${id('description')} rows="2" value=${spec.description || ''} onInput=${(e) => set('description', e.target.value)}></textarea><//>
    <${Field} id=${id('enum')} label="Allowed values (one per line)" path=${`${path}.enum`} hint="Numbers, true, false and null are read as JSON unless the type is only string.">
      <textarea id=${id('enum')} rows="3" value=${enumDraft} onInput=${(e) => { setEnumDraft(e.target.value); set('enum', parseEnum(e.target.value, types)); }}></textarea><//>
    <${Field} id=${id('pattern')} label="Pattern (regular expression)" path=${`${path}.pattern`}>
      <input id=${id('pattern')} value=${spec.pattern || ''} onInput=${(e) => set('pattern', e.target.value)} /><//>
    <${Field} id=${id('format')} label="Format" path=${`${path}.format`}>
      <select id=${id('format')} value=${spec.format || ''} onChange=${(e) => set('format', e.target.value)}>
        ${FORMATS.map((f) => html`<option value=${f}>${f || 'none'}</option>`)}
      </select><//>
    <div class="bounds">${NUMBERS.map(([key, label]) => html`<${Field} id=${id(key)} label=${label} path=${`${path}.${key}`}>
      <input id=${id(key)} type="number" step="any" value=${spec[key] ?? ''}
        onInput=${(e) => set(key, e.target.value === '' ? undefined : Number(e.target.value))} /><//>`)}</div>
    <${JsonField} id=${id('const')} label="Constant value (JSON)" value=${spec.const} path=${`${path}.const`} onChange=${(v) => set('const', v)} />
    <${Field} id=${id('unique')} label="Unique items" path=${`${path}.uniqueItems`}>
      <select id=${id('unique')} value=${spec.uniqueItems === undefined ? '' : String(spec.uniqueItems)}
        onChange=${(e) => set('uniqueItems', e.target.value === '' ? undefined : e.target.value === 'true')}>
        <option value="">not set</option><option value="true">yes</option><option value="false">no</option></select><//>
    <${Field} id=${id('extra')} label="Other keys (additionalProperties)" path=${`${path}.additionalProperties`}>
      <select id=${id('extra')} value=${spec.additionalProperties === undefined ? '' : String(spec.additionalProperties)}
        onChange=${(e) => onChange(e.target.value === '' ? (({ additionalProperties, ...rest }) => rest)(spec) : { ...spec, additionalProperties: e.target.value === 'true' })}>
        <option value="">not set</option><option value="true">allowed</option><option value="false">refused</option></select><//>
    ${types.includes('array') && html`<fieldset class="nested"><legend>Items of ${loc[loc.length - 1]}</legend>
      <${PropertyFields} spec=${spec.items || {}} loc=${[...loc, 'items']} onChange=${(items) => set('items', items)} /></fieldset>`}
    ${types.includes('object') && html`<fieldset class="nested"><legend>Properties of ${loc[loc.length - 1]}</legend>
      <${PropertiesEditor} value=${spec.properties} loc=${[...loc, 'properties']} onChange=${(p) => set('properties', Object.keys(p).length ? p : undefined)} /></fieldset>`}
    <details class="advanced"><summary>Raw JSON Schema (instead of the fields above)</summary>
      <${JsonField} id=${id('schema')} label="Schema (JSON)" value=${spec.schema} path=${`${path}.schema`} rows=${4} onChange=${(v) => set('schema', v)} />
    </details>`;
}
