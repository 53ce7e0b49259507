import { useState } from "preact/hooks";
import { useAsync } from "./useAsync.js";

// A list read page by page: the first page on mount (and on reload), the next ones on demand.
export function usePagedList<T>(
  fetchPage: (pageToken: string, signal?: AbortSignal) => Promise<{ items: T[]; next: string }>,
  deps: readonly unknown[],
) {
  const first = useAsync((signal) => fetchPage("", signal), deps);
  const [more, setMore] = useState<{ items: T[]; next: string; base: unknown } | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const base = first.state.status === "ok" ? first.state.data : null;
  // Pages loaded after an older first page are dropped when the first page is read again.
  const extra = more && more.base === base ? more : null;
  const items = base ? [...base.items, ...(extra?.items ?? [])] : [];
  const next = extra ? extra.next : (base?.next ?? "");
  const loadMore = async () => {
    setBusy(true);
    setError(null);
    try {
      const r = await fetchPage(next);
      setMore({ items: [...(extra?.items ?? []), ...r.items], next: r.next, base });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return { state: first.state, reload: first.reload, items, next, loadMore, moreBusy: busy, moreError: error };
}
