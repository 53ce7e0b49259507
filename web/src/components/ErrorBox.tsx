import { useI18n } from "../i18n/i18n.js";
import { failureMessage, toFailure } from "../api/errors.js";

interface Props {
  error: unknown;
  // A message for this situation, instead of the one chosen from the error's category.
  message?: string;
  onRetry?: () => void;
}

// Says what happened and what to do next; never the server's own text. The request id lets
// support find the request in the gateway's logs.
export function ErrorBox({ error, message, onRetry }: Props) {
  const { t } = useI18n();
  const f = toFailure(error);
  return (
    <div class="error-box" role="alert">
      <p class="error-title">{t.errors.title}</p>
      <p>{message ?? failureMessage(f, t)}</p>
      {f.requestId && (
        <p class="request-id">
          {t.errors.supportHint} <code>{f.requestId}</code>
        </p>
      )}
      {onRetry && (
        <button type="button" class="button secondary" onClick={onRetry}>
          {t.common.retry}
        </button>
      )}
    </div>
  );
}
