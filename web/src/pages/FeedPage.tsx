import { useState } from "preact/hooks";
import type { FeedEntry } from "../gen/advocacy/content/v1/content_service_pb.js";
import { useI18n } from "../i18n/i18n.js";
import type { Session } from "../api/session.js";
import { contentClient } from "../api/clients.js";
import { useAsync } from "../lib/useAsync.js";
import { PageHeading } from "../components/PageHeading.js";
import { Loading } from "../components/Loading.js";
import { ErrorBox } from "../components/ErrorBox.js";
import { EmptyState } from "../components/EmptyState.js";
import { ItemCard } from "../components/ItemCard.js";
import { Link } from "../components/Link.js";
import { ScheduledShares } from "../components/ScheduledShares.js";

const pageSize = 20;

export function FeedPage({ session }: { session: Session }) {
  const { t } = useI18n();
  // The session names no groups and the feed is not narrowed by the interface language (many
  // employees share in both): groups and language are left empty.
  const fetchPage = (pageToken: string, signal?: AbortSignal) =>
    contentClient.getFeed(
      { tenantId: session.tenant, employeeId: session.subject, pageSize, pageToken },
      { signal },
    );
  const { state, reload } = useAsync((signal) => fetchPage("", signal), [session.tenant, session.subject]);
  const [more, setMore] = useState<{ entries: FeedEntry[]; next: string } | null>(null);
  const [moreBusy, setMoreBusy] = useState(false);
  const [moreError, setMoreError] = useState<unknown>(null);
  // Bumped after each share, so the list of scheduled shares is read again.
  const [sharesVersion, setSharesVersion] = useState(0);
  const onShared = () => setSharesVersion((v) => v + 1);

  const entries = state.status === "ok" ? [...state.data.entries, ...(more?.entries ?? [])] : [];
  const next = more ? more.next : state.status === "ok" ? state.data.nextPageToken : "";

  const loadMore = async () => {
    setMoreBusy(true);
    setMoreError(null);
    try {
      const r = await fetchPage(next);
      setMore({ entries: [...(more?.entries ?? []), ...r.entries], next: r.nextPageToken });
    } catch (err) {
      setMoreError(err);
    } finally {
      setMoreBusy(false);
    }
  };

  return (
    <div class="page">
      <PageHeading>{t.feed.title}</PageHeading>
      <p class="lead">{t.feed.lead}</p>
      <ScheduledShares session={session} version={sharesVersion} />
      {state.status === "loading" && <Loading />}
      {state.status === "error" && <ErrorBox error={state.error} onRetry={reload} />}
      {state.status === "ok" && entries.length === 0 && (
        <EmptyState message={t.feed.empty}>
          <p>{t.feed.emptyNext}</p>
          <p>
            <Link href="/consent">{t.feed.goToConsent}</Link>
          </p>
        </EmptyState>
      )}
      {entries.length > 0 && (
        <div class="item-list">
          {entries.map(
            (e) =>
              e.item && (
                <ItemCard
                  key={e.item.itemId}
                  session={session}
                  item={e.item}
                  shareable={e.networks}
                  showTitle
                  onShared={onShared}
                />
              ),
          )}
        </div>
      )}
      {moreError !== null && <ErrorBox error={moreError} />}
      {next && (
        <button type="button" class="button secondary" disabled={moreBusy} onClick={loadMore}>
          {moreBusy ? t.common.loading : t.common.showMore}
        </button>
      )}
    </div>
  );
}
