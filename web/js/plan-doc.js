// Plain-object helpers for editing a plan document immutably, and the paths lint findings use
// (governance.plan.loader.format_path: events."Order Completed".properties.order_id).

export function formatPath(loc) {
  let out = '';
  for (const item of loc) {
    if (typeof item === 'number') { out += `[${item}]`; continue; }
    const text = String(item);
    const plain = /^[\p{L}\p{N}]+$/u.test(text.replaceAll('_', ''));
    out += (out ? '.' : '') + (plain ? text : `"${text.replaceAll('"', '\\"')}"`);
  }
  return out;
}

// A copy of `obj` with `value` at `keys` (undefined removes the key; empty objects are kept).
export function setIn(obj, keys, value) {
  if (keys.length === 0) return value;
  const [head, ...rest] = keys;
  const base = obj && typeof obj === 'object' ? { ...obj } : {};
  const next = setIn(base[head], rest, value);
  if (next === undefined) delete base[head];
  else base[head] = next;
  return base;
}

export function getIn(obj, keys) {
  return keys.reduce((node, key) => (node && typeof node === 'object' ? node[key] : undefined), obj);
}

// Rename a key in place of its position (the document's order is the plan's order).
export function renameKey(obj, from, to) {
  if (from === to || !to || (obj && to in obj)) return obj;
  return Object.fromEntries(Object.entries(obj || {}).map(([k, v]) => [k === from ? to : k, v]));
}

export function withoutEmpty(value) {
  if (value === '' || value === null || value === undefined) return undefined;
  if (Array.isArray(value)) return value.length ? value : undefined;
  return value;
}

export function sameJson(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}
