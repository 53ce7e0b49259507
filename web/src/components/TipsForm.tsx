import { useRef, useState } from "preact/hooks";
import {
  DigestCadence,
  Topic,
  Weekday,
  type Preferences,
} from "../gen/advocacy/notifications/v1/notifications_pb.js";
import { useI18n } from "../i18n/i18n.js";
import type { Session } from "../api/session.js";
import { notificationsClient } from "../api/clients.js";
import { useDraft } from "../lib/drafts.js";
import { formatMinuteOfDay } from "../lib/datetime.js";
import { topicLabel, weekdayLabel } from "../lib/labels.js";
import { useDateFormat } from "../lib/useDateFormat.js";
import { ErrorBox } from "./ErrorBox.js";
import { StatusMessage } from "./StatusMessage.js";

// What the form holds: plain JSON, so that it can be kept as a draft across a sign-in.
interface Form {
  cadence: number;
  digestHour: number;
  digestWeekday: number;
  quietEnabled: boolean;
  quietStart: string; // "HH:MM"
  quietEnd: string;
  topics: number[];
  weeklyCap: string;
}

function isForm(v: unknown): v is Form {
  if (typeof v !== "object" || v === null) return false;
  const f = v as Record<string, unknown>;
  return (
    typeof f["cadence"] === "number" &&
    typeof f["digestHour"] === "number" &&
    typeof f["digestWeekday"] === "number" &&
    typeof f["quietEnabled"] === "boolean" &&
    typeof f["quietStart"] === "string" &&
    typeof f["quietEnd"] === "string" &&
    Array.isArray(f["topics"]) &&
    f["topics"].every((x) => typeof x === "number") &&
    typeof f["weeklyCap"] === "string"
  );
}

const allTopics = [Topic.CONTENT, Topic.COURSES, Topic.BROADCASTS];
const weekdays = [
  Weekday.MONDAY,
  Weekday.TUESDAY,
  Weekday.WEDNESDAY,
  Weekday.THURSDAY,
  Weekday.FRIDAY,
  Weekday.SATURDAY,
  Weekday.SUNDAY,
];
const cadences = [DigestCadence.INSTANT, DigestCadence.DAILY, DigestCadence.WEEKLY];

function hhmm(minute: number): string {
  const m = Math.min(Math.max(Math.trunc(minute), 0), 1439);
  return `${String(Math.floor(m / 60)).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}`;
}

function minutes(v: string): number | null {
  const m = /^(\d{2}):(\d{2})/.exec(v);
  if (!m) return null;
  const h = Number(m[1]);
  const min = Number(m[2]);
  return h < 24 && min < 60 ? h * 60 + min : null;
}

function formFrom(p: Preferences | undefined): Form {
  const cadence = p && p.cadence !== DigestCadence.UNSPECIFIED ? p.cadence : DigestCadence.INSTANT;
  const topics = p && p.topics.length > 0 ? p.topics.filter((x) => allTopics.includes(x)) : allTopics;
  return {
    cadence,
    // A digest hour never chosen (instant mail) starts the choice at a working-day morning.
    digestHour: p && (p.digestHour > 0 || cadence !== DigestCadence.INSTANT) ? p.digestHour : 8,
    digestWeekday: p && p.digestWeekday !== Weekday.UNSPECIFIED ? p.digestWeekday : Weekday.MONDAY,
    quietEnabled: p?.quietHours !== undefined,
    quietStart: hhmm(p?.quietHours?.startMinute ?? 22 * 60),
    quietEnd: hhmm(p?.quietHours?.endMinute ?? 7 * 60),
    topics: topics.length > 0 ? topics : allTopics,
    weeklyCap: String(p?.weeklyCap ?? 0),
  };
}

interface Props {
  session: Session;
  preferences: Preferences | undefined;
  timeZone: string;
}

