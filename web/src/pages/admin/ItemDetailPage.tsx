import { useState } from "preact/hooks";
import { ItemState, type Item } from "../../gen/advocacy/content/v1/content_pb.js";
import { useI18n } from "../../i18n/i18n.js";
import type { Session } from "../../api/session.js";
import { contentClient } from "../../api/clients.js";
import { useAsync } from "../../lib/useAsync.js";
import { useAction } from "../../lib/useAction.js";
import { useDateFormat } from "../../lib/useDateFormat.js";
import { itemStateLabel, networkLabel } from "../../lib/labels.js";
import { itemTone } from "../../lib/admin/states.js";
import { captionLimit } from "../../lib/admin/itemForm.js";
import { pathOf } from "../../lib/router.js";
import type { Message } from "../../lib/flash.js";
import { AdminFrame } from "../../components/admin/AdminFrame.js";
import { StateBadge } from "../../components/admin/StateBadge.js";
import { ItemPreview } from "../../components/admin/ItemPreview.js";
import { ConfirmButton } from "../../components/form/ConfirmButton.js";
import { CharCounter } from "../../components/form/CharCounter.js";
import { ExternalLink } from "../../components/ExternalLink.js";
import { Link } from "../../components/Link.js";
import { Loading } from "../../components/Loading.js";
import { ErrorBox } from "../../components/ErrorBox.js";
import { StatusMessage } from "../../components/StatusMessage.js";

// One item: its state and the next steps (submit, publish, archive), the preview an employee
// would see, and everything it holds.
export function ItemDetailPage({ session, itemId }: { session: Session; itemId: string }) {
  const { t } = useI18n();
  const { state, reload } = useAsync(
    async (signal) => {
      const [item, settings] = await Promise.all([
        contentClient.getItem({ tenantId: session.tenant, itemId }, { signal }),
        contentClient.getTenantSettings({ tenantId: session.tenant }, { signal }),
      ]);
      if (!item.item) throw new Error("GetItem returned no item");
      return { item: item.item, approvalRequired: settings.settings?.approvalRequired ?? false };
    },
    [session.tenant, itemId],
  );
  // One frame from loading to loaded, so the heading keeps the focus and the message the
  // previous page left ("The draft is saved.") stays.
  return (
    <AdminFrame title={state.status === "ok" ? state.data.item.title : t.admin.items.title} backTo="items">
      {state.status === "loading" && <Loading />}
      {state.status === "error" && <ErrorBox error={state.error} onRetry={reload} />}
      {state.status === "ok" && <ItemDetail session={session} initial={state.data.item} approvalRequired={state.data.approvalRequired} />}
    </AdminFrame>
  );
}

function ItemDetail({ session, initial, approvalRequired }: { session: Session; initial: Item; approvalRequired: boolean }) {
  const { t } = useI18n();
  const m = t.admin.items;
  const fmt = useDateFormat();
  const [item, setItem] = useState(initial);
  const action = useAction();
  const who = { tenantId: session.tenant, itemId: item.itemId };
  const step = (call: () => Promise<{ item?: Item }>, done: Message) =>
    action.run(async () => {
      const r = await call();
      if (r.item) setItem(r.item);
      return done;
    });
  const s = item.state;
  return (
    <>
      <p class="meta">
        <StateBadge label={itemStateLabel(t, s)} tone={itemTone(s)} /> {t.admin.common.created(fmt.dateTime(item.createdAt))}{" "}
        {item.createdBy && m.createdBy(item.createdBy)}
      </p>
      <section class="card" aria-labelledby="item-actions-title">
        <h2 id="item-actions-title" class="visually-hidden">
          {m.details}
        </h2>
        {s === ItemState.DRAFT && approvalRequired && <p class="hint">{m.approvalNeeded}</p>}
        {s === ItemState.ARCHIVED && <p class="info">{m.archivedNote}</p>}
        <div class="actions">
          {s === ItemState.DRAFT && (
            <button type="button" class={approvalRequired ? "button" : "button secondary"} disabled={action.busy} onClick={() => step(() => contentClient.submitItem(who), (t) => t.admin.items.submitted)}>
              {m.submit}
            </button>
          )}
          {(s === ItemState.IN_REVIEW || (s === ItemState.DRAFT && !approvalRequired)) && (
            <button type="button" class="button" disabled={action.busy} onClick={() => step(() => contentClient.publishItem(who), (t) => t.admin.items.published)}>
              {s === ItemState.DRAFT ? m.publishNow : m.publish}
            </button>
          )}
          {s !== ItemState.ARCHIVED && (
            <ConfirmButton
              label={m.archive}
              question={m.archiveQuestion}
              confirmLabel={m.archiveConfirm}
              disabled={action.busy}
              onConfirm={() => step(() => contentClient.archiveItem(who), (t) => t.admin.items.archived)}
            />
          )}
        </div>
        <StatusMessage>{action.status}</StatusMessage>
        {action.error !== null && <ErrorBox error={action.error} />}
        <p class="hint">
          {m.noEditing}{" "}
          <Link href={`${pathOf({ name: "admin", section: "items", id: "new" })}?from=${encodeURIComponent(item.itemId)}`}>{m.copyAsNew}</Link>
        </p>
      </section>
      <ItemPreview session={session} item={item} />
      <ItemFacts item={item} />
    </>
  );
}

function ItemFacts({ item }: { item: Item }) {
  const { t } = useI18n();
  const m = t.admin.items;
  const fmt = useDateFormat();
  return (
    <section class="card" aria-labelledby="item-facts-title">
      <h2 id="item-facts-title">{m.details}</h2>
      <dl class="facts">
        <dt>{m.url}</dt>
        <dd>
          <ExternalLink href={item.url}>
            <span class="break">{item.url}</span>
          </ExternalLink>
        </dd>
        {item.imageRef && (
          <>
            <dt>{m.imageRef}</dt>
            <dd class="break">{item.imageRef}</dd>
          </>
        )}
        <dt>{m.hashtags}</dt>
        <dd>{item.hashtags.length > 0 ? item.hashtags.map((h) => `#${h}`).join(" ") : m.none}</dd>
        <dt>{m.disclosure}</dt>
        <dd>{item.disclosureTag || m.none}</dd>
        <dt>{m.itemLanguage}</dt>
        <dd>{item.language || m.anyLanguage}</dd>
        <dt>{m.groups}</dt>
        <dd>{item.targetGroups.length > 0 ? item.targetGroups.join(", ") : m.everyone}</dd>
        <dt>{m.topics}</dt>
        <dd>{item.topics.length > 0 ? item.topics.join(", ") : m.none}</dd>
        <dt>{m.publishAt}</dt>
        <dd>{item.publishAt ? fmt.dateTime(item.publishAt) : m.whenPublished}</dd>
        <dt>{m.expiresAt}</dt>
        <dd>{item.expiresAt ? fmt.dateTime(item.expiresAt) : m.noExpiry}</dd>
      </dl>
      <h3>{m.captionsTitle}</h3>
      {item.captions.map((c) => (
        <div key={c.network} class="network-captions">
          <h4>{networkLabel(t, c.network)}</h4>
          <ol class="variants-list">
            {c.captions.map((text, i) => (
              <li key={i}>
                <p class="caption" lang={item.language || undefined}>
                  {text}
                </p>
                <CharCounter id={`caption-count-${c.network}-${i}`} text={text} limit={captionLimit[c.network] ?? 0} />
              </li>
            ))}
          </ol>
        </div>
      ))}
    </section>
  );
}
