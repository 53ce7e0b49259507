// A one-time message for the next page: "The draft is saved." shown after the editor moves to the
// saved thing's page. Kept in memory only; a reload drops it.
let pending = "";

export function setFlash(message: string): void {
  pending = message;
}

export function takeFlash(): string {
  const m = pending;
  pending = "";
  return m;
}
