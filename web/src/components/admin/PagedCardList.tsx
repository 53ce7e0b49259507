import type { ComponentChildren } from "preact";
import type { usePagedList } from "../../lib/usePagedList.js";
import { useI18n } from "../../i18n/i18n.js";
import { Loading } from "../Loading.js";
import { ErrorBox } from "../ErrorBox.js";
import { EmptyState } from "../EmptyState.js";
import { LoadMore } from "./LoadMore.js";

// A paged admin list narrowed by a filter: loading, an error with retry, "none yet" (the tenant
// has none at all), "none in this state" (the filter leaves none), the cards, and Load more.
export function PagedCardList<T>({
  list,
  shown,
  empty,
  card,
}: {
  list: ReturnType<typeof usePagedList<T>>;
  shown: T[];
  empty: string;
  card: (item: T) => { key: string; body: ComponentChildren };
}) {
  const { t } = useI18n();
  return (
    <>
      {list.state.status === "loading" && <Loading />}
      {list.state.status === "error" && <ErrorBox error={list.state.error} onRetry={list.reload} />}
      {list.state.status === "ok" &&
        (list.items.length === 0 ? (
          <EmptyState message={empty} />
        ) : shown.length === 0 ? (
          <EmptyState message={t.admin.common.noneInState} />
        ) : (
          <ul class="admin-list">
            {shown.map((item) => {
              const { key, body } = card(item);
              return (
                <li key={key} class="card">
                  {body}
                </li>
              );
            })}
          </ul>
        ))}
      <LoadMore next={list.next} busy={list.moreBusy} error={list.moreError} onLoad={list.loadMore} />
    </>
  );
}
