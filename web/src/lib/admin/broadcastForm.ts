import type { MessageInitShape } from "@bufbuild/protobuf";
import type { Broadcast, BroadcastDetailsSchema } from "../../gen/advocacy/courses/v1/courses_pb.js";
import type { Messages } from "../../i18n/types.js";
import { newIdempotencyKey } from "../consentScopes.js";
import { byteLength, isHttpUrl, isLanguageTag, localInputValue, parseLocalInput, parseWhole, timestampOf } from "../formValues.js";
import { isString, objectOf } from "../shape.js";

export interface BroadcastForm {
  idempotencyKey: string;
  title: string;
  description: string;
  startsAt: string;
  duration: string;
  capacity: string;
  joinUrl: string;
  language: string;
  courseId: string;
}

export const isBroadcastForm = objectOf<BroadcastForm>({
  idempotencyKey: isString,
  title: isString,
  description: isString,
  startsAt: isString,
  duration: isString,
  capacity: isString,
  joinUrl: isString,
  language: isString,
  courseId: isString,
});

export function emptyBroadcastForm(language: string): BroadcastForm {
  return { idempotencyKey: newIdempotencyKey(), title: "", description: "", startsAt: "", duration: "60", capacity: "100", joinUrl: "", language, courseId: "" };
}

export function broadcastFormFrom(b: Broadcast): BroadcastForm {
  const d = b.details;
  return {
    idempotencyKey: newIdempotencyKey(),
    title: d?.title ?? "",
    description: d?.description ?? "",
    startsAt: localInputValue(d?.startsAt),
    duration: String(d?.durationMinutes ?? ""),
    capacity: String(d?.capacity ?? ""),
    joinUrl: d?.joinUrl ?? "",
    language: d?.language ?? "",
    courseId: d?.courseId ?? "",
  };
}

export function broadcastDetailsFromForm(f: BroadcastForm): MessageInitShape<typeof BroadcastDetailsSchema> {
  return {
    title: f.title.trim(),
    description: f.description.trim(),
    startsAt: timestampOf(parseLocalInput(f.startsAt)),
    durationMinutes: parseWhole(f.duration, 5, 1440) ?? 0,
    capacity: parseWhole(f.capacity, 1, 10000) ?? 0,
    joinUrl: f.joinUrl.trim(),
    language: f.language.trim(),
    courseId: f.courseId,
  };
}

export function validateBroadcastForm(f: BroadcastForm, t: Messages, locale: string, registered: number): Record<string, string> {
  const m = t.admin.broadcasts;
  const c = t.admin.common;
  const num = (n: number) => new Intl.NumberFormat(locale).format(n);
  const e: Record<string, string> = {};
  const title = f.title.trim();
  if (!title) e["broadcast-title"] = c.titleRequired;
  else if (byteLength(title) > 200) e["broadcast-title"] = c.tooLongBytes(num(200));
  if (byteLength(f.description) > 10000) e["broadcast-description"] = c.tooLongBytes(num(10000));
  const starts = parseLocalInput(f.startsAt);
  if (!starts || starts.getTime() <= Date.now()) e["broadcast-starts"] = m.startsAtInvalid;
  if (parseWhole(f.duration, 5, 1440) === null) e["broadcast-duration"] = m.durationInvalid;
  const capacity = parseWhole(f.capacity, 1, 10000);
  if (capacity === null) e["broadcast-capacity"] = m.capacityInvalid;
  else if (capacity < registered) e["broadcast-capacity"] = m.capacityBelowRegistered(num(registered));
  if (!isHttpUrl(f.joinUrl.trim(), true) || byteLength(f.joinUrl.trim()) > 2048) e["broadcast-join"] = m.joinUrlInvalid;
  const lang = f.language.trim();
  if (!lang) e["broadcast-language"] = c.languageRequired;
  else if (lang.length < 2 || !isLanguageTag(lang)) e["broadcast-language"] = c.languageInvalid;
  return e;
}
