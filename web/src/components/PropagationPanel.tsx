import { Code } from "@connectrpc/connect";
import { useI18n } from "../i18n/i18n.js";
import type { Session } from "../api/session.js";
import { consentClient } from "../api/clients.js";
import { isCode } from "../api/errors.js";
import { useAsync } from "../lib/useAsync.js";
import { useDateFormat } from "../lib/useDateFormat.js";
import { durationSeconds } from "../lib/datetime.js";
import { consentStateLabel, serviceLabel } from "../lib/labels.js";
import { scopeText } from "../lib/consentScopes.js";
import { Loading } from "./Loading.js";
import { ErrorBox } from "./ErrorBox.js";
import { EmptyState } from "./EmptyState.js";

// Which consuming services have applied the employee's latest consent change, and when: the
// proof that a withdrawal reached every part of the service.
export function PropagationPanel({ session, refreshKey }: { session: Session; refreshKey: number }) {
  const { t, locale } = useI18n();
  const fmt = useDateFormat();
  const { state, reload } = useAsync(
    (signal) =>
      consentClient
        .getPropagationStatus({ tenantId: session.tenant, employeeId: session.subject, sequence: 0n }, { signal })
        .catch((err: unknown) => {
          if (isCode(err, Code.NotFound)) return null; // No change yet.
          throw err;
        }),
    [session.tenant, session.subject, refreshKey],
  );
  const seconds = (s: number) => new Intl.NumberFormat(locale, { maximumFractionDigits: 2 }).format(s);
  return (
    <section class="card" aria-labelledby="propagation-title">
      <h2 id="propagation-title">{t.consent.propagationTitle}</h2>
      <p class="hint">{t.consent.propagationLead}</p>
      {state.status === "loading" && <Loading />}
      {state.status === "error" && <ErrorBox error={state.error} onRetry={reload} />}
      {state.status === "ok" &&
        (state.data === null || state.data.sequence === 0n ? (
          <EmptyState message={t.consent.propagationEmpty} />
        ) : (
          <>
            <p>
              {t.consent.propagationChange(
                consentStateLabel(t, state.data.state),
                fmt.dateTime(state.data.acknowledgedTime),
              )}
              {": "}
              {state.data.scopes.map((s) => scopeText(t, s)).join("; ")}
            </p>
            {state.data.services.length === 0 ? (
              <p>{t.consent.noServices}</p>
            ) : (
              <ul class="propagation-list">
                {state.data.services.map((s) => (
                  <li key={s.service} class={s.applied ? "applied" : "waiting"}>
                    <span class="service-name">{serviceLabel(t, s.service)}</span>
                    <span>
                      {s.applied
                        ? `${t.consent.applied(fmt.dateTime(s.appliedTime))} (${t.consent.appliedAfter(seconds(durationSeconds(s.lag)))})`
                        : t.consent.waiting}
                    </span>
                  </li>
                ))}
              </ul>
            )}
            {state.data.services.length > 0 && (
              <p>{state.data.fullyApplied ? t.consent.fullyApplied : t.consent.notFullyApplied}</p>
            )}
          </>
        ))}
      {state.status !== "loading" && (
        <button type="button" class="button secondary" onClick={reload}>
          {t.common.refresh}
        </button>
      )}
    </section>
  );
}
