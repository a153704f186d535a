// The heading and tabs shared by a plan's screens (events, draft, diff & publish, history, export).
import { html } from '../lib.js';
import { SubNav } from './layout.js';
import { href } from '../router.js';

export function PlanHeader({ name, plan, current, title }) {
  const base = `/plans/${encodeURIComponent(name)}`;
  const items = [
    { key: 'events', label: 'Events', href: href(base) },
    { key: 'draft', label: 'Edit draft', href: href(`${base}/draft`) },
    { key: 'diff', label: 'Diff & publish', href: href(`${base}/diff`) },
    { key: 'history', label: 'History', href: href(`${base}/history`) },
    { key: 'export', label: 'Export', href: href(`${base}/export`) },
  ];
  return html`<p class="crumbs"><a href="#/plans">Plans</a> / ${name}</p>
    <h1>${title}${plan?.latest_version ? html` <span class="muted">v${plan.latest_version}</span>` : ''}</h1>
    ${plan?.description && html`<p class="lede">${plan.description}</p>`}
    <${SubNav} label="Plan screens" items=${items} current=${current} />`;
}
