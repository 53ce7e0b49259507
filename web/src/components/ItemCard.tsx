import type { Network } from "../gen/advocacy/consent/v1/consent_pb.js";
import { ShareState, type Item, type Share } from "../gen/advocacy/content/v1/content_pb.js";
import { useI18n } from "../i18n/i18n.js";
import type { Session } from "../api/session.js";
import { listText, networkLabel } from "../lib/labels.js";
import { useDateFormat } from "../lib/useDateFormat.js";
import { pathOf } from "../lib/router.js";
import { ExternalLink } from "./ExternalLink.js";
import { Link } from "./Link.js";
import { ShareAction } from "./ShareAction.js";

interface Props {
  session: Session;
  item: Item;
  // Networks the employee may share the item on now (consented, not shared yet).
  shareable: readonly Network[];
  // Shares already made (item page only).
  shares?: readonly Share[];
  // Networks of the item the employee has not turned sharing on for (item page only).
  unconsented?: readonly Network[];
  // In the feed the title is a heading linking to the item page; on that page the page heading
  // names the item already.
  showTitle: boolean;
  // The admins' preview: the same card one level deeper in the page, the title without a link
  // and the Share buttons shown but inert.
  preview?: boolean;
  // Told after a share was recorded here.
  onShared?: () => void;
}

// One share-friendly item: its link, the suggested text for each network the employee opted
// into, hashtags, disclosure, and a Share button per network. All of it is rendered as text.
export function ItemCard({ session, item, shareable, shares = [], unconsented = [], showTitle, preview = false, onShared }: Props) {
  const { t, locale } = useI18n();
  const fmt = useDateFormat();
  const headingId = `item-${item.itemId}`;
  const firstCaption = (n: Network) => item.captions.find((c) => c.network === n)?.captions[0] ?? "";
  return (
    <article class="card item" aria-labelledby={showTitle ? headingId : undefined} lang={item.language || undefined}>
      {showTitle && !preview && (
        <h2 id={headingId}>
          <Link href={pathOf({ name: "content", itemId: item.itemId })}>{item.title}</Link>
        </h2>
      )}
      {showTitle && preview && <h3 id={headingId}>{item.title}</h3>}
      {item.expiresAt && <p class="meta">{t.feed.expires(fmt.dateTime(item.expiresAt))}</p>}
      <p>
        <ExternalLink href={item.url}>{t.feed.openArticle}</ExternalLink>
      </p>
      {item.hashtags.length > 0 && (
        <p class="meta">
          <span>{t.feed.hashtags}: </span>
          {item.hashtags.map((h) => (h.startsWith("#") ? h : `#${h}`)).join(" ")}
        </p>
      )}
      {item.disclosureTag && (
        <p class="meta">
          {t.feed.disclosure}: {item.disclosureTag}
        </p>
      )}
      {shareable.map((n) => (
        <section class="network-share" key={n} aria-label={networkLabel(t, n)}>
          {preview ? (
            <h4 class="caption-title">{t.feed.suggestedText(networkLabel(t, n))}</h4>
          ) : (
            <h3 class="caption-title">{t.feed.suggestedText(networkLabel(t, n))}</h3>
          )}
          <p class="caption" lang={item.language || undefined}>
            {firstCaption(n)}
          </p>
          <p class="hint">{t.feed.variesHint}</p>
          {preview ? (
            <button type="button" class="button" disabled>
              {t.feed.shareOn(networkLabel(t, n))}
            </button>
          ) : (
            <ShareAction session={session} item={item} network={n} onShared={onShared} />
          )}
        </section>
      ))}
      {shares.map((s) => (
        <section class="network-share" key={`shared-${s.network}`} aria-label={networkLabel(t, s.network)}>
          <h3 class="caption-title">
            {s.state === ShareState.SCHEDULED
              ? t.feed.scheduledOnTitle(networkLabel(t, s.network))
              : t.feed.sharedOn(networkLabel(t, s.network))}
          </h3>
          <ShareAction session={session} item={item} network={s.network} existing={s} />
        </section>
      ))}
      {shareable.length === 0 && unconsented.length === 0 && <p>{t.feed.allShared}</p>}
      {unconsented.length > 0 && (
        <p class="hint">
          {t.feed.notConsented(listText(unconsented.map((n) => networkLabel(t, n)), locale))}{" "}
          <Link href="/consent">{t.feed.goToConsent}</Link>
        </p>
      )}
    </article>
  );
}
