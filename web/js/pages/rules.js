// Routing rules: matchers -> channels (every enabled rule that matches adds its channels). Create,
// edit, enable, delete; and a dry run: "an alert with these labels would reach …".
import { api, enc } from '../api.js';
import { html, useEffect, useState } from '../lib.js';
import { useLoad } from '../data.js';
import { setTitle } from '../components/layout.js';
import { useSources } from '../components/filters.js';
import { ActionButton, Badge, Empty, ErrorNote, Loading, nextId } from '../components/ui.js';
import { AlertingHeader } from './channels.js';

const SEVERITIES = ['', 'info', 'warning', 'critical'];

const list = (text) => text.split(',').map((t) => t.trim()).filter(Boolean);
const one = (items) => (items.length === 0 ? undefined : items.length === 1 ? items[0] : items);
const join = (value) => [].concat(value ?? []).join(', ');

function parseLabels(text) {
  const out = {};
  for (const line of text.split(/[\n,]+/).map((l) => l.trim()).filter(Boolean)) {
    const at = line.indexOf('=') >= 0 ? line.indexOf('=') : line.indexOf(':');
    if (at > 0) out[line.slice(0, at).trim()] = line.slice(at + 1).trim();
  }
  return out;
}
const labelsText = (labels) => Object.entries(labels || {}).map(([k, v]) => `${k}=${v}`).join(', ');

function matchersOf(form) {
  const m = { owner: one(list(form.owner)), source: one(list(form.source)), check_kind: one(list(form.check_kind)),
    event: one(list(form.event)), severity: form.severity || undefined, labels: parseLabels(form.labels) };
  return Object.fromEntries(Object.entries(m).filter(([, v]) => v !== undefined));
}

function describe(m, channels) {
  const parts = [];
  if (m.severity) parts.push(`severity ${m.severity} or higher`);
  for (const key of ['source', 'event', 'check_kind', 'owner']) if (m[key]) parts.push(`${key.replace('_', ' ')} ${join(m[key])}`);
  for (const [k, v] of Object.entries(m.labels || {})) parts.push(`label ${k}=${v}`);
  return `${parts.length ? `Alerts with ${parts.join(' and ')}` : 'Every alert'} → ${channels}`;
}

function MatcherFields({ form, setForm, prefix, sources, single }) {
  const field = (key, label, hint) => html`<div class="field"><label for=${`${prefix}-${key}`}>${label}</label>
    <input id=${`${prefix}-${key}`} value=${form[key]} list=${key === 'source' ? `${prefix}-sources` : undefined} onInput=${(e) => setForm({ ...form, [key]: e.target.value })} />
    ${hint && (!single || key === 'labels') && html`<span class="hint">${hint}</span>`}</div>`;
  return html`<div class="bounds">
    ${field('source', 'Source', 'names, separated by commas; empty: any')}
    ${field('event', 'Event', 'names, separated by commas')}
    ${field('check_kind', 'Check kind', 'volume, silence, …')}
    ${field('owner', 'Owner', 'the event owner’s email')}
    ${field('labels', 'Labels', 'key=value, separated by commas')}
    <div class="field"><label for=${`${prefix}-severity`}>${single ? 'Severity' : 'Minimum severity'}</label>
      <select id=${`${prefix}-severity`} value=${form.severity} onChange=${(e) => setForm({ ...form, severity: e.target.value })}>
        ${SEVERITIES.filter((s) => s || !single).map((s) => html`<option value=${s}>${s || 'any'}</option>`)}</select></div>
    <datalist id=${`${prefix}-sources`}>${sources.map((s) => html`<option value=${s.name} />`)}</datalist>
  </div>`;
}

const emptyForm = (rule) => ({
  name: rule?.name || '', owner: join(rule?.matchers.owner), source: join(rule?.matchers.source), event: join(rule?.matchers.event),
  check_kind: join(rule?.matchers.check_kind), severity: rule?.matchers.severity || '', labels: labelsText(rule?.matchers.labels),
  channels: new Set(rule?.channels || []), enabled: rule ? rule.enabled : true,
});

function RuleForm({ rule, channels, sources, onDone, onCancel }) {
  const [form, setForm] = useState(() => emptyForm(rule));
  const [state, setState] = useState({ busy: false, error: null });
  const [prefix] = useState(() => nextId('rule'));
  const submit = async (event) => {
    event.preventDefault();
    setState({ busy: true, error: null });
    const body = { name: form.name.trim(), matchers: matchersOf(form), channels: [...form.channels], enabled: form.enabled };
    try {
      if (rule) await api.patch(`/alert-rules/${enc(rule.id)}`, body); else await api.post('/alert-rules', body);
      if (!rule) setForm(emptyForm(null));
      setState({ busy: false, error: null });
      onDone(`${rule ? 'Saved' : 'Created'} the rule ${body.name}.`);
    } catch (error) { setState({ busy: false, error }); }
  };
  const toggle = (id) => { const next = new Set(form.channels); if (next.has(id)) next.delete(id); else next.add(id); setForm({ ...form, channels: next }); };
  return html`<form class="stack" onSubmit=${submit} aria-label=${rule ? `Edit the rule ${rule.name}` : 'Create a rule'}>
    <div class="field"><label for=${`${prefix}-name`}>Rule name</label><input id=${`${prefix}-name`} required value=${form.name} onInput=${(e) => setForm({ ...form, name: e.target.value })} /></div>
    <fieldset><legend>Alerts it matches (every field given must hold)</legend>
      <${MatcherFields} form=${form} setForm=${setForm} prefix=${prefix} sources=${sources} /></fieldset>
    <fieldset><legend>Channels it sends to</legend>
      ${channels.length === 0 && html`<p class="muted">No channel yet: <a href="#/channels">create one</a>.</p>`}
      ${channels.map((c) => html`<label class="check"><input type="checkbox" checked=${form.channels.has(c.id)} onChange=${() => toggle(c.id)} /> ${c.name} <span class="muted">(${c.kind})</span></label>`)}</fieldset>
    <label class="check"><input type="checkbox" checked=${form.enabled} onChange=${(e) => setForm({ ...form, enabled: e.target.checked })} /> Enabled</label>
    <div class="actions"><${ActionButton} need="admin" type="submit" kind="primary" busy=${state.busy}>${rule ? `Save ${rule.name}` : 'Create rule'}<//>
      ${onCancel && html`<button type="button" class="btn" onClick=${onCancel}>Cancel</button>`}</div>
    <${ErrorNote} error=${state.error} title="Rule not saved" />
  </form>`;
}

