// Import a Segment, RudderStack, Iglu or JSON Schema file into a plan's draft and read the report of
// everything that did not carry over; download a version in our format or another tool's.
import { api, apiUrl, enc, request } from '../api.js';
import { html, useEffect, useState } from '../lib.js';
import { useLoad } from '../data.js';
import { setTitle } from '../components/layout.js';
import { PlanHeader } from '../components/plan-header.js';
import { ActionButton, Badge, ErrorNote } from '../components/ui.js';
import { href } from '../router.js';

const FORMATS = [['segment', 'Segment (Config API, Public API rules, Typewriter plan.json)'], ['rudderstack', 'RudderStack (rudder-cli YAML, or a zip of the project)'],
  ['iglu', 'Snowplow Iglu (a schema, or a zip of the schema tree)'], ['jsonschema', 'JSON Schema 2020-12 bundle (zip)']];
const TONE = { error: 'bad', warning: 'warn', info: 'info' };

function contentType(file) {
  if (/\.zip$/i.test(file.name)) return 'application/zip';
  if (/\.ya?ml$/i.test(file.name)) return 'application/yaml';
  return 'application/json';
}

export function ImportPage() {
  const [format, setFormat] = useState('segment');
  const [name, setName] = useState('');
  const [file, setFile] = useState(null);
  const [state, setState] = useState({ busy: false, error: null, result: null });
  useEffect(() => setTitle('Import a plan'), []);
  const submit = async (event) => {
    event.preventDefault();
    if (!file) return;
    setState({ busy: true, error: null, result: null });
    try {
      const result = await api.post('/plans/import', await file.arrayBuffer(), {
        query: { format, name: name.trim() || undefined }, headers: { 'Content-Type': contentType(file) } });
      setState({ busy: false, error: null, result });
    } catch (error) { setState({ busy: false, error, result: null }); }
  };
  const r = state.result;
  return html`<p class="crumbs"><a href="#/plans">Plans</a> / import</p><h1>Import a plan</h1>
    <form class="stack" onSubmit=${submit}>
      <div class="field"><label for="imp-format">Format</label>
        <select id="imp-format" value=${format} onChange=${(e) => setFormat(e.target.value)}>${FORMATS.map(([v, t]) => html`<option value=${v}>${t}</option>`)}</select></div>
      <div class="field"><label for="imp-file">Plan file</label>
        <input id="imp-file" type="file" required onChange=${(e) => setFile(e.target.files[0] || null)} /></div>
      <div class="field"><label for="imp-name">Plan name (optional)</label>
        <input id="imp-name" value=${name} onInput=${(e) => setName(e.target.value)} aria-describedby="imp-name-h" />
        <p id="imp-name-h" class="hint">Default: derived from the file. An existing plan's draft is replaced; its published versions stay.</p></div>
      <${ActionButton} need="editor" type="submit" kind="primary" busy=${state.busy}>Import<//>
    </form>
    <${ErrorNote} error=${state.error} title="Import refused" />
    ${r && html`<section aria-labelledby="rep-h"><h2 id="rep-h">Import report</h2>
      <p class="note good" role="status">${r.created ? 'Created' : 'Updated the draft of'} plan <a href=${href(`/plans/${encodeURIComponent(r.plan.name)}/draft`)}>${r.plan.name}</a>.
        ${r.report.length ? `${r.report.length} thing${r.report.length > 1 ? 's' : ''} did not carry over exactly:` : 'Everything carried over.'}</p>
      ${r.report.length > 0 && html`<table class="grid"><caption>What did not carry over</caption>
        <thead><tr><th scope="col">Severity</th><th scope="col">Where in the input</th><th scope="col">What happened</th></tr></thead>
        <tbody>${r.report.map((item) => html`<tr><td><${Badge} tone=${TONE[item.severity] || 'neutral'}>${item.severity}<//></td>
          <td><code>${item.path || '(input)'}</code></td><td>${item.message}</td></tr>`)}</tbody></table>`}
    </section>`}`;
}

const EXPORTS = [['yaml', 'governance YAML'], ['json', 'governance JSON'], ['segment', 'Segment Public API rules'], ['jsonschema', 'JSON Schema 2020-12 bundle (zip)']];

export function ExportPage({ params }) {
  const name = params.plan;
  const plan = useLoad(() => api.get(`/plans/${enc(name)}`), [name]);
  const [format, setFormat] = useState('yaml');
  const [version, setVersion] = useState('latest');
  const [state, setState] = useState({ busy: false, error: null, file: null });
  useEffect(() => setTitle(`Export ${name}`), [name]);
  const hasVersion = plan.data?.latest_version > 0;
  const chosen = hasVersion ? version : 'draft';  // Download waits for the plan: before it, only the draft is known
  const download = async () => {
    setState({ busy: true, error: null, file: null });
    try {
      const answer = await request('GET', `/plans/${enc(name)}/export`, { query: { format, version: chosen }, blob: true });
      const filename = /filename="([^"]+)"/.exec(answer.headers.get('content-disposition') || '')?.[1] || `${name}.${format}`;
      const link = document.createElement('a');
      link.href = URL.createObjectURL(answer.data);
      link.download = filename;
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(link.href), 10000);
      setState({ busy: false, error: null, file: filename });
    } catch (error) { setState({ busy: false, error, file: null }); }
  };
  return html`<${PlanHeader} name=${name} plan=${plan.data} current="export" title=${`Export ${plan.data?.display_name || name}`} />
    <div class="stack">
      <div class="field"><label for="exp-format">Format</label>
        <select id="exp-format" value=${format} onChange=${(e) => setFormat(e.target.value)}>${EXPORTS.map(([v, t]) => html`<option value=${v}>${t}</option>`)}</select></div>
      <div class="field"><label for="exp-version">Version</label>
        <select id="exp-version" value=${chosen} onChange=${(e) => setVersion(e.target.value)}>
          ${hasVersion && html`<option value="latest">Latest (v${plan.data.latest_version})</option>`}<option value="draft">Draft</option></select></div>
      <p><button type="button" class="btn primary" onClick=${download} disabled=${state.busy || !plan.data}>Download</button>
        <span class="muted"> or link to it: <code>${apiUrl(`/plans/${enc(name)}/export`, { format, version: chosen })}</code> (needs the token)</span></p>
    </div>
    ${state.file && html`<p class="note good" role="status">Downloaded ${state.file}.</p>`}
    <${ErrorNote} error=${state.error} title="Could not export" />`;
}
