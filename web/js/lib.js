// The view library in one place: Preact, its hooks, and htm bound to Preact's h (no build step).
import { h, render, createContext, Fragment } from '/vendor/preact/preact.mjs';
import htm from '/vendor/htm/htm.mjs';

export { h, render, createContext, Fragment };
export {
  useState, useEffect, useRef, useMemo, useCallback, useContext, useReducer,
} from '/vendor/preact/hooks.mjs';
export const html = htm.bind(h);
