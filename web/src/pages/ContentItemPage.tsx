import { ConsentState, Purpose } from "../gen/advocacy/consent/v1/consent_pb.js";
import { ShareState } from "../gen/advocacy/content/v1/content_pb.js";
import { useI18n } from "../i18n/i18n.js";
import type { Session } from "../api/session.js";
import { consentClient, contentClient } from "../api/clients.js";
import { useAsync } from "../lib/useAsync.js";
import { PageHeading } from "../components/PageHeading.js";
import { Loading } from "../components/Loading.js";
import { ErrorBox } from "../components/ErrorBox.js";
import { ItemCard } from "../components/ItemCard.js";
import { Link } from "../components/Link.js";

// One item, linked from tip mails. The networks to offer are worked out as the feed does:
// the item's networks where sharing is turned on and the item was not shared yet.
export function ContentItemPage({ session, itemId }: { session: Session; itemId: string }) {
  const { t } = useI18n();
  const { state, reload } = useAsync(
    async (signal) => {
      const who = { tenantId: session.tenant, employeeId: session.subject };
      const [item, consent, mine] = await Promise.all([
        contentClient.getItem({ tenantId: session.tenant, itemId }, { signal }),
        consentClient.getConsentState(who, { signal }),
        contentClient.listMyShares(who, { signal }),
      ]);
      if (!item.item) throw new Error("GetItem returned no item");
      const given = new Set(
        consent.consents
          .filter((c) => c.scope?.purpose === Purpose.SHARE_CONTENT && c.state === ConsentState.GIVEN)
          .map((c) => c.scope?.network),
      );
      const shares = mine.shares.filter((s) => s.itemId === itemId && s.state !== ShareState.CANCELLED);
      const sharedOn = new Set(shares.map((s) => s.network));
      const networks = item.item.captions.map((c) => c.network).filter((n) => !sharedOn.has(n));
      return {
        item: item.item,
        shares,
        shareable: networks.filter((n) => given.has(n)),
        unconsented: networks.filter((n) => !given.has(n)),
      };
    },
    [session.tenant, session.subject, itemId],
  );
  return (
    <div class="page">
      <p>
        <Link href="/feed">{t.feed.backToFeed}</Link>
      </p>
      <PageHeading>{state.status === "ok" ? state.data.item.title : t.feed.itemTitle}</PageHeading>
      {state.status === "loading" && <Loading />}
      {state.status === "error" && <ErrorBox error={state.error} onRetry={reload} />}
      {state.status === "ok" && (
        <ItemCard
          session={session}
          item={state.data.item}
          shareable={state.data.shareable}
          shares={state.data.shares}
          unconsented={state.data.unconsented}
          showTitle={false}
        />
      )}
    </div>
  );
}
