// A plan's published versions with author, message and time, and rollback (an old body published
// again as a new version).
import { api, enc } from '../api.js';
import { html, useEffect, useState } from '../lib.js';
import { useLoad } from '../data.js';
import { CategoryBadge } from '../components/changes.js';
import { setTitle } from '../components/layout.js';
import { Pager } from '../components/pager.js';
import { PlanHeader } from '../components/plan-header.js';
import { ActionButton, Empty, ErrorNote, Loading, formatTime } from '../components/ui.js';
import { href, navigate } from '../router.js';

const LIMIT = 50;

export function HistoryPage({ params, query, path }) {
  const name = params.plan;
  const offset = Number(query.offset || 0);
  const [stamp, setStamp] = useState(0);
  const [action, setAction] = useState({ error: null, done: null, busy: null });
  const plan = useLoad(() => api.get(`/plans/${enc(name)}`), [name, stamp]);
  const versions = useLoad(() => api.get(`/plans/${enc(name)}/versions`, { query: { limit: LIMIT, offset } }), [name, offset, stamp]);
  useEffect(() => setTitle(`History of ${name}`), [name]);
  const rollback = async (version) => {
    if (!window.confirm(`Publish the body of v${version} again as a new version?`)) return;
    setAction({ error: null, done: null, busy: version });
    try {
      const made = await api.post(`/plans/${enc(name)}/rollback`, { version });
      setAction({ error: null, done: made, busy: null });
      setStamp((s) => s + 1);
    } catch (error) { setAction({ error, done: null, busy: null }); }
  };
  const base = `/plans/${encodeURIComponent(name)}`;
  return html`<${PlanHeader} name=${name} plan=${plan.data} current="history" title=${`History of ${plan.data?.display_name || name}`} />
    <${ErrorNote} error=${versions.error} title="Could not list the versions" />
    <${ErrorNote} error=${action.error} title="Rollback refused" />
    ${action.done && html`<p class="note good" role="status">Rolled back: v${action.done.rollback_of} is published again as v${action.done.version}.</p>`}
    ${versions.loading && !versions.data && html`<${Loading} what="Loading versions" />`}
    ${versions.data?.count === 0 && html`<${Empty}>Nothing published yet. <a href=${href(`${base}/diff`)}>Publish the draft</a>.<//>`}
    ${versions.data?.count > 0 && html`<table class="grid">
      <caption>Published versions (${versions.data.count}), newest first</caption>
      <thead><tr><th scope="col">Version</th><th scope="col">Category</th><th scope="col">Message</th><th scope="col">Author</th>
        <th scope="col">Published</th><th scope="col">Actions</th></tr></thead>
      <tbody>${versions.data.data.map((v) => html`<tr>
        <th scope="row"><a href=${href(base, { version: v.version })}>v${v.version}</a>${v.rollback_of ? html` <span class="muted">(rollback of v${v.rollback_of})</span>` : ''}</th>
        <td><${CategoryBadge} category=${v.category} /> <span class="muted">${v.changes.length} change${v.changes.length === 1 ? '' : 's'}</span></td>
        <td>${v.message || html`<span class="muted">no message</span>`}</td>
        <td><code>${v.created_by || '—'}</code></td>
        <td>${formatTime(v.created_at)}</td>
        <td class="actions">
          ${v.version > 1 && html`<a class="btn small" href=${href(`${base}/diff`, { from: v.version - 1, to: v.version })}>Diff with v${v.version - 1}</a>`}
          ${v.version !== plan.data?.latest_version && html`<${ActionButton} need="editor" kind="small" busy=${action.busy === v.version}
            onClick=${() => rollback(v.version)}>Roll back to v${v.version}<//>`}
        </td>
      </tr>`)}</tbody>
    </table>
    <${Pager} count=${versions.data.count} limit=${LIMIT} offset=${offset} onOffset=${(o) => navigate(path, { offset: o })} />`}`;
}
