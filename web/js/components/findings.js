// Lint findings shown where they belong: a context maps each path to its findings, and <Findings
// path=...> lists those of one field, event or property, right beside it.
import { createContext, html, useContext } from '../lib.js';

export const FindingsContext = createContext(new Map());

export function indexFindings(issues) {
  const map = new Map();
  for (const issue of issues || []) {
    if (!map.has(issue.path)) map.set(issue.path, []);
    map.get(issue.path).push(issue);
  }
  return map;
}

export function Finding({ issue }) {
  const mark = issue.severity === 'error' ? '✕' : '!';
  return html`<li class=${`finding ${issue.severity}`}><span aria-hidden="true">${mark} </span><strong>${issue.severity}</strong> <code>${issue.code}</code> ${issue.message}</li>`;
}

export function Findings({ path }) {
  const found = useContext(FindingsContext).get(path);
  if (!found?.length) return null;
  return html`<ul class="findings inline" aria-label=${`Lint findings for ${path}`}>${found.map((issue) => html`<${Finding} issue=${issue} />`)}</ul>`;
}

export function countUnder(map, prefix) {
  let n = 0;
  for (const [path, list] of map) if (path === prefix || path.startsWith(`${prefix}.`)) n += list.length;
  return n;
}