export function TipsForm({ session, preferences, timeZone }: Props) {
  const { t, locale } = useI18n();
  const fmt = useDateFormat(timeZone || undefined);
  const [form, setForm, restored] = useDraft<Form>("tips", formFrom(preferences), isForm);
  const [errors, setErrors] = useState<{ topics?: string; weeklyCap?: string; quiet?: string }>({});
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState("");
  const [failure, setFailure] = useState<unknown>(null);
  const [updated, setUpdated] = useState(preferences?.updateTime);
  const topicsRef = useRef<HTMLInputElement>(null);
  const capRef = useRef<HTMLInputElement>(null);
  const quietRef = useRef<HTMLInputElement>(null);

  const set = (patch: Partial<Form>) => {
    setSaved("");
    setForm({ ...form, ...patch });
  };

  const onSubmit = async (e: Event) => {
    e.preventDefault();
    const cap = /^\d{1,4}$/.test(form.weeklyCap.trim()) ? Number(form.weeklyCap.trim()) : NaN;
    const qs = minutes(form.quietStart);
    const qe = minutes(form.quietEnd);
    const errs: typeof errors = {};
    if (form.topics.length === 0) errs.topics = t.tips.topicsRequired;
    if (!(cap >= 0 && cap <= 1000)) errs.weeklyCap = t.tips.weeklyCapInvalid;
    if (form.quietEnabled && (qs === null || qe === null)) errs.quiet = t.errors.invalidArgument;
    setErrors(errs);
    if (errs.topics) return topicsRef.current?.focus();
    if (errs.quiet) return quietRef.current?.focus();
    if (errs.weeklyCap) return capRef.current?.focus();
    setBusy(true);
    setFailure(null);
    setSaved("");
    try {
      const r = await notificationsClient.setPreferences({
        preferences: {
          tenantId: session.tenant,
          employeeId: session.subject,
          cadence: form.cadence,
          digestHour: form.digestHour,
          digestWeekday: form.digestWeekday,
          quietHours: form.quietEnabled && qs !== null && qe !== null ? { startMinute: qs, endMinute: qe } : undefined,
          // Every topic chosen is sent as "all topics" (empty), which also covers new ones.
          topics: form.topics.length === allTopics.length ? [] : form.topics,
          weeklyCap: cap,
        },
      });
      setUpdated(r.preferences?.updateTime);
      setSaved(t.tips.saved);
    } catch (err) {
      setFailure(err);
    } finally {
      setBusy(false);
    }
  };

  const digest = form.cadence !== DigestCadence.INSTANT;
  return (
    <form class="card form" onSubmit={onSubmit} noValidate aria-labelledby="tips-form-title">
      <h2 id="tips-form-title">{t.tips.formTitle}</h2>
      {restored && <p class="info">{t.tips.draftRestored}</p>}
      <fieldset>
        <legend>{t.tips.cadence}</legend>
        {cadences.map((c) => (
          <div class="choice" key={c}>
            <input
              type="radio"
              id={`cadence-${c}`}
              name="cadence"
              checked={form.cadence === c}
              onChange={() => set({ cadence: c })}
            />
            <label for={`cadence-${c}`}>
              {c === DigestCadence.INSTANT
                ? t.tips.cadenceInstant
                : c === DigestCadence.DAILY
                  ? t.tips.cadenceDaily
                  : t.tips.cadenceWeekly}
            </label>
          </div>
        ))}
      </fieldset>
      {digest && (
        <div class="field-row">
          {form.cadence === DigestCadence.WEEKLY && (
            <div class="field">
              <label for="digest-weekday">{t.tips.digestWeekday}</label>
              <select
                id="digest-weekday"
                value={String(form.digestWeekday)}
                onChange={(e) => set({ digestWeekday: Number((e.currentTarget as HTMLSelectElement).value) })}
              >
                {weekdays.map((d) => (
                  <option key={d} value={String(d)}>
                    {weekdayLabel(t, d)}
                  </option>
                ))}
              </select>
            </div>
          )}
          <div class="field">
            <label for="digest-hour">{t.tips.digestHour}</label>
            <select
              id="digest-hour"
              value={String(form.digestHour)}
              onChange={(e) => set({ digestHour: Number((e.currentTarget as HTMLSelectElement).value) })}
            >
              {Array.from({ length: 24 }, (_, h) => (
                <option key={h} value={String(h)}>
                  {formatMinuteOfDay(h * 60, locale)}
                </option>
              ))}
            </select>
          </div>
        </div>
      )}
      <fieldset>
        <legend>{t.tips.quietHours}</legend>
        <div class="choice">
          <input
            type="checkbox"
            id="quiet-enabled"
            ref={quietRef}
            checked={form.quietEnabled}
            onChange={(e) => set({ quietEnabled: (e.currentTarget as HTMLInputElement).checked })}
          />
          <label for="quiet-enabled">{t.tips.quietEnabled}</label>
        </div>
        {form.quietEnabled && (
          <div class="field-row">
            <div class="field">
              <label for="quiet-start">{t.tips.quietFrom}</label>
              <input
                type="time"
                id="quiet-start"
                value={form.quietStart}
                aria-invalid={errors.quiet ? "true" : undefined}
                onInput={(e) => set({ quietStart: (e.currentTarget as HTMLInputElement).value })}
              />
            </div>
            <div class="field">
              <label for="quiet-end">{t.tips.quietTo}</label>
              <input
                type="time"
                id="quiet-end"
                value={form.quietEnd}
                aria-invalid={errors.quiet ? "true" : undefined}
                onInput={(e) => set({ quietEnd: (e.currentTarget as HTMLInputElement).value })}
              />
            </div>
          </div>
        )}
        {errors.quiet && <p class="field-error">{errors.quiet}</p>}
      </fieldset>
      <fieldset aria-describedby={errors.topics ? "topics-hint topics-error" : "topics-hint"}>
        <legend>{t.tips.topics}</legend>
        <p id="topics-hint" class="hint">
          {t.tips.topicsHint}
        </p>
        {allTopics.map((topic, i) => (
          <div class="choice" key={topic}>
            <input
              type="checkbox"
              id={`topic-${topic}`}
              ref={i === 0 ? topicsRef : undefined}
              checked={form.topics.includes(topic)}
              onChange={(e) => {
                const on = (e.currentTarget as HTMLInputElement).checked;
                set({ topics: on ? allTopics.filter((x) => x === topic || form.topics.includes(x)) : form.topics.filter((x) => x !== topic) });
              }}
            />
            <label for={`topic-${topic}`}>{topicLabel(t, topic)}</label>
          </div>
        ))}
        {errors.topics && (
          <p id="topics-error" class="field-error">
            {errors.topics}
          </p>
        )}
      </fieldset>
      <div class="field">
        <label for="weekly-cap">{t.tips.weeklyCap}</label>
        <input
          type="text"
          inputMode="numeric"
          id="weekly-cap"
          ref={capRef}
          class="short"
          value={form.weeklyCap}
          aria-invalid={errors.weeklyCap ? "true" : undefined}
          aria-describedby={errors.weeklyCap ? "weekly-cap-hint weekly-cap-error" : "weekly-cap-hint"}
          onInput={(e) => set({ weeklyCap: (e.currentTarget as HTMLInputElement).value })}
        />
        <p id="weekly-cap-hint" class="hint">
          {t.tips.weeklyCapHint}
        </p>
        {errors.weeklyCap && (
          <p id="weekly-cap-error" class="field-error">
            {errors.weeklyCap}
          </p>
        )}
      </div>
      {timeZone && <p class="hint">{t.tips.timeZone(timeZone)}</p>}
      {updated && <p class="meta">{t.tips.lastChanged(fmt.dateTime(updated))}</p>}
      {failure !== null && <ErrorBox error={failure} />}
      <StatusMessage>{saved}</StatusMessage>
      <button type="submit" class="button" disabled={busy}>
        {busy ? t.common.saving : t.common.save}
      </button>
    </form>
  );
}
