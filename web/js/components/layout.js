// The page frame: skip link, banner with the role and sign-out, navigation, and the main landmark.
// On every route change the page's h1 takes the focus, so keyboard and screen-reader users land on
// the new screen's title.
import { html, useEffect } from '../lib.js';
import { can, useMe } from '../session.js';

const SECTIONS = [
  { href: '#/overview', label: 'Overview', match: '/overview' },
  { href: '#/plans', label: 'Plans', match: '/plans' },
  { href: '#/sources', label: 'Sources', match: '/sources' },
  { href: '#/quarantine', label: 'Quarantine', match: '/quarantine' },
  { href: '#/dead-letters', label: 'Dead letters', match: '/dead-letters' },
  { href: '#/alerts', label: 'Alerts', match: '/alerts' },
  { href: '#/silences', label: 'Silences', match: '/silences' },
  { href: '#/checks', label: 'Checks', match: '/checks' },
  { href: '#/channels', label: 'Channels', match: '/channels' },
  { href: '#/privacy', label: 'Privacy', match: '/privacy' },
  { href: '#/audit', label: 'Audit log', match: '/audit', role: 'admin' },
  { href: '#/tokens', label: 'Tokens', match: '/tokens', role: 'admin' },
];

export function Layout({ path, onSignOut, children }) {
  const me = useMe();
  useEffect(() => {
    const heading = document.querySelector('main h1');
    if (heading) {
      heading.setAttribute('tabindex', '-1');
      heading.focus({ preventScroll: false });
    }
  }, [path]);
  return html`<a class="skip" href="#main" onClick=${(e) => { e.preventDefault(); document.getElementById('main')?.focus(); }}>Skip to content</a>
  <header class="banner">
    <a class="brand" href="#/overview">governance</a>
    <nav aria-label="Sections"><ul>
      ${SECTIONS.filter((s) => !s.role || can(me, s.role)).map((s) => html`<li><a href=${s.href} aria-current=${path.startsWith(s.match) ? 'page' : undefined}>${s.label}</a></li>`)}
    </ul></nav>
    <div class="whoami">
      <span>Signed in as <strong>${me?.name || me?.token_id}</strong>, role <strong class="role">${me?.role}</strong></span>
      <button type="button" class="btn small" onClick=${onSignOut}>Sign out</button>
    </div>
  </header>
  <main id="main" tabindex="-1">${children}</main>
  <footer class="footer"><a href="/docs">REST API reference</a></footer>`;
}

// Tabs between the screens of one plan or source: links (each screen has its own URL).
export function SubNav({ label, items, current }) {
  return html`<nav class="subnav" aria-label=${label}><ul>
    ${items.map((item) => html`<li><a href=${item.href} aria-current=${item.key === current ? 'page' : undefined}>${item.label}</a></li>`)}
  </ul></nav>`;
}

export function setTitle(text) {
  document.title = `${text} · governance`;
}
