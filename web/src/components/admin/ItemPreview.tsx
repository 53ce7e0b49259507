import type { Item } from "../../gen/advocacy/content/v1/content_pb.js";
import { useI18n } from "../../i18n/i18n.js";
import type { Session } from "../../api/session.js";
import { networkLabel } from "../../lib/labels.js";
import { captionLimit, postedLength } from "../../lib/admin/itemForm.js";
import { ItemCard } from "../ItemCard.js";

// The item as an employee who turned sharing on for all its networks sees it in the feed, and
// how long each network's post is once hashtags and disclosure are added.
export function ItemPreview({ session, item, id = "item-preview" }: { session: Session; item: Item; id?: string }) {
  const { t, locale } = useI18n();
  const m = t.admin.items;
  const num = (n: number) => new Intl.NumberFormat(locale).format(n);
  const ready = item.title !== "" && item.captions.length > 0;
  return (
    <section class="card preview" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{m.preview}</h2>
      <p class="hint">{m.previewHint}</p>
      {!ready ? (
        <p class="empty">{m.previewEmpty}</p>
      ) : (
        <>
          <div class="preview-frame">
            <ItemCard session={session} item={item} shareable={item.captions.map((c) => c.network)} showTitle preview />
          </div>
          <ul class="plain-list">
            {item.captions.map((c) => {
              const limit = captionLimit[c.network] ?? 0;
              const longest = Math.max(...c.captions.map((x) => postedLength(x, item)));
              return (
                <li key={c.network} class={longest > limit ? "warning" : "hint"}>
                  {networkLabel(t, c.network)}:{" "}
                  {longest > limit ? m.postedTooLong(num(longest), num(limit)) : m.postedLength(num(longest), num(limit))}
                </li>
              );
            })}
          </ul>
        </>
      )}
    </section>
  );
}
