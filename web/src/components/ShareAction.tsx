import { useLayoutEffect, useRef, useState } from "preact/hooks";
import { timestampFromDate, type Timestamp } from "@bufbuild/protobuf/wkt";
import type { Network } from "../gen/advocacy/consent/v1/consent_pb.js";
import { ShareState, type Item, type Share, type SharePost } from "../gen/advocacy/content/v1/content_pb.js";
import { useI18n } from "../i18n/i18n.js";
import type { Session } from "../api/session.js";
import { contentClient } from "../api/clients.js";
import { networkLabel } from "../lib/labels.js";
import { localInputValue } from "../lib/formValues.js";
import { checkSchedule, copyText, maxScheduleDays, openInNewTab } from "../lib/share.js";
import { useAsync } from "../lib/useAsync.js";
import { useDateFormat } from "../lib/useDateFormat.js";
import { ErrorBox } from "./ErrorBox.js";
import { ExternalLink } from "./ExternalLink.js";
import { CopyableText } from "./CopyableText.js";
import { Loading } from "./Loading.js";

interface Props {
  session: Session;
  item: Item;
  network: Network;
  // A share recorded earlier (the item page lists them), shown instead of the button.
  existing?: Share;
  // Told after a share was recorded (the feed lists scheduled shares).
  onShared?: () => void;
}

