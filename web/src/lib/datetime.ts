import { timestampDate, type Duration, type Timestamp } from "@bufbuild/protobuf/wkt";

// Dates and times are shown in a time zone given by the caller: today the browser's, later a
// profile's (notifications' Recipient.time_zone) without changing any call site's formatting.

export function browserTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

export function formatDateTime(date: Date, locale: string, timeZone: string): string {
  try {
    return new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short", timeZone }).format(date);
  } catch {
    // An unknown zone name (from a profile, later): the browser's zone is better than nothing.
    return new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short" }).format(date);
  }
}

export function formatDate(date: Date, locale: string, timeZone: string): string {
  try {
    return new Intl.DateTimeFormat(locale, { dateStyle: "long", timeZone }).format(date);
  } catch {
    return new Intl.DateTimeFormat(locale, { dateStyle: "long" }).format(date);
  }
}

// A time of day given as minutes after midnight, e.g. 480 -> "08:00", in the locale's style.
export function formatMinuteOfDay(minute: number, locale: string): string {
  const d = new Date(Date.UTC(2000, 0, 1, Math.floor(minute / 60), minute % 60));
  return new Intl.DateTimeFormat(locale, { hour: "2-digit", minute: "2-digit", timeZone: "UTC" }).format(d);
}

export function tsDate(ts: Timestamp | undefined): Date | undefined {
  if (!ts) return undefined;
  const d = timestampDate(ts);
  return d.getTime() === 0 ? undefined : d;
}

export function durationSeconds(d: Duration | undefined): number {
  if (!d) return 0;
  return Number(d.seconds) + d.nanos / 1e9;
}
