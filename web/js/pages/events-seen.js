// Events seen (Segment's "Schema" view): every event name the source sent, with counts by outcome,
// planned or not, last seen; for an unplanned near-duplicate "did you mean …?" and, in one action
// each, add it to the plan's draft (from the inferred plan) or create a rename transformation.
import { api, enc, request } from '../api.js';
import { html, useEffect, useMemo, useState } from '../lib.js';
import { useLoad } from '../data.js';
import { SeriesChart } from '../components/charts.js';
import { setTitle } from '../components/layout.js';
import { SourceHeader, WindowPicker } from '../components/source-header.js';
import { ActionButton, Badge, Empty, ErrorNote, Loading, formatNumber, formatTime } from '../components/ui.js';
import { href, navigate } from '../router.js';

async function addToDraft(source, event) {
  const inferred = await api.get(`/sources/${enc(source.name)}/inferred-plan`);
  const spec = inferred.plan?.events?.[event];
  if (!spec) throw { code: 'no_samples', message: `No sample of “${event}” to infer it from yet.` };
  const plan = await api.get(`/plans/${enc(source.plan_id)}`);
  const { etag } = await request('GET', `/plans/${enc(plan.name)}/draft`);
  await api.put(`/plans/${enc(plan.name)}/draft/events/${enc(event)}`, spec, { headers: { 'If-Match': etag } });
  return plan.name;
}

function renameBody(event, to) {
  return { name: `Rename “${event}” to “${to}”`, if: { kind: 'track', event }, action: 'rename_event', params: { to } };
}

function Actions({ source, entry, onDone }) {
  const [busy, setBusy] = useState(null);
  const run = async (what, fn) => {
    setBusy(what);
    try { onDone({ text: await fn(), error: null }); } catch (error) { onDone({ text: '', error }); }
    setBusy(null);
  };
  return html`<div class="actions">
    <${ActionButton} need="editor" kind="small" busy=${busy === 'add'} disabled=${!source.plan_id} reason="The source has no plan"
      onClick=${() => run('add', async () => `Added “${entry.event}” to the draft of ${await addToDraft(source, entry.event)}.`)}>Add “${entry.event}” to the plan's draft<//>
    ${entry.suggestion && html`<${ActionButton} need="editor" kind="small" busy=${busy === 'rename'}
      onClick=${() => run('rename', async () => { await api.post(`/sources/${enc(source.name)}/transformations`, renameBody(entry.event, entry.suggestion)); return `Created the transformation renaming “${entry.event}” to “${entry.suggestion}”.`; })}>Rename to “${entry.suggestion}”<//>`}
  </div>`;
}

function Traffic({ name, window }) {
  const series = useLoad(() => api.get(`/sources/${enc(name)}/series`, { query: { window } }), [name, window]);
  const lines = useMemo(() => (series.data ? [
    ...Object.entries(series.data.outcomes).map(([label, values]) => ({ label, values })),
    { label: 'violations', values: series.data.violations },
  ] : null), [series.data]);
  if (series.error) return html`<${ErrorNote} error=${series.error} title="Could not load the traffic" />`;
  if (!lines) return html`<${Loading} what="Loading the traffic" />`;
  return html`<${SeriesChart} t=${series.data.t} series=${lines} title=${`Events by outcome per ${series.data.step}`} />`;
}

export function EventsSeenPage({ params, query, path }) {
  const name = params.source;
  const window = query.window || '24h';
  const [note, setNote] = useState({ text: '', error: null });
  const [stamp, setStamp] = useState(0);
  const source = useLoad(() => api.get(`/sources/${enc(name)}`), [name]);
  const seen = useLoad(() => api.get(`/sources/${enc(name)}/events`, { query: { window } }), [name, window, stamp]);
  useEffect(() => setTitle(`Events seen by ${name}`), [name]);
  const rows = seen.data?.data || [];
  return html`<${SourceHeader} name=${name} source=${source.data} current="events" title=${`Events seen by ${name}`} />
    <${WindowPicker} value=${window} onChange=${(w) => navigate(path, { window: w }, { replace: true })} />
    <${Traffic} name=${name} window=${window} />
    <p role="status" aria-live="polite">${note.text}</p>
    <${ErrorNote} error=${note.error} title="Not done" />
    <${ErrorNote} error=${seen.error || source.error} title="Could not load the events seen" />
    ${seen.loading && !seen.data && html`<${Loading} what="Loading events seen" />`}
    ${seen.data && rows.length === 0 && html`<${Empty}>Nothing received in this window.<//>`}
    ${rows.length > 0 && source.data && html`<table class="grid">
      <caption>${rows.length} event name${rows.length > 1 ? 's' : ''}, ${formatNumber(seen.data.total)} messages</caption>
      <thead><tr><th scope="col">Event</th><th scope="col">Planned</th><th scope="col" class="num">Received</th><th scope="col">By outcome</th>
        <th scope="col">Last seen</th><th scope="col">Actions</th></tr></thead>
      <tbody>${rows.map((e) => html`<tr>
        <th scope="row">${e.event || html`<span class="muted">(${e.kind})</span>`} <span class="muted">${e.kind}</span>
          ${e.suggestion && html`<p class="did-you-mean">did you mean <strong>${e.suggestion}</strong>?</p>`}</th>
        <td>${e.planned ? html`<${Badge} tone="good">planned<//>` : html`<${Badge} tone="bad">unplanned<//>`}</td>
        <td class="num">${formatNumber(e.total)}</td>
        <td><ul class="plain outcomes">${Object.entries(e.outcomes).map(([o, n]) => html`<li>${o}: ${formatNumber(n)}</li>`)}</ul></td>
        <td>${formatTime(e.last_seen)}</td>
        <td>${!e.planned && e.kind === 'track' && html`<${Actions} source=${source.data} entry=${e} onDone=${(n) => { setNote(n); setStamp((s) => s + 1); }} />`}
          <a class="btn small" href=${href(`/sources/${encodeURIComponent(name)}/violations`, { window, event: e.event })}>Violations</a></td>
      </tr>`)}</tbody></table>`}`;
}