function DryRun({ sources }) {
  const [form, setForm] = useState({ owner: '', source: '', event: '', check_kind: '', severity: 'warning', labels: '' });
  const [state, setState] = useState({ busy: false, error: null, routes: null });
  const run = async (event) => {
    event.preventDefault();
    setState({ busy: true, error: null, routes: null });
    const body = { owner: form.owner.trim() || null, source: form.source.trim() || null, event: form.event.trim() || null,
      check_kind: form.check_kind.trim() || null, severity: form.severity || 'warning', labels: parseLabels(form.labels) };
    try { setState({ busy: false, error: null, routes: (await api.post('/alert-rules/route', body)).routes }); } catch (error) { setState({ busy: false, error, routes: null }); }
  };
  return html`<section aria-labelledby="dry-h"><h2 id="dry-h">Dry run</h2>
    <form class="stack" onSubmit=${run} aria-label="Dry run of the routing">
      <${MatcherFields} form=${form} setForm=${setForm} prefix="dry" sources=${sources} single=${true} />
      <button type="submit" class="btn primary" disabled=${state.busy}>Where would it go?</button>
    </form>
    <${ErrorNote} error=${state.error} title="Dry run failed" />
    ${state.routes && html`<div class="note" role="status">${state.routes.length === 0
      ? html`<p>An alert with these labels would reach <strong>no channel</strong>.</p>`
      : html`<p>An alert with these labels would reach:</p><ul>${state.routes.map((r) => html`<li><strong>${r.channel || r.channel_id}</strong>
          ${r.recipient ? ` (to ${r.recipient})` : ''} <span class="muted">via ${r.via === 'owner' ? 'the owner route' : `rule ${r.via}`}</span></li>`)}</ul>`}</div>`}
  </section>`;
}

export function RulesPage() {
  const [stamp, setStamp] = useState(0);
  const [note, setNote] = useState('');
  const [editing, setEditing] = useState(null);
  const rules = useLoad(() => api.get('/alert-rules', { query: { limit: 500 } }), [stamp]);
  const channels = useLoad(() => api.get('/alert-channels', { query: { limit: 500 } }), []);
  const { list: sources } = useSources();
  useEffect(() => setTitle('Routing rules'), []);
  const all = channels.data?.data || [];
  const names = (ids) => ids.map((id) => all.find((c) => c.id === id)?.name || id).join(', ') || 'no channel';
  const done = (text) => { setNote(text); setEditing(null); setStamp((s) => s + 1); };
  const remove = async (rule) => {
    if (!window.confirm(`Delete the rule ${rule.name}?`)) return;
    try { await api.del(`/alert-rules/${enc(rule.id)}`); done(`Deleted the rule ${rule.name}.`); } catch (error) { setNote(`${error.code}: ${error.message}`); }
  };
  const data = rules.data;
  return html`<${AlertingHeader} current="rules" title="Routing rules" />
    <p class="lede">Every enabled rule that matches an alert adds its channels (there is no first match). An email channel addressed to <code>owner</code> reaches the event's owner without a rule.</p>
    <details class="create"><summary>Create a rule</summary>
      <${RuleForm} channels=${all} sources=${sources} onDone=${done} /></details>
    <p role="status" aria-live="polite">${note}</p>
    <${ErrorNote} error=${rules.error || channels.error} title="Could not list the rules" />
    ${rules.loading && !data && html`<${Loading} what="Loading the rules" />`}
    ${data?.count === 0 && html`<${Empty}>No rule yet: alerts reach only owner-addressed email channels.<//>`}
    ${data?.count > 0 && html`<ul class="plain rules">${data.data.map((r) => html`<li class="rule">
      <h3>${r.name} ${r.enabled ? html`<${Badge} tone="good">enabled<//>` : html`<${Badge} tone="neutral" symbol="✕">disabled<//>`}</h3>
      <p>${describe(r.matchers, names(r.channels))}</p>
      <div class="actions"><${ActionButton} need="admin" onClick=${() => setEditing(editing === r.id ? null : r.id)}>Edit ${r.name}<//>
        <${ActionButton} need="admin" kind="danger" onClick=${() => remove(r)}>Delete ${r.name}<//></div>
      ${editing === r.id && html`<${RuleForm} rule=${r} channels=${all} sources=${sources} onDone=${done} onCancel=${() => setEditing(null)} />`}
    </li>`)}</ul>`}
    <${DryRun} sources=${sources} />`;
}
