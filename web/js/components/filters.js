// Filters shared by the operations screens: a source picker (names from GET /sources), a time range
// (any time, the last hour, day or week, or from/to), and the sources' names by id for tables.
// Filters live in the URL (?source=&range=&since=&until=), so a filtered screen has an address.
import { api } from '../api.js';
import { html, useEffect, useMemo, useState } from '../lib.js';
import { useLoad } from '../data.js';

const RANGES = [['', 'Any time'], ['1h', 'Last hour'], ['24h', 'Last 24 hours'], ['7d', 'Last 7 days'], ['custom', 'From … to …']];
const HOURS = { '1h': 1, '24h': 24, '7d': 24 * 7 };

export function useSources() {
  const list = useLoad(() => api.get('/sources', { query: { limit: 500 } }), []);
  const byId = useMemo(() => new Map((list.data?.data || []).map((s) => [s.id, s])), [list.data]);
  return { list: list.data?.data || [], byId, error: list.error };
}

export function SourceSelect({ id, value, sources, onChange, label = 'Source' }) {
  return html`<div class="field"><label for=${id}>${label}</label>
    <select id=${id} value=${value || ''} onChange=${(e) => onChange(e.target.value)}>
      <option value="">Every source</option>
      ${sources.map((s) => html`<option value=${s.name}>${s.name}</option>`)}
    </select></div>`;
}

// `datetime-local` text (the browser's local time) to an ISO instant, or undefined.
function instant(local) {
  if (!local) return undefined;
  const date = new Date(local);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

// The API's since/until for the URL's range.
export function rangeQuery(query, now = Date.now()) {
  if (HOURS[query.range]) return { since: new Date(now - HOURS[query.range] * 3600 * 1000).toISOString() };
  if (query.range === 'custom') return { since: instant(query.since), until: instant(query.until) };
  return {};
}

export function TimeRange({ idPrefix, query, onChange }) {
  const range = query.range || '';
  return html`<div class="field"><label for=${`${idPrefix}-range`}>Time</label>
      <select id=${`${idPrefix}-range`} value=${range} onChange=${(e) => onChange({ range: e.target.value })}>
        ${RANGES.map(([value, label]) => html`<option value=${value}>${label}</option>`)}</select></div>
    ${range === 'custom' && html`<div class="field"><label for=${`${idPrefix}-since`}>From</label>
        <input id=${`${idPrefix}-since`} type="datetime-local" value=${query.since || ''} onChange=${(e) => onChange({ since: e.target.value })} /></div>
      <div class="field"><label for=${`${idPrefix}-until`}>To</label>
        <input id=${`${idPrefix}-until`} type="datetime-local" value=${query.until || ''} onChange=${(e) => onChange({ until: e.target.value })} /></div>`}`;
}

// A text filter applied on Enter or when the field loses the focus (not on every key), keeping
// what is typed while the screen re-renders.
export function TextFilter({ id, label, value, onChange, list, hint }) {
  const [text, setText] = useState(value || '');
  useEffect(() => setText(value || ''), [value]);
  const listId = list?.length ? `${id}-options` : undefined;
  return html`<div class="field"><label for=${id}>${label}</label>
    <input id=${id} value=${text} list=${listId} onInput=${(e) => setText(e.target.value)}
      onChange=${(e) => { if (e.target.value.trim() !== (value || '')) onChange(e.target.value.trim()); }} />
    ${hint && html`<span class="hint">${hint}</span>`}
    ${listId && html`<datalist id=${listId}>${list.map((v) => html`<option value=${v} />`)}</datalist>`}</div>`;
}

// "2 min ago" beside a time, for ages that matter (the outbox's oldest event, an alert's start).
export function age(seconds) {
  if (seconds === null || seconds === undefined) return '—';
  if (seconds < 120) return `${Math.round(seconds)} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172800) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86400)} d`;
}

export function since(value, now = Date.now()) {
  if (!value) return null;
  const text = /[zZ]|[+-]\d\d:?\d\d$/.test(value) ? value : `${value}Z`;
  return Math.max(0, (now - new Date(text).getTime()) / 1000);
}
