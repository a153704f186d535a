// One check: its kind, scope, parameters and state per fingerprint; run now; the run history (for
// a volume check, a chart of what each run observed against the expected band); the stored Great
// Expectations result of an expectations check (failed expectations, unexpected values, `mostly`);
// editing for checks made over REST.
import { api, enc } from '../api.js';
import { html, useEffect, useMemo, useState } from '../lib.js';
import { useLoad } from '../data.js';
import { BandChart } from '../components/charts.js';
import { CheckForm } from '../components/check-form.js';
import { useSources } from '../components/filters.js';
import { setTitle } from '../components/layout.js';
import { Pager } from '../components/pager.js';
import { ActionButton, Badge, Empty, ErrorNote, Loading, formatNumber, formatTime } from '../components/ui.js';
import { href, navigate } from '../router.js';
import { CheckScope, OutcomeBadge, RunNow, useKinds } from './checks.js';

const LIMIT = 50;

function volumeOf(run) {
  const v = run.result?.volume;
  return v && typeof v === 'object' ? v : null;
}

function VolumeHistory({ runs }) {
  const points = useMemo(() => runs.filter(volumeOf).slice().reverse(), [runs]);
  if (!points.length) return html`<p class="state empty">No run has measured the volume yet (the first day of an event builds its baseline).</p>`;
  const minutes = volumeOf(points[points.length - 1]).window_minutes;
  const t = points.map((r) => Math.floor(new Date(r.started_at).getTime() / 1000));
  const pick = (key) => points.map((r) => (volumeOf(r)[key] ?? null));
  return html`<${BandChart} t=${t} observed=${pick('observed')} low=${pick('low')} high=${pick('high')}
    title=${`Events in the last ${minutes} min at each run, against the expected band`} />`;
}

function Expectations({ result }) {
  if (!result) return null;
  if (result.skipped) return html`<p class="note">Skipped: ${result.skipped}</p>`;
  const rows = result.results || [];
  const failed = rows.filter((r) => !r.success).length;
  return html`<table class="grid"><caption>Great Expectations result: ${failed ? `${failed} of ${rows.length} expectations failed` : `all ${rows.length} expectations met`} over ${formatNumber(result.rows)} sampled events</caption>
    <thead><tr><th scope="col">Expectation</th><th scope="col">Column</th><th scope="col" class="num">mostly</th><th scope="col">Result</th>
      <th scope="col" class="num">Unexpected</th><th scope="col">Unexpected values</th><th scope="col">Observed</th></tr></thead>
    <tbody>${rows.map((r) => {
      const e = r.expectation || {};
      const d = r.result || {};
      return html`<tr class=${r.success ? '' : 'failed'}>
        <th scope="row"><code>${e.type}</code>${e.value_set && html`<br /><span class="muted">in ${JSON.stringify(e.value_set)}</span>`}${e.regex && html`<br /><span class="muted">regex <code>${e.regex}</code></span>`}
          ${(e.min_value !== undefined || e.max_value !== undefined) && html`<br /><span class="muted">between ${e.min_value ?? '−∞'} and ${e.max_value ?? '∞'}</span>`}</th>
        <td>${e.column ? html`<code>${e.column}</code>` : '—'}</td>
        <td class="num">${e.mostly ?? 1}</td>
        <td>${r.success ? html`<${Badge} tone="good">met<//>` : html`<${Badge} tone="bad">failed<//>`}${r.error && html` <span class="muted">${r.error}</span>`}</td>
        <td class="num">${d.unexpected_count !== undefined ? `${formatNumber(d.unexpected_count)} of ${formatNumber(d.element_count)} (${Number(d.unexpected_percent || 0).toFixed(1)} %)` : '—'}</td>
        <td>${r.examples?.length ? html`<ul class="plain">${r.examples.map((x) => html`<li><code>${JSON.stringify(x)}</code></li>`)}</ul>` : '—'}</td>
        <td>${d.observed_value !== undefined ? html`<code>${JSON.stringify(d.observed_value)}</code>` : '—'}</td></tr>`;
    })}</tbody></table>`;
}

