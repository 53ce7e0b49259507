import { useI18n } from "../i18n/i18n.js";

export function Loading({ label }: { label?: string }) {
  const { t } = useI18n();
  return (
    <p class="loading" role="status">
      <span class="spinner" aria-hidden="true" />
      {label ?? t.common.loading}
    </p>
  );
}
