// Shadow impact: for a source in shadow mode, what enforce would have blocked or omitted over the
// last 1 h, 24 h and 7 d, per event and reason — the evidence before switching to enforce.
import { api, enc } from '../api.js';
import { html, useEffect } from '../lib.js';
import { useLoad } from '../data.js';
import { setTitle } from '../components/layout.js';
import { SourceHeader, WINDOWS } from '../components/source-header.js';
import { Badge, Empty, ErrorNote, Loading, formatNumber } from '../components/ui.js';
import { href, navigate } from '../router.js';

function Summary({ name, current, onPick }) {
  const all = useLoad(() => Promise.all(WINDOWS.map(([w]) => api.get(`/sources/${enc(name)}/shadow-impact`, { query: { window: w } }))), [name]);
  if (all.error) return html`<${ErrorNote} error=${all.error} title="Could not load the shadow impact" />`;
  if (!all.data) return html`<${Loading} what="Loading the shadow impact" />`;
  return html`<table class="grid summary"><caption>What enforce would have done</caption>
    <thead><tr><th scope="col">Window</th><th scope="col" class="num">Events received</th><th scope="col" class="num">Would block</th><th scope="col" class="num">Would omit properties</th></tr></thead>
    <tbody>${WINDOWS.map(([w, label], i) => { const t = all.data[i].totals; return html`<tr aria-current=${w === current ? 'true' : undefined}>
      <th scope="row"><a href=${href(`/sources/${encodeURIComponent(name)}/shadow`, { window: w })} onClick=${(e) => { e.preventDefault(); onPick(w); }}>${label}</a></th>
      <td class="num">${formatNumber(t.events)}</td><td class="num">${formatNumber(t.would_block)}</td><td class="num">${formatNumber(t.would_omit)}</td></tr>`; })}</tbody></table>`;
}

export function ShadowPage({ params, query, path }) {
  const name = params.source;
  const window = query.window || '24h';
  const source = useLoad(() => api.get(`/sources/${enc(name)}`), [name]);
  const impact = useLoad(() => api.get(`/sources/${enc(name)}/shadow-impact`, { query: { window } }), [name, window]);
  useEffect(() => setTitle(`Shadow impact of ${name}`), [name]);
  const rows = impact.data?.data || [];
  const label = WINDOWS.find(([w]) => w === window)?.[1] || window;
  return html`<${SourceHeader} name=${name} source=${source.data} current="shadow" title=${`Shadow impact of ${name}`} />
    ${source.data?.mode === 'enforce' && html`<p class="note info">This source enforces already: its outcomes are <code>blocked</code> and <code>omitted</code>, so there is no shadow impact to measure. Switch it to shadow on the <a href=${href(`/sources/${encodeURIComponent(name)}`)}>settings</a> to rehearse a plan change.</p>`}
    <${Summary} name=${name} current=${window} onPick=${(w) => navigate(path, { window: w }, { replace: true })} />
    <section aria-labelledby="imp-h"><h2 id="imp-h">Per event and reason: ${label}</h2>
      <${ErrorNote} error=${impact.error} title="Could not load the shadow impact" />
      ${impact.loading && !impact.data && html`<${Loading} what="Loading" />`}
      ${impact.data && rows.length === 0 && html`<${Empty}>Nothing would have been blocked or omitted in this window.<//>`}
      ${rows.length > 0 && html`<table class="grid"><caption>Events enforce would have blocked or trimmed</caption>
        <thead><tr><th scope="col">Event</th><th scope="col" class="num">Received</th><th scope="col" class="num">Would block</th><th scope="col" class="num">Would omit</th><th scope="col">Reasons</th></tr></thead>
        <tbody>${rows.map((r) => html`<tr><th scope="row">${r.event || r.kind} <span class="muted">${r.kind}</span> ${r.planned ? '' : html`<${Badge} tone="bad">unplanned<//>`}</th>
          <td class="num">${formatNumber(r.total)}</td><td class="num">${formatNumber(r.would_block)}</td><td class="num">${formatNumber(r.would_omit)}</td>
          <td><ul class="plain">${r.reasons.map((x) => html`<li><code>${x.reason}</code>${x.field ? html` at <code>${x.field}</code>` : ''}: ${formatNumber(x.count)}</li>`)}</ul></td></tr>`)}</tbody></table>`}
    </section>`;
}
