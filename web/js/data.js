// useLoad(loader, deps): run an async loader when deps change; {data, error, loading, reload, setData}.
// A stale answer (deps changed meanwhile) is dropped, so fast filtering never shows old results.
import { useCallback, useEffect, useRef, useState } from './lib.js';

export function useLoad(loader, deps) {
  const [state, setState] = useState({ data: undefined, error: null, loading: true });
  const generation = useRef(0);
  const run = useCallback(() => {
    const mine = ++generation.current;
    setState((s) => ({ ...s, loading: true, error: null }));
    Promise.resolve()
      .then(loader)
      .then((data) => { if (mine === generation.current) setState({ data, error: null, loading: false }); })
      .catch((error) => { if (mine === generation.current) setState({ data: undefined, error, loading: false }); });
  }, deps); // eslint-disable-line react-hooks/exhaustive-deps
  useEffect(run, [run]);
  const setData = (data) => setState((s) => ({ ...s, data: typeof data === 'function' ? data(s.data) : data }));
  return { ...state, reload: run, setData };
}

// A debounced callback: the last call wins after `ms` of quiet.
export function useDebounced(fn, ms) {
  const timer = useRef(null);
  const latest = useRef(fn);
  latest.current = fn;
  useEffect(() => () => clearTimeout(timer.current), []);
  return useCallback((...args) => {
    clearTimeout(timer.current);
    timer.current = setTimeout(() => latest.current(...args), ms);
  }, [ms]);
}
