// The console: sign-in, then the routed screens inside the layout. A 401 from any call returns here.
import { api, onUnauthorized, tokenStore } from './api.js';
import { html, render, useEffect, useState } from './lib.js';
import { Layout } from './components/layout.js';
import { Loading } from './components/ui.js';
import { NotFound } from './pages/not-found.js';
import { SignIn } from './pages/signin.js';
import { HOME, ROUTES } from './routes.js';
import { matchRoute, navigate, useRoute } from './router.js';
import { MeContext } from './session.js';

function App() {
  const route = useRoute();
  const [me, setMe] = useState(null);
  const [checking, setChecking] = useState(Boolean(tokenStore.get()));
  const [notice, setNotice] = useState(null);

  useEffect(() => onUnauthorized((error) => {
    setMe(null);
    setNotice(`Signed out: the server refused the token (${error.code}: ${error.message}). Sign in again.`);
  }), []);
  useEffect(() => {
    if (!tokenStore.get()) return;
    api.get('/me').then(setMe).catch(() => {}).finally(() => setChecking(false));
  }, []);
  useEffect(() => {
    if (me && route.path === '/') navigate(HOME, {}, { replace: true });
  }, [me, route.path]);

  if (checking) return html`<main id="main"><${Loading} what="Checking the token" /></main>`;
  if (!me) return html`<${SignIn} notice=${notice} onSignedIn=${(who) => { setNotice(null); setMe(who); }} />`;
  const signOut = () => {
    tokenStore.clear();
    setMe(null);
    setNotice('Signed out. The token was forgotten.');
  };
  const found = matchRoute(ROUTES, route.path);
  const Page = found ? found.route.component : NotFound;
  return html`<${MeContext.Provider} value=${me}>
    <${Layout} path=${route.path} onSignOut=${signOut}>
      <${Page} key=${route.path} params=${found?.params || {}} query=${route.query} path=${route.path} />
    <//>
  <//>`;
}

const root = document.getElementById('app');
root.textContent = ''; // the boot message
render(html`<${App} />`, root);
