import { useI18n } from "../../i18n/i18n.js";
import { ErrorBox } from "../ErrorBox.js";

export function LoadMore({ next, busy, error, onLoad }: { next: string; busy: boolean; error: unknown; onLoad: () => void }) {
  const { t } = useI18n();
  return (
    <>
      {error !== null && <ErrorBox error={error} />}
      {next && (
        <button type="button" class="button secondary" disabled={busy} onClick={onLoad}>
          {busy ? t.common.loading : t.admin.common.loadMore}
        </button>
      )}
    </>
  );
}
