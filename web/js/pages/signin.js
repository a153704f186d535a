// Sign in with an API token. It is kept in sessionStorage (this tab only) and forgotten on sign-out.
import { api, tokenStore } from '../api.js';
import { html, useEffect, useRef, useState } from '../lib.js';
import { ErrorNote } from '../components/ui.js';

export function SignIn({ onSignedIn, notice }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const field = useRef(null);
  useEffect(() => { document.title = 'Sign in · governance'; field.current?.focus(); }, []);
  const submit = async (event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const me = await api.get('/me', { token: token.trim() });
      tokenStore.set(token.trim());
      onSignedIn(me);
    } catch (err) {
      setError(err);
      setBusy(false);
      field.current?.focus();
    }
  };
  return html`<main id="main" class="signin">
    <h1>Sign in to governance</h1>
    ${notice && html`<p class="note info" role="status">${notice}</p>`}
    <form onSubmit=${submit} aria-describedby="token-help">
      <label for="token">API token</label>
      <input id="token" ref=${field} type="password" autocomplete="off" spellcheck="false" required
        value=${token} onInput=${(e) => setToken(e.target.value)} aria-invalid=${error ? 'true' : undefined} />
      <p id="token-help" class="hint">A token made with <code>governance token create</code> or by an admin
        (<code>POST /api/v1/tokens</code>). It stays in this tab until you sign out or close it.</p>
      <button type="submit" class="btn primary" disabled=${busy}>Sign in</button>
    </form>
    <${ErrorNote} error=${error} title="The token was not accepted" />
  </main>`;
}
