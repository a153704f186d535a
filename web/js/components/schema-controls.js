// The source's schema controls as switches under Segment's names (PATCH .../settings takes the same
// {track, identify, group} body as Segment's Public API). Each switch saves at once.
import { api, enc } from '../api.js';
import { html, useState } from '../lib.js';
import { denied, useMe } from '../session.js';
import { ErrorNote } from './ui.js';

const TRACK = [
  ['allowUnplannedEvents', 'Events the plan does not have', 'Allow', 'Block'],
  ['allowUnplannedEventProperties', 'Properties the plan does not have', 'Allow', 'Omit'],
  ['allowEventOnViolations', 'Events with violations', 'Allow', 'Block'],
  ['allowPropertiesOnViolations', 'Properties with violations', 'Allow', 'Omit'],
];
const TRAITS = [
  ['allowUnplannedTraits', 'Traits the plan does not have', 'Allow', 'Omit'],
  ['allowTraitsOnViolations', 'Traits with violations', 'Allow', 'Omit'],
  ['allowEventOnViolations', 'Calls with violations', 'Allow', 'Block'],
];
const COMMON = { track: ['ALLOW', 'BLOCK', 'OMIT_PROPERTIES'], identify: ['ALLOW', 'BLOCK', 'OMIT_TRAITS'], group: ['ALLOW', 'BLOCK', 'OMIT_TRAITS'] };

function Switch({ section, name, label, on, off, value, onSave, why }) {
  const id = `sc-${section}-${name}`;
  return html`<div class="switch-row">
    <input type="checkbox" role="switch" id=${id} checked=${value} aria-describedby=${`${id}-state`}
      disabled=${Boolean(why)} title=${why || undefined} onChange=${(e) => onSave(section, name, e.target.checked)} />
    <label for=${id}><code>${name}</code> <span class="muted">${label}</span></label>
    <span id=${`${id}-state`} class=${`switch-state ${value ? 'on' : 'off'}`} title=${why || undefined}>${value ? on : off}</span>
  </div>`;
}

export function SchemaControls({ source, settings, onChange }) {
  const me = useMe();
  const why = denied(me, 'editor');
  const [status, setStatus] = useState({ text: '', error: null });
  const save = async (section, name, value) => {
    setStatus({ text: `Saving ${section}.${name}…`, error: null });
    const before = settings;
    onChange({ ...settings, [section]: { ...settings[section], [name]: value } }); // shown at once, undone on error
    try {
      const next = await api.patch(`/sources/${enc(source)}/settings`, { [section]: { [name]: value } });
      onChange(next);
      setStatus({ text: `Saved: ${section}.${name} is now ${JSON.stringify(value)}.`, error: null });
    } catch (error) { onChange(before); setStatus({ text: '', error }); }
  };
  const saveTop = async (name, value) => {
    try {
      onChange(await api.patch(`/sources/${enc(source)}/settings`, { [name]: value || null }));
      setStatus({ text: `Saved: ${name}.`, error: null });
    } catch (error) { setStatus({ text: '', error }); }
  };
  const group = (section, rows) => html`<fieldset class="controls"><legend>${section}</legend>
    ${rows.map(([name, label, on, off]) => html`<${Switch} section=${section} name=${name} label=${label} on=${on} off=${off}
      value=${settings[section][name]} onSave=${save} why=${why} />`)}
    <div class="field inline"><label for=${`sc-${section}-common`}><code>commonEventOnViolations</code> <span class="muted">common-schema violations</span></label>
      <select id=${`sc-${section}-common`} value=${settings[section].commonEventOnViolations} disabled=${Boolean(why)} title=${why || undefined}
        onChange=${(e) => save(section, 'commonEventOnViolations', e.target.value)}>${COMMON[section].map((v) => html`<option value=${v}>${v}</option>`)}</select></div>
  </fieldset>`;
  return html`<section aria-labelledby="sc-h"><h2 id="sc-h">Schema controls</h2>
    ${why && html`<p class="muted">${why}</p>`}
    <p class="status" role="status" aria-live="polite">${status.text}</p>
    <${ErrorNote} error=${status.error} title="Not saved" />
    ${group('track', TRACK)}${group('identify', TRAITS)}${group('group', TRAITS)}
    <fieldset class="controls"><legend>Forwarding</legend>
      ${['forwardingViolationsTo', 'forwardingBlockedEventsTo'].map((name) => html`<div class="field inline">
        <label for=${`sc-${name}`}><code>${name}</code> <span class="muted">(a source id or name)</span></label>
        <input id=${`sc-${name}`} value=${settings[name] || ''} disabled=${Boolean(why)} onChange=${(e) => saveTop(name, e.target.value.trim())} /></div>`)}
    </fieldset>
  </section>`;
}