// The Share button of one network, and "Schedule for later" beside it. The content service
// makes the post: RecordShare returns the text, the network's share dialog with the tracked link,
// and the length as the network counts it; a share made earlier gets the same from PreviewShare.
// Sharing now opens the dialog in a new tab (Instagram has none: the text and link are copied);
// a scheduled share shows when it is due. The outcome stays visible with the dialog, the text and
// the link, since a share cannot be recorded twice.
export function ShareAction({ session, item, network, existing, onShared }: Props) {
  const { t, locale } = useI18n();
  const fmt = useDateFormat();
  // Which button's request is under way.
  const [pending, setPending] = useState<"now" | "later" | null>(null);
  const busy = pending !== null;
  const [error, setError] = useState<unknown>(null);
  const [recorded, setRecorded] = useState<{ share: Share; post?: SharePost } | undefined>(undefined);
  const [copied, setCopied] = useState<boolean | null>(null);
  const [scheduling, setScheduling] = useState(false);
  const [when, setWhen] = useState("");
  const [whenError, setWhenError] = useState("");
  const whenInput = useRef<HTMLInputElement>(null);
  const name = networkLabel(t, network);
  const idBase = `share-${item.itemId}-${network}`;
  const num = (n: number) => new Intl.NumberFormat(locale).format(n);

  // The post of a share made earlier: PreviewShare returns that share's, dialog included.
  const earlier = useAsync(
    async (signal) =>
      existing
        ? (
            await contentClient.previewShare(
              { tenantId: session.tenant, employeeId: session.subject, itemId: item.itemId, network },
              { signal },
            )
          ).post
        : undefined,
    [existing?.linkCode],
  );

  // Opening "Schedule for later" takes the focus to the time to fill in, in the same frame.
  useLayoutEffect(() => {
    if (scheduling) whenInput.current?.focus();
  }, [scheduling]);

  const record = async (scheduledFor?: Timestamp) => {
    setPending(scheduledFor ? "later" : "now");
    setError(null);
    try {
      const r = await contentClient.recordShare({
        tenantId: session.tenant,
        employeeId: session.subject,
        itemId: item.itemId,
        network,
        scheduledFor,
      });
      if (!r.share || !r.post) throw new Error("RecordShare returned no share");
      setRecorded({ share: r.share, post: r.post });
      if (!scheduledFor) {
        if (r.post.shareIntentUrl) openInNewTab(r.post.shareIntentUrl);
        else setCopied(await copyText(r.post.copyText || r.post.postText));
      }
      onShared?.();
    } catch (err) {
      setError(err);
    } finally {
      setPending(null);
    }
  };

  const onSchedule = (e: Event) => {
    e.preventDefault();
    const checked = checkSchedule(when, new Date());
    if ("error" in checked) {
      setWhenError(
        checked.error === "required"
          ? t.feed.scheduleRequired
          : checked.error === "past"
            ? t.feed.schedulePast
            : t.feed.scheduleTooFar(num(maxScheduleDays)),
      );
      whenInput.current?.focus();
      return;
    }
    setWhenError("");
    void record(timestampFromDate(checked.when));
  };

  const share = recorded?.share ?? existing;
  if (share) {
    const post = recorded ? recorded.post : earlier.state.status === "ok" ? earlier.state.data : undefined;
    const scheduled = share.state === ShareState.SCHEDULED;
    const hasDialog = Boolean(post?.shareIntentUrl);
    return (
      <div class="share-result" role="group" aria-label={name}>
        {scheduled ? (
          <p role="status">
            {t.feed.scheduledFor(fmt.dateTime(share.scheduledFor))} {t.feed.scheduledHint}
          </p>
        ) : hasDialog ? (
          <p role="status">{t.feed.shareReady(name)}</p>
        ) : (
          post && (
            <p role="status">
              {copied === true ? t.feed.instagramCopied : copied === false ? t.feed.copyByHand : ""} {t.feed.instagramHint}
            </p>
          )
        )}
        {earlier.state.status === "loading" && existing && !recorded && <Loading />}
        {earlier.state.status === "error" && !recorded && <ErrorBox error={earlier.state.error} onRetry={earlier.reload} />}
        {post && (
          <>
            {post.shareIntentUrl && (
              <p>
                <ExternalLink href={post.shareIntentUrl} class="button">
                  {t.feed.openNetwork(name)}
                </ExternalLink>
              </p>
            )}
            {post.appUrl.startsWith("instagram://") && (
              <p>
                <a href={post.appUrl} class="button secondary">
                  {t.feed.openInstagramApp}
                </a>
              </p>
            )}
            <CopyableText id={`${idBase}-text`} label={t.feed.postText} text={post.copyText || post.postText} />
            <p class="meta">{t.feed.postLength(num(post.length), num(post.limit), name)}</p>
          </>
        )}
        <p class="meta">
          {t.feed.trackedLink}: <span class="break">{share.trackedUrl}</span>
        </p>
        {error !== null && <ErrorBox error={error} />}
      </div>
    );
  }

  const now = new Date();
  const formId = `${idBase}-schedule`;
  const whenId = `${idBase}-when`;
  const described = [`${whenId}-hint`, whenError ? `${whenId}-error` : ""].filter(Boolean).join(" ");
  return (
    <div class="share-action">
      <div class="actions">
        <button type="button" class="button" disabled={busy} onClick={() => void record()}>
          {pending === "now" ? t.feed.sharing : t.feed.shareOn(name)}
        </button>
        <button
          type="button"
          class="button secondary"
          aria-expanded={scheduling ? "true" : "false"}
          aria-controls={scheduling ? formId : undefined}
          disabled={busy}
          onClick={() => {
            setScheduling(!scheduling);
            setWhenError("");
          }}
        >
          {t.feed.scheduleLater}
        </button>
      </div>
      {scheduling && (
        <form id={formId} class="schedule-form" onSubmit={onSchedule} noValidate>
          <div class="field">
            <label for={whenId}>{t.feed.scheduleAt(fmt.zone)}</label>
            <p id={`${whenId}-hint`} class="hint">
              {t.feed.scheduleHint(num(maxScheduleDays))}
            </p>
            <input
              ref={whenInput}
              id={whenId}
              type="datetime-local"
              value={when}
              min={localInputValue(timestampFromDate(now))}
              max={localInputValue(timestampFromDate(new Date(now.getTime() + maxScheduleDays * 24 * 3600_000)))}
              aria-describedby={described}
              aria-invalid={whenError ? "true" : undefined}
              onInput={(e) => setWhen((e.currentTarget as HTMLInputElement).value)}
            />
            {whenError && (
              <p id={`${whenId}-error`} class="field-error">
                {whenError}
              </p>
            )}
          </div>
          <button type="submit" class="button" disabled={busy}>
            {pending === "later" ? t.feed.scheduling : t.feed.scheduleOn(name)}
          </button>
        </form>
      )}
      {error !== null && <ErrorBox error={error} />}
    </div>
  );
}
