// An alert's severity and state in words and symbols (colour is never the only signal).
import { html } from '../lib.js';
import { Badge } from './ui.js';

const SEVERITY = { critical: ['bad', '‼'], warning: ['warn', '!'], info: ['info', 'i'] };

export function SeverityBadge({ severity }) {
  const [tone, symbol] = SEVERITY[severity] || ['neutral', ''];
  return html`<${Badge} tone=${tone} symbol=${symbol}>${severity}<//>`;
}

export function AlertState({ alert, now = Date.now() }) {
  const snoozed = alert.snoozed_until && new Date(alert.snoozed_until).getTime() > now;
  return html`${alert.status === 'firing' ? html`<${Badge} tone="bad" symbol="●">firing<//>` : html`<${Badge} tone="good" symbol="✓">resolved<//>`}
    ${alert.acked_at && html` <${Badge} tone="info" symbol="✓">acknowledged<//>`}
    ${snoozed && html` <${Badge} tone="neutral" symbol="z">snoozed<//>`}
    ${alert.status === 'firing' && alert.silenced_by?.length > 0 && html` <${Badge} tone="neutral" symbol="z">silenced<//>`}
    ${alert.status === 'firing' && alert.inhibited_by?.length > 0 && html` <${Badge} tone="neutral" symbol="↧">inhibited<//>`}`;
}
