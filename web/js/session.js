// Who is signed in: the token's role from GET /api/v1/me, shared through a context. The server stays
// the authority; the console only disables what the role cannot do, and says why.
import { createContext, useContext } from './lib.js';

const RANK = { viewer: 0, editor: 1, admin: 2 };
const ARTICLE = { viewer: 'a viewer', editor: 'an editor', admin: 'an admin' };

export const MeContext = createContext(null);

export function useMe() {
  return useContext(MeContext);
}

export function can(me, role) {
  return Boolean(me) && RANK[me.role] >= RANK[role];
}

// The reason an action is disabled for this token, or null when it is allowed.
export function denied(me, role) {
  if (can(me, role)) return null;
  return `Needs the ${role} role: this token is ${ARTICLE[me?.role] || 'unknown'}.`;
}
