import { create } from "@bufbuild/protobuf";
import { Network } from "../../gen/advocacy/consent/v1/consent_pb.js";
import { ItemSchema, ItemState, type Item } from "../../gen/advocacy/content/v1/content_pb.js";
import type { Messages } from "../../i18n/types.js";
import { networks } from "../consentScopes.js";
import { networkLabel } from "../labels.js";
import {
  byteLength,
  charCount,
  hasControlCharacters,
  isHttpUrl,
  isLanguageTag,
  isObjectId,
  localInputValue,
  newLocalId,
  parseList,
  parseLocalInput,
  timestampOf,
} from "../formValues.js";
import { arrayOf, isBoolean, isNumber, isString, objectOf } from "../shape.js";

// The item editor's state: plain JSON (kept as a draft across a sign-in), one entry per network
// in a fixed order, lists as the text the admin typed.

export interface NetworkCaptionsForm {
  network: number;
  enabled: boolean;
  captions: string[];
}

export interface ItemForm {
  itemId: string;
  title: string;
  url: string;
  imageRef: string;
  captions: NetworkCaptionsForm[];
  hashtags: string;
  disclosureTag: string;
  language: string;
  targetGroups: string;
  topics: string;
  publishAt: string;
  expiresAt: string;
}

export const isItemForm = objectOf<ItemForm>({
  itemId: isString,
  title: isString,
  url: isString,
  imageRef: isString,
  captions: arrayOf(objectOf<NetworkCaptionsForm>({ network: isNumber, enabled: isBoolean, captions: arrayOf(isString, 10) }), 4),
  hashtags: isString,
  disclosureTag: isString,
  language: isString,
  targetGroups: isString,
  topics: isString,
  publishAt: isString,
  expiresAt: isString,
});

// The services' limits (content.proto): the networks' own.
export const captionLimit: Record<number, number> = {
  [Network.X]: 280,
  [Network.LINKEDIN]: 3000,
  [Network.FACEBOOK]: 63206,
  [Network.INSTAGRAM]: 2200,
};
export const maxVariants = 10;

export function emptyItemForm(requiredDisclosure: string): ItemForm {
  return {
    itemId: newLocalId("item"),
    title: "",
    url: "",
    imageRef: "",
    captions: networks.map((n) => ({ network: n, enabled: n === Network.LINKEDIN, captions: [""] })),
    hashtags: "",
    disclosureTag: requiredDisclosure,
    language: "",
    targetGroups: "",
    topics: "",
    publishAt: "",
    expiresAt: "",
  };
}

// A new item's form filled from an existing one ("start a new item from this one").
export function itemFormFrom(item: Item): ItemForm {
  return {
    itemId: newLocalId("item"),
    title: item.title,
    url: item.url,
    imageRef: item.imageRef,
    captions: networks.map((n) => {
      const c = item.captions.find((x) => x.network === n);
      return { network: n, enabled: c !== undefined, captions: c && c.captions.length > 0 ? [...c.captions] : [""] };
    }),
    hashtags: item.hashtags.join(" "),
    disclosureTag: item.disclosureTag,
    language: item.language,
    targetGroups: item.targetGroups.join(", "),
    topics: item.topics.join(", "),
    publishAt: localInputValue(item.publishAt),
    expiresAt: localInputValue(item.expiresAt),
  };
}

export function captionId(network: number, i: number): string {
  return `caption-${network}-${i}`;
}

// The item the form describes, as CreateItem takes it (and as the preview shows it).
export function itemFromForm(f: ItemForm, tenantId: string): Item {
  return create(ItemSchema, {
    tenantId,
    itemId: f.itemId,
    title: f.title.trim(),
    url: f.url.trim(),
    imageRef: f.imageRef.trim(),
    captions: f.captions
      .filter((c) => c.enabled)
      .map((c) => ({ network: c.network as Network, captions: c.captions.map((x) => x.trim()).filter((x) => x.length > 0) }))
      .filter((c) => c.captions.length > 0),
    hashtags: parseList(f.hashtags, { spaces: true, stripHash: true }),
    disclosureTag: f.disclosureTag.trim(),
    language: f.language.trim(),
    targetGroups: parseList(f.targetGroups, { spaces: true }),
    topics: parseList(f.topics),
    publishAt: timestampOf(parseLocalInput(f.publishAt)),
    expiresAt: timestampOf(parseLocalInput(f.expiresAt)),
    state: ItemState.DRAFT,
  });
}

