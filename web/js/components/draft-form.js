// The form tab: choose a part of the plan (settings, an event, identify, group, page, screen,
// common) and edit it. The chosen part is in the URL (`?part=event:Order Completed`).
import { html, useContext, useState } from '../lib.js';
import { formatPath, renameKey, setIn } from '../plan-doc.js';
import { FindingsContext, countUnder } from './findings.js';
import { EventEditor } from './event-editor.js';
import { CommonEditor, PlanSettingsEditor, TraitsEditor, ViewEditor } from './section-editors.js';

const PARTS = [['settings', 'Plan settings'], ['identify', 'Identify traits'], ['group', 'Group traits'],
  ['page', 'Page'], ['screen', 'Screen'], ['common', 'Common schema']];
const SHOWN = 100;

function PartButton({ id, label, current, onPick, count }) {
  return html`<li><button type="button" class="part" aria-current=${id === current ? 'true' : undefined} onClick=${() => onPick(id)}>
    ${label}${count ? html` <span class="finding-count">(${count} finding${count > 1 ? 's' : ''})</span>` : ''}</button></li>`;
}

function EventList({ events, current, onPick, onAdd }) {
  const findings = useContext(FindingsContext);
  const [filter, setFilter] = useState('');
  const [name, setName] = useState('');
  const names = Object.keys(events).filter((n) => n.toLowerCase().includes(filter.toLowerCase()));
  const add = () => {
    const clean = name.trim();
    if (!clean || clean in events) return;
    onAdd(clean);
    setName('');
  };
  return html`<div class="event-list">
    <h3 id="ev-list-h">Events (${Object.keys(events).length})</h3>
    <div class="field"><label for="ev-filter">Find an event</label>
      <input id="ev-filter" type="search" value=${filter} onInput=${(e) => setFilter(e.target.value)} /></div>
    <ul class="parts" aria-labelledby="ev-list-h">${names.slice(0, SHOWN).map((n) => html`<${PartButton} key=${n} id=${`event:${n}`} label=${n}
      current=${current} onPick=${onPick} count=${countUnder(findings, formatPath(['events', n]))} />`)}</ul>
    ${names.length > SHOWN && html`<p class="muted">${names.length - SHOWN} more: narrow the search.</p>`}
    <div class="add-row"><label for="ev-new">New event name</label>
      <input id="ev-new" value=${name} onInput=${(e) => setName(e.target.value)} onKeyDown=${(e) => { if (e.key === 'Enter') { e.preventDefault(); add(); } }} />
      <button type="button" class="btn small" onClick=${add}>Add event</button></div>
  </div>`;
}

export function DraftForm({ doc, onChange, part, onPart }) {
  const events = doc.events || {};
  const [kind, ...rest] = (part || 'settings').split(':');
  const eventName = kind === 'event' ? rest.join(':') : null;
  const findings = useContext(FindingsContext);
  let editor;
  if (eventName !== null && eventName in events) {
    editor = html`<${EventEditor} key=${eventName} name=${eventName} spec=${events[eventName]}
      onChange=${(spec) => onChange(setIn(doc, ['events', eventName], spec))}
      onRename=${(from, to) => { if (to && !(to in events)) { onChange({ ...doc, events: renameKey(events, from, to) }); onPart(`event:${to}`); } }}
      onRemove=${(gone) => { onChange(setIn(doc, ['events', gone], undefined)); onPart('settings'); }} />`;
  } else if (kind === 'identify' || kind === 'group') editor = html`<${TraitsEditor} kind=${kind} doc=${doc} onChange=${onChange} />`;
  else if (kind === 'page' || kind === 'screen') editor = html`<${ViewEditor} kind=${kind} doc=${doc} onChange=${onChange} />`;
  else if (kind === 'common') editor = html`<${CommonEditor} doc=${doc} onChange=${onChange} />`;
  else editor = html`<${PlanSettingsEditor} doc=${doc} onChange=${onChange} />`;
  return html`<div class="draft-form">
    <nav class="parts-nav" aria-label="Parts of the plan">
      <ul class="parts">${PARTS.map(([id, label]) => html`<${PartButton} id=${id} label=${label} current=${kind === 'event' ? '' : kind}
        onPick=${onPart} count=${id === 'settings' ? 0 : countUnder(findings, id)} />`)}</ul>
      <${EventList} events=${events} current=${part} onPick=${onPart}
        onAdd=${(n) => { onChange(setIn(doc, ['events', n], { description: '' })); onPart(`event:${n}`); }} />
    </nav>
    <div class="part-editor">${editor}</div>
  </div>`;
}
