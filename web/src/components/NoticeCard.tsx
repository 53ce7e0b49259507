import type { Notice } from "../gen/advocacy/consent/v1/consent_pb.js";
import { useI18n } from "../i18n/i18n.js";
import { useDateFormat } from "../lib/useDateFormat.js";
import { ExternalLink } from "./ExternalLink.js";

// The tenant's current consent notice: what the employee agrees to when turning something on.
export function NoticeCard({ notice }: { notice: Notice | null }) {
  const { t } = useI18n();
  const fmt = useDateFormat();
  return (
    <section class="card" aria-labelledby="notice-title">
      <h2 id="notice-title">{t.consent.noticeTitle}</h2>
      {notice ? (
        <>
          {notice.summary && <p class="notice-summary">{notice.summary}</p>}
          <p class="meta">
            {t.consent.noticeVersion(notice.version)}
            {notice.publishedAt && ` · ${t.consent.noticePublished(fmt.date(notice.publishedAt))}`}
          </p>
          {notice.url && (
            <p>
              <ExternalLink href={notice.url}>{t.consent.readNotice}</ExternalLink>
            </p>
          )}
        </>
      ) : (
        <p class="warning">{t.consent.noticeMissing}</p>
      )}
    </section>
  );
}