// The errors of the form, keyed by control id; empty when it may be sent.
export function validateItemForm(f: ItemForm, t: Messages, requiredDisclosure: string, locale: string): Record<string, string> {
  const m = t.admin.items;
  const num = (n: number) => new Intl.NumberFormat(locale).format(n);
  const e: Record<string, string> = {};
  const title = f.title.trim();
  if (!title) e["item-title"] = t.admin.common.titleRequired;
  else if (charCount(title) > 200 || hasControlCharacters(title)) e["item-title"] = t.admin.common.tooLong(num(200));
  if (!isHttpUrl(f.url.trim()) || byteLength(f.url.trim()) > 2048) e["item-url"] = m.urlInvalid;
  if (byteLength(f.imageRef) > 2048) e["item-image"] = t.admin.common.tooLong("2048");
  const enabled = f.captions.filter((c) => c.enabled);
  if (enabled.length === 0) e["item-networks"] = m.networksRequired;
  for (const c of enabled) {
    const limit = captionLimit[c.network] ?? 0;
    c.captions.forEach((text, i) => {
      const n = charCount(text.trim());
      if (n === 0) e[captionId(c.network, i)] = m.captionRequired;
      else if (n > limit) e[captionId(c.network, i)] = m.captionTooLong(num(limit));
    });
  }
  const tags = parseList(f.hashtags, { spaces: true, stripHash: true });
  if (tags.length > 30 || tags.some((h) => byteLength(h) > 100)) e["item-hashtags"] = m.hashtagsInvalid;
  const disclosure = f.disclosureTag.trim();
  if (byteLength(disclosure) > 50) e["item-disclosure"] = m.disclosureTooLong;
  else if (requiredDisclosure && disclosure !== requiredDisclosure) e["item-disclosure"] = m.disclosureRequired(requiredDisclosure);
  if (f.language.trim() && !isLanguageTag(f.language.trim())) e["item-language"] = t.admin.common.languageInvalid;
  const groups = parseList(f.targetGroups, { spaces: true });
  if (groups.length > 50 || !groups.every(isObjectId)) e["item-groups"] = m.groupsInvalid;
  const topics = parseList(f.topics);
  if (topics.length > 20 || topics.some((x) => byteLength(x) > 100)) e["item-topics"] = m.topicsInvalid;
  const from = parseLocalInput(f.publishAt);
  const until = parseLocalInput(f.expiresAt);
  if (f.publishAt && !from) e["item-publish-at"] = m.dateInvalid;
  if (f.expiresAt && !until) e["item-expires-at"] = m.dateInvalid;
  else if (from && until && until <= from) e["item-expires-at"] = m.expiresBeforePublish;
  return e;
}

// Roughly how long the text the employee posts is, with hashtags and disclosure added to a
// caption, for the admin's preview. The content service composes the real post and is the
// authority on its length (X weighs CJK and emoji 2 and links 23, and X and Instagram count the
// tracked link): CreateItem refuses a caption whose post cannot fit, naming it.
export function postedLength(caption: string, item: Pick<Item, "hashtags" | "disclosureTag">): number {
  const lower = caption.toLowerCase();
  const tags = item.hashtags.map((h) => `#${h}`).filter((h) => !lower.includes(h.toLowerCase()));
  const parts = [caption.trim(), tags.join(" ")];
  if (item.disclosureTag && !lower.includes(item.disclosureTag.toLowerCase())) parts.push(item.disclosureTag);
  return charCount(parts.filter((p) => p.length > 0).join("\n\n"));
}

export function networksText(t: Messages, item: Item): string {
  return item.captions.map((c) => networkLabel(t, c.network)).join(", ");
}
