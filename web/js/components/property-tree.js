// A properties object as a tree: each property with type, required, nullable, enum, pattern,
// bounds, format, pii and description; nested objects and array items below it.
import { html } from '../lib.js';
import { Badge } from './ui.js';

const BOUNDS = [
  ['minimum', '≥'], ['exclusiveMinimum', '>'], ['maximum', '≤'], ['exclusiveMaximum', '<'],
  ['multipleOf', 'multiple of'], ['minLength', 'length ≥'], ['maxLength', 'length ≤'],
  ['minItems', 'items ≥'], ['maxItems', 'items ≤'],
];

export function typeText(spec) {
  if (spec.schema) return 'raw schema';
  const types = Array.isArray(spec.type) ? spec.type : spec.type ? [spec.type] : [];
  const text = types.length ? types.join(' | ') : 'any';
  return spec.nullable ? `${text} | null` : text;
}

function Facts({ spec }) {
  const facts = [];
  if (spec.enum) facts.push(html`<li>one of ${spec.enum.map((v, i) => html`${i > 0 && ', '}<code>${JSON.stringify(v)}</code>`)}</li>`);
  if (spec.const !== undefined && spec.const !== null) facts.push(html`<li>always <code>${JSON.stringify(spec.const)}</code></li>`);
  if (spec.pattern) facts.push(html`<li>pattern <code>${spec.pattern}</code></li>`);
  if (spec.format) facts.push(html`<li>format <code>${spec.format}</code></li>`);
  for (const [key, label] of BOUNDS) if (spec[key] !== undefined && spec[key] !== null) facts.push(html`<li>${label} ${spec[key]}</li>`);
  if (spec.uniqueItems) facts.push(html`<li>unique items</li>`);
  if (spec.additionalProperties === false) facts.push(html`<li>no other keys</li>`);
  if (spec.schema) facts.push(html`<li><code class="raw">${JSON.stringify(spec.schema)}</code></li>`);
  return facts.length ? html`<ul class="facts">${facts}</ul>` : null;
}

function PropertyNode({ name, spec }) {
  return html`<li class="prop">
    <div class="prop-head">
      <code class="prop-name">${name}</code>
      <span class="type">${typeText(spec)}</span>
      ${spec.required ? html`<${Badge} tone="info">required<//>` : html`<span class="muted">optional</span>`}
      ${spec.pii && html`<${Badge} tone="warn">PII<//>`}
      ${spec.deprecated && html`<${Badge} tone="neutral" symbol="⚠">deprecated<//>`}
    </div>
    ${spec.description && html`<p class="desc">${spec.description}</p>`}
    <${Facts} spec=${spec} />
    ${spec.properties && html`<${PropertyTree} properties=${spec.properties} label=${`${name}: properties`} />`}
    ${spec.items && html`<div class="items"><span class="muted">items:</span><ul class="tree"><${PropertyNode} name="[]" spec=${spec.items} /></ul></div>`}
  </li>`;
}

export function PropertyTree({ properties, label = 'Properties' }) {
  const entries = Object.entries(properties || {});
  if (!entries.length) return html`<p class="muted">No properties.</p>`;
  return html`<ul class="tree" aria-label=${label}>${entries.map(([name, spec]) => html`<${PropertyNode} key=${name} name=${name} spec=${spec} />`)}</ul>`;
}
