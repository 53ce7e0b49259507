import type { MessageInitShape } from "@bufbuild/protobuf";
import type { Checklist, ChecklistContentSchema } from "../../gen/advocacy/courses/v1/courses_pb.js";
import type { Messages } from "../../i18n/types.js";
import { newIdempotencyKey } from "../consentScopes.js";
import { byteLength, isLanguageTag, newLocalId } from "../formValues.js";
import { arrayOf, isString, objectOf } from "../shape.js";

export interface ChecklistItemForm {
  itemId: string;
  text: string;
  details: string;
}

export interface ChecklistForm {
  idempotencyKey: string;
  title: string;
  description: string;
  language: string;
  items: ChecklistItemForm[];
}

export const isChecklistForm = objectOf<ChecklistForm>({
  idempotencyKey: isString,
  title: isString,
  description: isString,
  language: isString,
  items: arrayOf(objectOf<ChecklistItemForm>({ itemId: isString, text: isString, details: isString }), 100),
});

export const maxChecklistItems = 100;

export function newChecklistItem(): ChecklistItemForm {
  return { itemId: newLocalId("step"), text: "", details: "" };
}

export function emptyChecklistForm(language: string): ChecklistForm {
  return { idempotencyKey: newIdempotencyKey(), title: "", description: "", language, items: [newChecklistItem()] };
}

export function checklistFormFrom(c: Checklist): ChecklistForm {
  return {
    idempotencyKey: newIdempotencyKey(),
    title: c.content?.title ?? "",
    description: c.content?.description ?? "",
    language: c.content?.language ?? "",
    items: (c.content?.items ?? []).map((i) => ({ itemId: i.itemId, text: i.text, details: i.details })),
  };
}

export function checklistContentFromForm(f: ChecklistForm): MessageInitShape<typeof ChecklistContentSchema> {
  return {
    title: f.title.trim(),
    description: f.description.trim(),
    language: f.language.trim(),
    items: f.items.map((i) => ({ itemId: i.itemId, text: i.text.trim(), details: i.details.trim() })),
  };
}

export const checklistIds = {
  text: (i: number) => `checklist-item-${i}-text`,
  details: (i: number) => `checklist-item-${i}-details`,
};

export function validateChecklistForm(f: ChecklistForm, t: Messages, locale: string): Record<string, string> {
  const c = t.admin.common;
  const bytes = (n: number) => c.tooLongBytes(new Intl.NumberFormat(locale).format(n));
  const e: Record<string, string> = {};
  const title = f.title.trim();
  if (!title) e["checklist-title"] = c.titleRequired;
  else if (byteLength(title) > 200) e["checklist-title"] = bytes(200);
  if (byteLength(f.description) > 10000) e["checklist-description"] = bytes(10000);
  const lang = f.language.trim();
  if (!lang) e["checklist-language"] = c.languageRequired;
  else if (lang.length < 2 || !isLanguageTag(lang)) e["checklist-language"] = c.languageInvalid;
  f.items.forEach((item, i) => {
    if (!item.text.trim()) e[checklistIds.text(i)] = t.admin.checklists.itemTextRequired;
    else if (byteLength(item.text.trim()) > 500) e[checklistIds.text(i)] = bytes(500);
    if (byteLength(item.details) > 2000) e[checklistIds.details(i)] = bytes(2000);
  });
  return e;
}
