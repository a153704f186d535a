// Edit the draft in a form or as YAML. Both save through PUT /plans/{plan}/draft with If-Match;
// lint findings arrive as the user types (debounced) from POST /plans/lint.
import { api, enc, request } from '../api.js';
import { html, useEffect, useState } from '../lib.js';
import { useDebounced } from '../data.js';
import { dump, load } from '/vendor/js-yaml/js-yaml.mjs';
import { Conflict } from '../components/conflict.js';
import { DraftForm } from '../components/draft-form.js';
import { FindingsContext, indexFindings } from '../components/findings.js';
import { setTitle } from '../components/layout.js';
import { LintPanel } from '../components/lint-panel.js';
import { PlanHeader } from '../components/plan-header.js';
import { ActionButton, ErrorNote, Loading } from '../components/ui.js';
import { YamlEditor } from '../components/yaml-editor.js';
import { href, navigate } from '../router.js';

const toYaml = (doc) => dump(doc, { noRefs: true, lineWidth: 100 });

function useLint() {
  const [lint, setLint] = useState({ busy: false, result: null, error: null });
  const run = useDebounced(async (body, yaml) => {
    setLint((l) => ({ ...l, busy: true }));
    try {
      const headers = yaml ? { 'Content-Type': 'application/yaml' } : undefined;
      const result = await api.post("/plans/lint", body, { headers });
      setLint({ busy: false, result, error: null });
    } catch (error) { setLint((l) => ({ ...l, busy: false, error })); }
  }, 400);
  return [lint, run];
}

export function DraftPage({ params, query, path }) {
  const name = params.plan;
  const tab = query.tab === 'yaml' ? 'yaml' : 'form';
  const [draft, setDraft] = useState(null); // {doc, etag, yaml, parseError, dirty}
  const [loadError, setLoadError] = useState(null);
  const [save, setSave] = useState({ busy: false, error: null, conflict: null, savedAt: null });
  const [line, setLine] = useState(null);
  const [lint, runLint] = useLint();
  const plan = draft?.plan;

  const loadDraft = async () => {
    setLoadError(null);
    try {
      const [{ data, etag }, meta] = await Promise.all([request('GET', `/plans/${enc(name)}/draft`), api.get(`/plans/${enc(name)}`)]);
      setDraft({ doc: data, etag, yaml: toYaml(data), parseError: null, dirty: false, plan: meta });
      setSave({ busy: false, error: null, conflict: null, savedAt: null });
      runLint(data, false);
    } catch (error) { setLoadError(error); }
  };
  useEffect(() => { setTitle(`Edit draft of ${name}`); loadDraft(); }, [name]);
  useEffect(() => {
    const warn = (e) => { if (draft?.dirty) { e.preventDefault(); e.returnValue = ''; } };
    window.addEventListener('beforeunload', warn);
    return () => window.removeEventListener('beforeunload', warn);
  }, [draft?.dirty]);

  const changeDoc = (doc) => { setDraft((d) => ({ ...d, doc, dirty: true })); runLint(doc, false); };
  const changeYaml = (text) => {
    let parseError = null;
    let doc;
    try { doc = load(text); } catch (error) { parseError = error.reason || error.message; }
    setDraft((d) => ({ ...d, yaml: text, dirty: true, parseError, doc: parseError ? d.doc : doc }));
    runLint(text, true);
  };
  const switchTab = (next) => {
    if (next === tab) return;
    if (next === 'yaml') {
      setDraft((d) => ({ ...d, yaml: toYaml(d.doc), parseError: null }));
      runLint(toYaml(draft.doc), true); // lines then point into the YAML text
    }
    if (next === 'form' && draft?.parseError) return;
    navigate(path, { ...query, tab: next === 'form' ? undefined : next }, { replace: true });
  };
  const doSave = async (etag = draft.etag) => {
    setSave({ busy: true, error: null, conflict: null, savedAt: null });
    const yaml = tab === 'yaml';
    try {
      const answer = await request('PUT', `/plans/${enc(name)}/draft`, {
        body: yaml ? draft.yaml : draft.doc,
        headers: { 'If-Match': etag, ...(yaml ? { 'Content-Type': 'application/yaml' } : {}) },
      });
      setDraft((d) => ({ ...d, doc: answer.data, etag: answer.etag, yaml: toYaml(answer.data), dirty: false }));
      setSave({ busy: false, error: null, conflict: null, savedAt: new Date() });
    } catch (error) {
      setSave({ busy: false, error: error.status === 412 ? null : error, conflict: error.status === 412 ? error : null, savedAt: null });
    }
  };

  const tabs = [['form', 'Form'], ['yaml', 'YAML']];
  return html`<${PlanHeader} name=${name} plan=${plan} current="draft" title=${`Edit the draft of ${plan?.display_name || name}`} />
    <${ErrorNote} error=${loadError} title="Could not open the draft" />
    ${!draft && !loadError && html`<${Loading} what="Loading the draft" />`}
    ${draft && html`<${FindingsContext.Provider} value=${indexFindings(lint.result?.issues)}>
      <div class="toolbar">
        <div role="tablist" aria-label="Editor" class="tabs">${tabs.map(([id, label]) => html`<button type="button" role="tab"
          id=${`tab-${id}`} aria-selected=${tab === id ? 'true' : 'false'} aria-controls="editor-panel" tabindex=${tab === id ? 0 : -1}
          onClick=${() => switchTab(id)} onKeyDown=${(e) => { if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') { const other = id === 'form' ? 'yaml' : 'form'; switchTab(other); document.getElementById(`tab-${other}`)?.focus(); } }}>${label}</button>`)}</div>
        <span class="save-state" role="status" aria-live="polite">${save.savedAt ? `Saved at ${save.savedAt.toLocaleTimeString()}.` : draft.dirty ? 'Unsaved changes.' : 'No unsaved changes.'}</span>
        <${ActionButton} need="editor" kind="primary" busy=${save.busy} disabled=${Boolean(draft.parseError)} reason="Fix the YAML first"
          onClick=${() => doSave()}>Save draft<//>
        <a class="btn" href=${href(`/plans/${encodeURIComponent(name)}/diff`)}>Review diff and publish</a>
      </div>
      ${save.conflict && html`<${Conflict} plan=${name} error=${save.conflict} mine=${draft.doc} onReload=${loadDraft} onOverwrite=${(etag) => doSave(etag)} />`}
      <${ErrorNote} error=${save.error} title="Not saved" />
      <div class="draft-layout">
        <div id="editor-panel" role="tabpanel" aria-labelledby=${`tab-${tab}`}>
          ${tab === 'form' ? html`<${DraftForm} doc=${draft.doc} onChange=${changeDoc} part=${query.part}
              onPart=${(part) => navigate(path, { ...query, part }, { replace: true })} />`
            : html`<${YamlEditor} text=${draft.yaml} onInput=${changeYaml} line=${line} parseError=${draft.parseError} />`}
        </div>
        <${LintPanel} lint=${lint} onLine=${tab === 'yaml' ? (n) => setLine({ n, at: Date.now() }) : null} />
      </div>
    <//>`}`;
}
