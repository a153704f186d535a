// Identify and group traits, page and screen (default and per name) and the common schema of a plan
// version, in the same tree as event properties.
import { api, enc } from '../api.js';
import { html } from '../lib.js';
import { useLoad } from '../data.js';
import { PropertyTree } from '../components/property-tree.js';
import { ErrorNote } from '../components/ui.js';

function Section({ title, spec, field, children }) {
  return html`<details class="section">
    <summary><span class="event-name">${title}</span>
      ${spec?.owner && html` <span class="event-meta">owner: ${spec.owner}</span>`}
      ${spec?.description ? html`<span class="desc">${spec.description}</span>` : html`<span class="desc muted">No description.</span>`}</summary>
    <div class="event-body">
      <${PropertyTree} properties=${spec?.[field]} label=${`${title}: ${field}`} />
      ${children}
    </div>
  </details>`;
}

function Views({ title, spec }) {
  const names = Object.entries(spec?.names || {});
  return html`<${Section} title=${`${title} (default)`} spec=${spec} field="properties">
    ${names.map(([name, view]) => html`<h3>${title} “${name}”</h3>
      ${view.description && html`<p>${view.description}</p>`}
      <${PropertyTree} properties=${view.properties} label=${`${title} ${name}: properties`} />`)}
  <//>`;
}

export function PlanSections({ name, version }) {
  const outline = useLoad(() => api.get(`/plans/${enc(name)}/outline`, { query: { version } }), [name, version]);
  const doc = outline.data?.document;
  return html`<section aria-labelledby="other-h">
    <h2 id="other-h">Identify, group, page, screen and common schema</h2>
    <${ErrorNote} error=${outline.error} title="Could not read the plan" />
    ${doc && html`<div class="sections">
      <${Section} title="Identify traits" spec=${doc.identify} field="traits" />
      <${Section} title="Group traits" spec=${doc.group} field="traits" />
      <${Views} title="Page" spec=${doc.page} />
      <${Views} title="Screen" spec=${doc.screen} />
      <${Section} title="Common schema" spec=${doc.common} field="properties" />
    </div>`}
  </section>`;
}
