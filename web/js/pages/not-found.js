import { html, useEffect } from '../lib.js';
import { setTitle } from '../components/layout.js';

export function NotFound({ path }) {
  useEffect(() => setTitle('Not found'), []);
  return html`<h1>No screen at this address</h1>
    <p>The console has no screen at <code>#${path}</code>. Try <a href="#/plans">Plans</a> or <a href="#/sources">Sources</a>.</p>`;
}
