// The REST client: same-origin calls under /api/v1 with the session's token, exactly as a script
// would make them. Errors become ApiError with the API's `code`, `message` and `details`; a 401
// forgets the token and tells the app, which returns to sign-in.
const TOKEN_KEY = 'governance.token';
const unauthorizedListeners = new Set();

export const tokenStore = {
  get: () => sessionStorage.getItem(TOKEN_KEY),
  set: (token) => sessionStorage.setItem(TOKEN_KEY, token),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message || `HTTP ${status}`);
    this.status = status;
    this.code = body?.code || (status === 0 ? 'network_error' : 'http_error');
    this.details = body?.details;
  }
}

export function onUnauthorized(listener) {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

export function apiUrl(path, query) {
  const url = new URL(`/api/v1${path}`, window.location.origin);
  for (const [key, value] of Object.entries(query || {})) {
    if (value !== undefined && value !== null && value !== '') url.searchParams.set(key, String(value));
  }
  return url.pathname + url.search;
}

function encodeBody(body, headers) {
  if (body === undefined) return undefined;
  if (typeof body === 'string' || body instanceof Blob || body instanceof ArrayBuffer) return body;
  headers['Content-Type'] = 'application/json';
  return JSON.stringify(body);
}

async function decode(response) {
  const type = response.headers.get('content-type') || '';
  if (response.status === 204) return null;
  if (type.includes('application/json')) return response.json();
  return response.text();
}

// request('GET', '/plans', {query, body, headers, token, blob}) -> {data, etag, status}
export async function request(method, path, options = {}) {
  const headers = { Accept: 'application/json', ...(options.headers || {}) };
  const token = options.token ?? tokenStore.get();
  if (token) headers.Authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch(apiUrl(path, options.query), {
      method, headers, body: encodeBody(options.body, headers), credentials: 'omit', cache: 'no-store',
    });
  } catch (error) {
    throw new ApiError(0, { code: 'network_error', message: `The server did not answer (${error.message})` });
  }
  const data = options.blob && response.ok ? await response.blob() : await decode(response);
  if (!response.ok) {
    const error = new ApiError(response.status, typeof data === 'object' ? data : { message: String(data) });
    if (response.status === 401 && !options.token) {
      tokenStore.clear();
      unauthorizedListeners.forEach((listener) => listener(error));
    }
    throw error;
  }
  return { data, etag: response.headers.get('etag'), status: response.status, headers: response.headers };
}

export const api = {
  get: (path, options) => request('GET', path, options).then((r) => r.data),
  post: (path, body, options) => request('POST', path, { ...options, body }).then((r) => r.data),
  put: (path, body, options) => request('PUT', path, { ...options, body }).then((r) => r.data),
  patch: (path, body, options) => request('PATCH', path, { ...options, body }).then((r) => r.data),
  del: (path, options) => request('DELETE', path, options).then((r) => r.data),
};

export const enc = encodeURIComponent;
