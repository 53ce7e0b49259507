import type { Messages } from "../i18n/types.js";

// A one-time message for the next page ("The draft is saved." after the editor moved to the saved
// thing's page). It is a function of the texts, so it follows a change of language; the next
// action on that page dismisses it. Kept in memory only; a reload drops it.
export type Message = (t: Messages) => string;

let pending: Message | null = null;
const listeners = new Set<() => void>();

export function setFlash(message: Message): void {
  pending = message;
}

export function takeFlash(): Message | null {
  const m = pending;
  pending = null;
  return m;
}

// Called when the user does something else on the page: the old message no longer applies.
export function dismissFlash(): void {
  for (const l of listeners) l();
}

export function onDismissFlash(l: () => void): () => void {
  listeners.add(l);
  return () => {
    listeners.delete(l);
  };
}