function RunDetail({ check, runId }) {
  const run = useLoad(() => api.get(`/checks/${enc(check.id)}/runs/${runId}`), [check.id, runId]);
  if (run.error) return html`<${ErrorNote} error=${run.error} title="Could not open the run" />`;
  if (!run.data) return html`<${Loading} what="Loading the run" />`;
  const r = run.data;
  return html`<section aria-labelledby="run-h" class="run-detail"><h3 id="run-h">Run ${r.id}, ${formatTime(r.started_at)}</h3>
    ${r.error && html`<p class="note error">${r.error}</p>`}
    ${check.kind === 'expectations' ? html`<${Expectations} result=${r.result} />`
      : r.result && html`<pre class="json" tabindex="0" aria-label="The run's stored result">${JSON.stringify(r.result, null, 2)}</pre>`}
    ${r.observations.length > 0 && html`<ul>${r.observations.map((o) => html`<li><strong>${o.event || 'the source'}${o.field ? ` ${o.field}` : ''}</strong>: ${o.finding?.message || 'condition clear'}${o.state ? ` (${o.state})` : ''}</li>`)}</ul>`}
  </section>`;
}

function Runs({ check, stamp, query, path }) {
  const offset = Number(query.offset || 0);
  const [again, setAgain] = useState(0);
  const runs = useLoad(() => api.get(`/checks/${enc(check.id)}/runs`, { query: { limit: LIMIT, offset, results: check.kind === 'volume' } }), [check.id, offset, stamp, again]);
  const data = runs.data;
  const newestWithResult = data?.data.find((r) => r.outcome !== 'error')?.id;
  const chosen = query.run ? Number(query.run) : (check.kind === 'expectations' ? newestWithResult : null);
  return html`<section aria-labelledby="runs-h"><h2 id="runs-h">Run history</h2>
    <p><button type="button" class="btn small" onClick=${() => setAgain((n) => n + 1)} disabled=${runs.loading}>Reload the runs</button></p>
    <${ErrorNote} error=${runs.error} title="Could not load the runs" />
    ${runs.loading && !data && html`<${Loading} what="Loading the runs" />`}
    ${data?.count === 0 && html`<${Empty}>Not run yet: the worker runs it on its next cycle, or ask it to run now.<//>`}
    ${data?.count > 0 && html`${check.kind === 'volume' && html`<${VolumeHistory} runs=${data.data} />`}
      ${chosen && html`<${RunDetail} check=${check} runId=${chosen} />`}
      <table class="grid"><caption>${formatNumber(data.count)} run${data.count === 1 ? '' : 's'}, newest first</caption>
        <thead><tr><th scope="col">Run</th><th scope="col">Trigger</th><th scope="col">Outcome</th><th scope="col">What it found</th><th scope="col" class="num">Took</th><th scope="col">Details</th></tr></thead>
        <tbody>${data.data.map((r) => html`<tr aria-current=${r.id === chosen ? 'true' : undefined}>
          <th scope="row">${formatTime(r.started_at)}</th><td>${r.trigger}</td><td><${OutcomeBadge} outcome=${r.outcome} /></td>
          <td>${r.error ? html`<span class="muted">${r.error}</span>` : r.observations.length ? r.observations.map((o) => o.finding?.message || `${o.event || 'source'}: ${o.state}`).join('; ')
            : volumeOf(r) ? `${formatNumber(Math.round(volumeOf(r).observed))} events in ${volumeOf(r).window_minutes} min, expected ${formatNumber(Math.round(volumeOf(r).low))}–${formatNumber(Math.round(volumeOf(r).high))}` : html`<span class="muted">nothing</span>`}</td>
          <td class="num">${Math.round(r.duration_ms)} ms</td>
          <td><a href=${href(path, { ...query, run: r.id })}>Run ${r.id}</a></td></tr>`)}</tbody></table>
      <${Pager} count=${data.count} limit=${LIMIT} offset=${offset} onOffset=${(o) => navigate(path, { ...query, offset: o, run: undefined })} />`}
  </section>`;
}

function States({ states }) {
  if (!states?.length) return html`<p class="muted">No fingerprint tracked yet.</p>`;
  return html`<table class="grid"><caption>State per fingerprint (event and field judged)</caption>
    <thead><tr><th scope="col">Event</th><th scope="col">Field</th><th scope="col">State</th><th scope="col">Last finding</th></tr></thead>
    <tbody>${states.map((s) => html`<tr><th scope="row">${s.event || 'the source'}</th><td>${s.field ? html`<code>${s.field}</code>` : '—'}</td>
      <td><${OutcomeBadge} outcome=${s.state.state} /> <span class="muted">${s.state.active} of ${s.state.for} to fire, ${s.state.cleared} of ${s.state.keep_firing_for} clear</span></td>
      <td>${s.finding?.message || '—'}</td></tr>`)}</tbody></table>`;
}

export function CheckPage({ params, query, path }) {
  const id = params.check;
  const [stamp, setStamp] = useState(0);
  const [editing, setEditing] = useState(false);
  const [note, setNote] = useState('');
  const check = useLoad(() => api.get(`/checks/${enc(id)}`), [id, stamp]);
  const kinds = useKinds();
  const { list: sources, byId } = useSources();
  useEffect(() => setTitle(`Check ${id}`), [id]);
  const c = check.data;
  useEffect(() => { // a requested run: look again until the worker has taken it
    if (!c?.run_requested_at) return undefined;
    const timer = setTimeout(() => setStamp((s) => s + 1), 1500);
    return () => clearTimeout(timer);
  }, [c]);
  const toggle = async () => {
    try { await api.patch(`/checks/${enc(id)}`, { enabled: !c.enabled }); setNote(`The check is now ${c.enabled ? 'disabled' : 'enabled'}.`); setStamp((s) => s + 1); } catch (error) { setNote(`${error.code}: ${error.message}`); }
  };
  const remove = async () => {
    if (!window.confirm(`Delete the check ${id}? Its firing alerts resolve.`)) return;
    try { await api.del(`/checks/${enc(id)}`); navigate('/checks'); } catch (error) { setNote(`${error.code}: ${error.message}`); }
  };
  return html`<p class="crumbs"><a href="#/checks">Checks</a> / ${id}</p>
    <h1>${c ? `${c.kind} on ${byId.get(c.source_id)?.name || c.source_id}${c.event ? `: ${c.event}` : ''}` : `Check ${id}`}</h1>
    <${ErrorNote} error=${check.error} title="Could not open the check" />
    ${check.loading && !c && html`<${Loading} what="Loading the check" />`}
    ${c && html`<p>${c.enabled ? html`<${OutcomeBadge} outcome=${c.last_outcome} />` : html`<${Badge} tone="neutral" symbol="✕">disabled<//>`}
        <span class="muted"> last run ${formatTime(c.last_run_at)}</span>${c.description ? html` — ${c.description}` : ''}</p>
      <dl class="facts-grid">
        <div><dt>Scope</dt><dd><${CheckScope} check=${c} /></dd></div>
        <div><dt>Severity</dt><dd>${c.severity}</dd></div>
        <div><dt>Fires after</dt><dd>${c.for} evaluation${c.for === 1 ? '' : 's'}</dd></div>
        <div><dt>Resolves after</dt><dd>${c.keep_firing_for} clear evaluation${c.keep_firing_for === 1 ? '' : 's'}</dd></div>
        <div><dt>Made by</dt><dd>${c.origin}</dd></div>
        <div><dt>Alerts</dt><dd><a href=${href('/alerts', { source: byId.get(c.source_id)?.name })}>Alerts of the source</a></dd></div>
        <div class="wide"><dt>Parameters</dt><dd><code class="raw">${JSON.stringify(c.params)}</code></dd></div>
      </dl>
      <div class="actions"><${RunNow} check=${c} onDone=${() => { setNote('Asked the worker to run it: the run appears below shortly.'); setStamp((s) => s + 1); }} />
        <${ActionButton} need="editor" kind="small" onClick=${toggle}>${c.enabled ? 'Disable' : 'Enable'} the check<//>
        ${c.origin === 'api' && html`<${ActionButton} need="editor" kind="small" onClick=${() => setEditing(!editing)} aria-expanded=${editing ? 'true' : 'false'}>Edit the check<//>
          <${ActionButton} need="editor" kind="small danger" onClick=${remove}>Delete the check<//>`}</div>
      <p role="status" aria-live="polite">${note}</p>
      ${editing && kinds.data && html`<${CheckForm} check=${c} kinds=${kinds.data} sources=${sources} onCancel=${() => setEditing(false)}
        onSaved=${() => { setEditing(false); setNote('Saved the check.'); setStamp((s) => s + 1); }} />`}
      <section aria-labelledby="st-h"><h2 id="st-h">State</h2><${States} states=${c.states} /></section>
      <${Runs} check=${c} stamp=${stamp} query=${query} path=${path} />`}`;
}
