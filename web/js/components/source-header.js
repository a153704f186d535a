// The heading and tabs shared by a source's screens.
import { html } from '../lib.js';
import { SubNav } from './layout.js';
import { Badge } from './ui.js';
import { href } from '../router.js';

export function SourceHeader({ name, source, current, title }) {
  const base = `/sources/${encodeURIComponent(name)}`;
  const items = [
    { key: 'settings', label: 'Settings', href: href(base) },
    { key: 'transformations', label: 'Transformations', href: href(`${base}/transformations`) },
    { key: 'events', label: 'Events seen', href: href(`${base}/events`) },
    { key: 'shadow', label: 'Shadow impact', href: href(`${base}/shadow`) },
    { key: 'violations', label: 'Violations', href: href(`${base}/violations`) },
  ];
  return html`<p class="crumbs"><a href="#/sources">Sources</a> / ${name}</p>
    <h1>${title}${source && html` <${ModeBadge} mode=${source.mode} />`}</h1>
    <${SubNav} label="Source screens" items=${items} current=${current} />`;
}

export function ModeBadge({ mode }) {
  return mode === 'shadow' ? html`<${Badge} tone="info" symbol="◐">shadow<//>` : html`<${Badge} tone="good" symbol="●">enforce<//>`;
}

export const WINDOWS = [['1h', 'Last hour'], ['24h', 'Last 24 hours'], ['7d', 'Last 7 days']];

export function WindowPicker({ value, onChange }) {
  return html`<fieldset class="window-picker"><legend>Time window</legend>
    ${WINDOWS.map(([id, label]) => html`<label class="check"><input type="radio" name="window" value=${id} checked=${value === id}
      onChange=${() => onChange(id)} /> ${label}</label>`)}</fieldset>`;
}
