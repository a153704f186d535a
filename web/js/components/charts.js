// Charts: a uPlot time series (each series with its own dash pattern and point shape besides its
// colour, plus the numbers in a table) and a tiny SVG sparkline with a text alternative.
import uPlot from '/vendor/uplot/uPlot.esm.js';
import { html, useEffect, useRef } from '../lib.js';

const STYLES = [
  { stroke: '#1d4e89', dash: [] }, { stroke: '#b3541e', dash: [8, 4] }, { stroke: '#2e7d32', dash: [2, 3] },
  { stroke: '#7b1fa2', dash: [12, 3, 2, 3] }, { stroke: '#5d4037', dash: [4, 4] }, { stroke: '#c62828', dash: [1, 2] },
];

export function SeriesChart({ t, series, title, height = 220 }) {
  const box = useRef(null);
  useEffect(() => {
    if (!box.current || !t?.length) return undefined;
    const opts = {
      title, width: Math.max(box.current.clientWidth, 280), height,
      series: [{}, ...series.map((s, i) => ({ label: s.label, width: 2, points: { show: t.length < 80 }, ...STYLES[i % STYLES.length] }))],
      axes: [{}, { label: 'events' }],
      legend: { live: true },
    };
    const plot = new uPlot(opts, [t, ...series.map((s) => s.values)], box.current);
    const element = box.current; // the callback may run after unmount, when box.current is null
    const observer = new ResizeObserver(() => plot.setSize({ width: Math.max(element.clientWidth, 280), height }));
    observer.observe(box.current);
    return () => { observer.disconnect(); plot.destroy(); };
  }, [t, series, title, height]);
  const totals = series.map((s) => s.values.reduce((a, b) => a + b, 0));
  return html`<figure class="chart">
    <div ref=${box} class="chart-box" role="img" aria-label=${`${title}: ${series.map((s, i) => `${s.label} ${totals[i]}`).join(', ')}`}></div>
    <figcaption>${title}: ${series.map((s, i) => html`<span class="legend-item"><span class=${`swatch s${i % STYLES.length}`} aria-hidden="true"></span>${s.label} ${totals[i].toLocaleString()}</span> `)}</figcaption>
    <details><summary>The numbers</summary><table class="grid small"><caption>${title}</caption>
      <thead><tr><th scope="col">Time</th>${series.map((s) => html`<th scope="col" class="num">${s.label}</th>`)}</tr></thead>
      <tbody>${t.map((time, row) => (series.some((s) => s.values[row]) ? html`<tr><th scope="row">${new Date(time * 1000).toLocaleString()}</th>
        ${series.map((s) => html`<td class="num">${s.values[row]}</td>`)}</tr>` : null))}</tbody></table></details>
  </figure>`;
}

export function Sparkline({ values, label, width = 120, height = 24 }) {
  const max = Math.max(1, ...values);
  const step = values.length > 1 ? width / (values.length - 1) : width;
  const points = values.map((v, i) => `${(i * step).toFixed(1)},${(height - 2 - (v / max) * (height - 4)).toFixed(1)}`).join(' ');
  const total = values.reduce((a, b) => a + b, 0);
  return html`<svg class="spark" width=${width} height=${height} viewBox=${`0 0 ${width} ${height}`} role="img"
      aria-label=${`${label}: ${total} in all, at most ${max} per bucket`}>
    <title>${label}: ${total} in all, at most ${max} per bucket</title>
    <polyline points=${points} fill="none" stroke="currentColor" stroke-width="1.5" />
  </svg>`;
}

// Observed against a band (a volume check's runs: the events seen in its window against the low
// and high expectation). The band is filled and bounded by dashed lines, the observed values are
// a solid line with points; the numbers are in a table, and each run outside the band says so.
export function BandChart({ t, observed, low, high, title, unit = 'events', height = 220 }) {
  const box = useRef(null);
  useEffect(() => {
    if (!box.current || !t?.length) return undefined;
    const opts = {
      title, width: Math.max(box.current.clientWidth, 280), height,
      series: [{}, { label: 'expected low', stroke: '#2e7d32', dash: [6, 4], width: 1.5 },
        { label: 'expected high', stroke: '#2e7d32', dash: [2, 3], width: 1.5 },
        { label: 'observed', stroke: '#1d4e89', width: 2, points: { show: true, size: 6 } }],
      bands: [{ series: [2, 1], fill: 'rgba(46, 125, 50, 0.12)' }],
      axes: [{}, { label: unit }],
    };
    const plot = new uPlot(opts, [t, low, high, observed], box.current);
    const element = box.current; // the callback may run after unmount, when box.current is null
    const observer = new ResizeObserver(() => plot.setSize({ width: Math.max(element.clientWidth, 280), height }));
    observer.observe(box.current);
    return () => { observer.disconnect(); plot.destroy(); };
  }, [t, observed, low, high, title, height, unit]);
  const outside = t.filter((_, i) => observed[i] !== null && low[i] !== null && (observed[i] < low[i] || observed[i] > high[i])).length;
  const fmt = (v) => (v === null || v === undefined ? '—' : Number(v).toLocaleString(undefined, { maximumFractionDigits: 1 }));
  return html`<figure class="chart">
    <div ref=${box} class="chart-box" role="img" aria-label=${`${title}: ${t.length} runs, ${outside} outside the expected band`}></div>
    <figcaption>${title}: <span class="legend-item"><span class="swatch s0" aria-hidden="true"></span>observed</span>
      <span class="legend-item"><span class="swatch band" aria-hidden="true"></span>expected band (low to high)</span> — ${t.length} runs, ${outside} outside the band</figcaption>
    <details><summary>The numbers</summary><table class="grid small"><caption>${title}</caption>
      <thead><tr><th scope="col">Run</th><th scope="col" class="num">Observed</th><th scope="col" class="num">Expected low</th><th scope="col" class="num">Expected high</th><th scope="col">In the band</th></tr></thead>
      <tbody>${t.map((time, i) => html`<tr><th scope="row">${new Date(time * 1000).toLocaleString()}</th><td class="num">${fmt(observed[i])}</td>
        <td class="num">${fmt(low[i])}</td><td class="num">${fmt(high[i])}</td>
        <td>${low[i] === null ? 'no expectation yet' : observed[i] < low[i] ? '↓ below' : observed[i] > high[i] ? '↑ above' : 'yes'}</td></tr>`)}</tbody></table></details>
  </figure>`;
}
