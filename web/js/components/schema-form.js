// A form generated from a JSON Schema (a check kind's parameters, as GET /api/v1/checks/kinds
// serves them): numbers with their bounds, booleans, enums, strings, lists of scalars (comma
// separated), and anything else as JSON. Only the fields the user set are sent; the others keep
// the kind's defaults, which the form shows. The server stays the authority (its 422 names the
// path, shown beside the field).
import { html } from '../lib.js';
import { JsonField } from './json-field.js';

function resolve(schema, root) {
  if (schema?.$ref) return resolve(root.$defs?.[schema.$ref.split('/').pop()] || {}, root);
  if (schema?.allOf?.length === 1) return resolve(schema.allOf[0], root);
  const options = schema?.anyOf || schema?.oneOf;
  if (options) {
    const real = options.filter((o) => o.type !== 'null');
    if (real.length === 1) return { ...resolve(real[0], root), nullable: true, description: schema.description, default: schema.default, title: schema.title };
    return { ...schema, kind: 'json' };
  }
  return schema || {};
}

function kindOf(s) {
  if (s.kind) return s.kind;
  if (s.enum) return 'enum';
  if (s.type === 'boolean') return 'boolean';
  if (s.type === 'integer' || s.type === 'number') return 'number';
  if (s.type === 'string') return 'string';
  if (s.type === 'array' && ['string', 'integer', 'number'].includes(s.items?.type) && !s.items?.enum) return 'list';
  return 'json';
}

function bounds(s) {
  const parts = [];
  if (s.minimum !== undefined) parts.push(`≥ ${s.minimum}`);
  if (s.exclusiveMinimum !== undefined) parts.push(`> ${s.exclusiveMinimum}`);
  if (s.maximum !== undefined) parts.push(`≤ ${s.maximum}`);
  if (s.exclusiveMaximum !== undefined) parts.push(`< ${s.exclusiveMaximum}`);
  return parts.join(', ');
}

const shown = (v) => (v === undefined || v === null ? '' : Array.isArray(v) ? v.join(', ') : String(v));

function parseList(text, itemType) {
  const items = text.split(',').map((t) => t.trim()).filter(Boolean);
  return itemType === 'string' ? items : items.map(Number);
}

function Field({ name, schema, value, onChange, id, error, required }) {
  const kind = kindOf(schema);
  const hint = [schema.description, bounds(schema), schema.default !== undefined && `default ${JSON.stringify(schema.default)}`].filter(Boolean).join(' · ');
  const hintId = `${id}-hint`;
  const errId = `${id}-err`;
  const describedBy = [hint && hintId, error && errId].filter(Boolean).join(' ') || undefined;
  const label = `${name}${required ? ' (required)' : ''}`;
  const note = html`${hint && html`<span id=${hintId} class="hint">${hint}</span>`}${error && html`<p id=${errId} class="field-error">${error}</p>`}`;
  if (kind === 'json') {
    return html`<div class="schema-field"><${JsonField} id=${id} label=${`${name} (JSON${required ? ', required' : ''})`} value=${value} rows=${4} onChange=${(v) => onChange(v)} />${note}</div>`;
  }
  if (kind === 'boolean') {
    const state = value === undefined ? '' : String(value);
    return html`<div class="field"><label for=${id}>${label}</label>
      <select id=${id} value=${state} aria-describedby=${describedBy} aria-invalid=${error ? 'true' : undefined}
        onChange=${(e) => onChange(e.target.value === '' ? undefined : e.target.value === 'true')}>
        <option value="">default (${schema.default === undefined ? 'none' : String(schema.default)})</option><option value="true">true</option><option value="false">false</option></select>${note}</div>`;
  }
  if (kind === 'enum') {
    return html`<div class="field"><label for=${id}>${label}</label>
      <select id=${id} value=${value ?? ''} aria-describedby=${describedBy} aria-invalid=${error ? 'true' : undefined} onChange=${(e) => onChange(e.target.value === '' ? undefined : e.target.value)}>
        <option value="">default${schema.default !== undefined ? ` (${schema.default})` : ''}</option>
        ${schema.enum.map((v) => html`<option value=${v}>${v}</option>`)}</select>${note}</div>`;
  }
  const number = kind === 'number';
  return html`<div class="field"><label for=${id}>${label}</label>
    <input id=${id} type=${number ? 'number' : 'text'} step=${number ? (schema.type === 'integer' ? '1' : 'any') : undefined}
      min=${schema.minimum} max=${schema.maximum} value=${shown(value)} placeholder=${shown(schema.default)}
      aria-describedby=${describedBy} aria-invalid=${error ? 'true' : undefined}
      onInput=${(e) => {
        const text = e.target.value;
        if (text.trim() === '') onChange(undefined);
        else if (kind === 'list') onChange(parseList(text, schema.items.type));
        else onChange(number ? Number(text) : text);
      }} />${kind === 'list' && html`<span class="hint">separated by commas</span>`}${note}</div>`;
}

// schema: the params JSON Schema; value: the params set so far; errors: {name: message} from a 422.
export function SchemaForm({ schema, value, onChange, idPrefix, errors = {} }) {
  const root = schema;
  const props = Object.entries(root.properties || {});
  const required = new Set(root.required || []);
  if (!props.length) return html`<p class="muted">This kind has no parameters.</p>`;
  return html`<div class="schema-form bounds">${props.map(([name, raw]) => {
    const s = resolve(raw, root);
    return html`<${Field} key=${name} name=${name} required=${required.has(name)} schema=${s} value=${value[name]} id=${`${idPrefix}-${name}`}
      error=${errors[name]} onChange=${(v) => { const next = { ...value }; if (v === undefined) delete next[name]; else next[name] = v; onChange(next); }} />`;
  })}</div>`;
}

// {name: message} from an API error whose details carry params.<name> paths.
export function paramErrors(error) {
  const out = {};
  for (const d of Array.isArray(error?.details) ? error.details : []) {
    const m = /^params\.([^.]+)/.exec(d.path || '');
    if (m) out[m[1]] = d.message || error.message;
  }
  return out;
}
