// The diff between any two versions (or the draft and the latest), and publishing: a message, the
// compatibility verdict before the click, and on a 409 the breaking changes that refused it.
import { api, enc, request } from '../api.js';
import { html, useEffect, useState } from '../lib.js';
import { useLoad } from '../data.js';
import { CategoryBadge, ChangesTable } from '../components/changes.js';
import { setTitle } from '../components/layout.js';
import { PlanHeader } from '../components/plan-header.js';
import { ActionButton, ErrorNote, Loading } from '../components/ui.js';
import { href, navigate } from '../router.js';

function SideSelect({ id, label, value, versions, onChange }) {
  return html`<div class="field inline"><label for=${id}>${label}</label>
    <select id=${id} value=${value} onChange=${(e) => onChange(e.target.value)}>
      <option value="draft">Draft</option>
      ${versions.map((v) => html`<option value=${String(v.version)}>v${v.version}${v.message ? ` — ${v.message}` : ''}</option>`)}
    </select></div>`;
}

function Publish({ name, onPublished }) {
  const verdict = useLoad(async () => {
    const { data, etag } = await request('GET', `/plans/${enc(name)}/draft`);
    return { report: await api.post(`/plans/${enc(name)}/compatibility`, data), etag };
  }, [name]);
  const [message, setMessage] = useState('');
  const [force, setForce] = useState(false);
  const [state, setState] = useState({ busy: false, error: null, done: null });
  const publish = async () => {
    setState({ busy: true, error: null, done: null });
    try {
      const version = await api.post(`/plans/${enc(name)}/versions`, { message: message || null, allow_breaking: force },
        { headers: { 'If-Match': verdict.data.etag } });
      onPublished(version);
    } catch (error) { setState({ busy: false, error, done: null }); }
  };
  const report = verdict.data?.report;
  const refused = state.error?.code === 'incompatible_plan' ? state.error.details : null;
  return html`<section class="publish" aria-labelledby="pub-h"><h2 id="pub-h">Publish the draft</h2>
    ${verdict.loading && html`<${Loading} what="Checking compatibility" />`}
    <${ErrorNote} error=${verdict.error} title="Could not check compatibility" />
    ${report && html`<p class="verdict" id="verdict">Verdict under <code>${report.mode}</code>: ${report.is_compatible ? html`<strong>compatible</strong>` : html`<strong>not compatible</strong>`} — <${CategoryBadge} category=${report.changes?.length ? report.category : 'none'} />${report.against_version ? ` (against v${report.against_version})` : ''}</p>
      ${!report.is_compatible && report.messages?.length > 0 && html`<ul class="refusals">${report.messages.map((m) => html`<li>${m}</li>`)}</ul>`}`}
    <div class="field"><label for="pub-msg">Publish message</label>
      <input id="pub-msg" value=${message} onInput=${(e) => setMessage(e.target.value)} placeholder="What changed and why" /></div>
    <label class="check"><input type="checkbox" checked=${force} onChange=${(e) => setForce(e.target.checked)} /> Publish even if the change is breaking (overrides the plan's compatibility mode)</label>
    <p><${ActionButton} need="editor" kind="primary" busy=${state.busy} disabled=${!report} reason="Waiting for the verdict" onClick=${publish}>Publish<//></p>
    ${refused ? html`<div class="note error" role="alert"><p><strong>Refused:</strong> <code class="code">${state.error.code}</code> ${state.error.message}</p>
        <${ChangesTable} changes=${refused.changes} caption=${`Breaking changes under ${refused.mode} (against v${refused.against_version})`} /></div>`
      : html`<${ErrorNote} error=${state.error} title="Not published" />`}
  </section>`;
}

export function DiffPage({ params, query, path }) {
  const name = params.plan;
  const [stamp, setStamp] = useState(0);
  const [published, setPublished] = useState(null);
  const plan = useLoad(() => api.get(`/plans/${enc(name)}`), [name, stamp]);
  const versions = useLoad(() => api.get(`/plans/${enc(name)}/versions`, { query: { limit: 500 } }), [name, stamp]);
  const latest = plan.data?.latest_version;
  const from = query.from === 'latest' ? String(latest || '') : query.from || String(latest || '');
  const to = query.to === 'latest' ? String(latest || '') : query.to || 'draft';
  const diff = useLoad(() => (from ? api.get(`/plans/${enc(name)}/diff`, { query: { from, to } }) : null), [name, from, to, stamp]);
  useEffect(() => setTitle(`Diff of ${name}`), [name]);
  const pick = (patch) => navigate(path, { from, to, ...patch }, { replace: true });
  return html`<${PlanHeader} name=${name} plan=${plan.data} current="diff" title=${`Diff and publish ${plan.data?.display_name || name}`} />
    <${ErrorNote} error=${plan.error || versions.error} title="Could not open the plan" />
    ${versions.data && html`<section aria-labelledby="diff-h"><h2 id="diff-h">Changes</h2>
      ${!latest ? html`<p>Nothing is published yet: the first version is additive by definition.</p>` : html`<div class="filters">
        <${SideSelect} id="diff-from" label="From" value=${from} versions=${versions.data.data} onChange=${(v) => pick({ from: v })} />
        <${SideSelect} id="diff-to" label="To" value=${to} versions=${versions.data.data} onChange=${(v) => pick({ to: v })} />
      </div>
      ${diff.loading && html`<${Loading} what="Comparing" />`}
      <${ErrorNote} error=${diff.error} title="Could not compare" />
      ${diff.data && html`<p class="verdict">From ${from === 'draft' ? 'the draft' : `v${from}`} to ${to === 'draft' ? 'the draft' : `v${to}`}: <${CategoryBadge} category=${diff.data.changes.length ? diff.data.category : 'none'} /></p>
        <${ChangesTable} changes=${diff.data.changes} />`}`}
    </section>
    ${published && html`<p class="note good" role="status">Published version ${published.version} (<${CategoryBadge} category=${published.category} />). <a href=${href(`/plans/${encodeURIComponent(name)}/history`)}>See the history</a>.</p>`}
    <${Publish} key=${stamp} name=${name} onPublished=${(v) => { setPublished(v); setStamp((s) => s + 1); }} />`}`;
}
