import { useCallback, useEffect, useRef, useState } from "preact/hooks";

export type AsyncState<T> =
  | { status: "loading" }
  | { status: "ok"; data: T }
  | { status: "error"; error: unknown };

// Runs `load` when the component mounts and whenever `deps` change; `reload` runs it again.
// A result that arrives after the component moved on (unmounted, newer deps) is dropped.
export function useAsync<T>(
  load: (signal: AbortSignal) => Promise<T>,
  deps: readonly unknown[],
): { state: AsyncState<T>; reload: () => void; setData: (data: T) => void } {
  const [state, setState] = useState<AsyncState<T>>({ status: "loading" });
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  useEffect(() => {
    const ac = new AbortController();
    setState((s) => (s.status === "loading" ? s : { status: "loading" }));
    loadRef.current(ac.signal).then(
      (data) => {
        if (!ac.signal.aborted) setState({ status: "ok", data });
      },
      (error: unknown) => {
        if (!ac.signal.aborted) setState({ status: "error", error });
      },
    );
    return () => ac.abort();
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((n) => n + 1), []);
  const setData = useCallback((data: T) => setState({ status: "ok", data }), []);
  return { state, reload, setData };
}
