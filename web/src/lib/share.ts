import { parseLocalInput } from "./formValues.js";

// Helpers of the Share action. The post itself (text, share dialog, length against the
// network's limit) comes from the content service (RecordShare, PreviewShare), never from here.

// Opens `url` in a new tab without giving it a handle on this page. Returns false when the
// browser blocked the pop-up (the caller then shows a link to click).
export function openInNewTab(url: string): boolean {
  const w = window.open("about:blank", "_blank");
  if (!w) return false;
  try {
    w.opener = null;
    w.location.href = url;
    return true;
  } catch {
    w.close();
    return false;
  }
}

export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false; // No clipboard permission or an insecure context: the user copies by hand.
  }
}

// Only http(s) links are rendered as links; anything else (javascript:, data:) is shown as text.
export function isWebUrl(v: string): boolean {
  try {
    const u = new URL(v);
    return u.protocol === "https:" || u.protocol === "http:";
  } catch {
    return false;
  }
}

// Scheduling a share: RecordShare takes a time in the future and at most this far ahead.
export const maxScheduleDays = 30;

export type ScheduleCheck = { when: Date } | { error: "required" | "past" | "tooFar" };

// The time typed into a datetime-local input (the browser's zone: the employee's), checked as
// the content service checks scheduled_for. A minute of slack at the near end, so a time picked
// for "in a minute" is not refused by the time the request arrives.
export function checkSchedule(value: string, now: Date): ScheduleCheck {
  const when = parseLocalInput(value);
  if (!when) return { error: "required" };
  if (when.getTime() <= now.getTime() + 60_000) return { error: "past" };
  if (when.getTime() > now.getTime() + maxScheduleDays * 24 * 3600_000) return { error: "tooFar" };
  return { when };
}
