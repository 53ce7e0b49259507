import { timestampDate, timestampFromDate, type Timestamp } from "@bufbuild/protobuf/wkt";

// Parsing and checking what people type into the admin forms, mirroring the services' bounds so
// that most mistakes are explained next to the field before anything is sent.

// Characters as the services count them (Unicode code points, not UTF-16 units).
export function charCount(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

export function byteLength(text: string): number {
  return new TextEncoder().encode(text).length;
}

// A list typed as text: items separated by commas or new lines (and spaces where `spaces`),
// trimmed, empty ones and repeats dropped.
export function parseList(text: string, { spaces = false, stripHash = false } = {}): string[] {
  const parts = text.split(spaces ? /[\s,]+/ : /[,\n]+/);
  const out: string[] = [];
  for (const raw of parts) {
    let v = raw.trim();
    if (stripHash) v = v.replace(/^#+/, "");
    if (v && !out.includes(v)) out.push(v);
  }
  return out;
}

export function listText(values: readonly string[], separator = ", "): string {
  return values.join(separator);
}

// Ids of groups, lessons, modules...: 1 to 64 of [A-Za-z0-9._-].
export function isObjectId(v: string): boolean {
  return /^[A-Za-z0-9._-]{1,64}$/.test(v);
}

export function isHttpUrl(v: string, httpsOnly = false): boolean {
  try {
    const u = new URL(v);
    if (u.protocol !== "https:" && (httpsOnly || u.protocol !== "http:")) return false;
    return u.hostname.length > 0 && u.username === "" && !/[\s"<>\\]/.test(v);
  } catch {
    return false;
  }
}

// A BCP 47 tag as the services accept it: letters, digits and '-', starting with a letter.
export function isLanguageTag(v: string): boolean {
  return /^[A-Za-z][A-Za-z0-9-]{0,34}$/.test(v);
}

export function hasControlCharacters(v: string): boolean {
  return /[\u0000-\u001f\u007f]/.test(v);
}

// A whole number typed as text, within [min, max]; null when it is not one.
export function parseWhole(text: string, min: number, max: number): number | null {
  const v = text.trim();
  if (!/^\d{1,7}$/.test(v)) return null;
  const n = Number(v);
  return n >= min && n <= max ? n : null;
}

// <input type="datetime-local"> values are in the browser's zone: "YYYY-MM-DDTHH:MM".
export function localInputValue(ts: Timestamp | undefined): string {
  if (!ts) return "";
  const d = timestampDate(ts);
  if (d.getTime() === 0) return "";
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

export function parseLocalInput(v: string): Date | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(v)) return null;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? null : d;
}

export function timestampOf(d: Date | null): Timestamp | undefined {
  return d ? timestampFromDate(d) : undefined;
}

// A short random id for things the form creates (lessons, questions, items): unique enough
// within one course or tenant, and valid as an object id.
export function newLocalId(prefix: string): string {
  const b = crypto.getRandomValues(new Uint8Array(6));
  return `${prefix}-${Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("")}`;
}

// Moves element i of a list one place up (-1) or down (+1); out-of-range moves change nothing.
export function move<T>(list: readonly T[], i: number, by: -1 | 1): T[] {
  const j = i + by;
  if (i < 0 || i >= list.length || j < 0 || j >= list.length) return [...list];
  const out = [...list];
  const a = out[i] as T;
  out[i] = out[j] as T;
  out[j] = a;
  return out;
}

export function replaceAt<T>(list: readonly T[], i: number, value: T): T[] {
  return list.map((x, k) => (k === i ? value : x));
}

export function removeAt<T>(list: readonly T[], i: number): T[] {
  return list.filter((_, k) => k !== i);
}
