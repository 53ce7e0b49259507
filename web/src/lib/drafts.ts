import { useEffect, useRef, useState } from "preact/hooks";

// What the user typed survives a sign-in round trip: when a call finds the session expired, the
// app writes every live draft into sessionStorage under the page's path, sends the browser to
// sign in, and the form of that page restores its draft (once) when it mounts again.

const prefix = "advocacy.draft:";
const live = new Map<string, () => unknown>();

function storageKey(path: string): string {
  return prefix + path;
}

function readAll(path: string): Record<string, unknown> {
  try {
    const raw = window.sessionStorage.getItem(storageKey(path));
    const v: unknown = raw ? JSON.parse(raw) : null;
    return typeof v === "object" && v !== null ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function writeAll(path: string, drafts: Record<string, unknown>): void {
  try {
    if (Object.keys(drafts).length === 0) window.sessionStorage.removeItem(storageKey(path));
    else window.sessionStorage.setItem(storageKey(path), JSON.stringify(drafts));
  } catch {
    // Storage full or disabled: the draft is lost, the sign-in still happens.
  }
}

// Called just before leaving for the sign-in page.
export function saveDrafts(): void {
  const path = window.location.pathname;
  const drafts = readAll(path);
  for (const [id, get] of live) drafts[id] = get();
  writeAll(path, drafts);
}

// Takes the stored draft `id` of the current page, if any, and forgets it.
function takeDraft(id: string): unknown {
  const path = window.location.pathname;
  const drafts = readAll(path);
  if (!(id in drafts)) return undefined;
  const v = drafts[id];
  delete drafts[id];
  writeAll(path, drafts);
  return v;
}

// Like useState, but registered as a draft of this page. `isValid` checks a restored value's
// shape (it comes from storage, so it is untrusted). Returns whether the value was restored.
export function useDraft<T>(
  id: string,
  initial: T,
  isValid: (v: unknown) => v is T,
): [T, (v: T) => void, boolean] {
  const [restored] = useState(() => {
    const v = takeDraft(id);
    return v !== undefined && isValid(v) ? { value: v } : null;
  });
  const [value, setValue] = useState<T>(restored ? restored.value : initial);
  const ref = useRef(value);
  ref.current = value;
  useEffect(() => {
    live.set(id, () => ref.current);
    return () => {
      live.delete(id);
    };
  }, [id]);
  return [value, setValue, restored !== null];
}
