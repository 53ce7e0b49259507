import { useState } from "preact/hooks";
import {
  BroadcastState,
  RegistrationStatus,
  type Broadcast,
  type Registration,
} from "../gen/advocacy/courses/v1/courses_pb.js";
import { useI18n } from "../i18n/i18n.js";
import type { Session } from "../api/session.js";
import { coursesClient } from "../api/clients.js";
import { useAsync } from "../lib/useAsync.js";
import { newIdempotencyKey } from "../lib/consentScopes.js";
import { tsDate } from "../lib/datetime.js";
import { useDateFormat } from "../lib/useDateFormat.js";
import { pathOf } from "../lib/router.js";
import { PageHeading } from "../components/PageHeading.js";
import { Loading } from "../components/Loading.js";
import { ErrorBox } from "../components/ErrorBox.js";
import { ExternalLink } from "../components/ExternalLink.js";
import { Link } from "../components/Link.js";
import { StatusMessage } from "../components/StatusMessage.js";

// One live broadcast, linked from mails: details, the employee's seat or place in the queue,
// and signing up or giving the place up.
export function BroadcastPage({ session, broadcastId }: { session: Session; broadcastId: string }) {
  const { t } = useI18n();
  const fmt = useDateFormat();
  const { state, reload } = useAsync(
    (signal) => coursesClient.getBroadcast({ tenantId: session.tenant, broadcastId }, { signal }),
    [session.tenant, broadcastId],
  );
  const [override, setOverride] = useState<{ broadcast?: Broadcast; registration?: Registration } | null>(null);
  const [busy, setBusy] = useState(false);
  const [status, setStatus] = useState("");
  const [error, setError] = useState<unknown>(null);

  if (state.status !== "ok") {
    return (
      <div class="page">
        <PageHeading>{t.broadcasts.title}</PageHeading>
        {state.status === "loading" ? <Loading /> : <ErrorBox error={state.error} onRetry={reload} />}
      </div>
    );
  }
  const broadcast = override?.broadcast ?? state.data.broadcast;
  const registration = override ? override.registration : state.data.registration;
  const d = broadcast?.details;
  const starts = tsDate(d?.startsAt);
  const ended = starts !== undefined && starts.getTime() + (d?.durationMinutes ?? 0) * 60_000 < Date.now();
  const cancelled = broadcast?.state === BroadcastState.CANCELLED;
  const status0 = registration?.status ?? RegistrationStatus.NONE;
  const registered = status0 === RegistrationStatus.REGISTERED;
  const waitlisted = status0 === RegistrationStatus.WAITLISTED;

  const register = async () => {
    setBusy(true);
    setError(null);
    setStatus("");
    try {
      const r = await coursesClient.registerForBroadcast({
        tenantId: session.tenant,
        broadcastId,
        employeeId: session.subject,
        idempotencyKey: newIdempotencyKey(),
      });
      setOverride({ broadcast: r.broadcast ?? broadcast, registration: r.registration });
      const s = r.registration?.status;
      setStatus(
        s === RegistrationStatus.REGISTERED
          ? t.broadcasts.registered
          : s === RegistrationStatus.WAITLISTED
            ? t.broadcasts.waitlisted(r.registration?.waitingPosition ?? 0)
            : "",
      );
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const cancel = async () => {
    setBusy(true);
    setError(null);
    setStatus("");
    try {
      const r = await coursesClient.cancelBroadcastRegistration({
        tenantId: session.tenant,
        broadcastId,
        employeeId: session.subject,
      });
      setOverride({ broadcast: r.broadcast ?? broadcast, registration: undefined });
      setStatus(t.broadcasts.registrationCancelled);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="page">
      <PageHeading>{d?.title || t.broadcasts.title}</PageHeading>
      {d?.description && <p class="lead pre-line">{d.description}</p>}
      {cancelled && (
        <div class="warning">
          <p>{t.broadcasts.cancelled}</p>
          {broadcast?.cancelReason && <p>{t.broadcasts.cancelReason(broadcast.cancelReason)}</p>}
        </div>
      )}
      {!cancelled && ended && <p class="warning">{t.broadcasts.past}</p>}
      <dl class="facts">
        <dt>{t.broadcasts.starts}</dt>
        <dd>{fmt.dateTime(d?.startsAt)}</dd>
        <dt>{t.broadcasts.duration}</dt>
        <dd>{t.common.minutes(d?.durationMinutes ?? 0)}</dd>
        <dt>{t.broadcasts.seats}</dt>
        <dd>
          {t.broadcasts.seatsTaken(broadcast?.registeredCount ?? 0, d?.capacity ?? 0)}
          {(broadcast?.waitingCount ?? 0) > 0 && `, ${t.broadcasts.waiting(broadcast?.waitingCount ?? 0)}`}
        </dd>
        {d?.courseId && (
          <>
            <dt>{t.broadcasts.relatedCourse}</dt>
            <dd>
              <Link href={pathOf({ name: "course", courseId: d.courseId })}>{d.courseId}</Link>
            </dd>
          </>
        )}
      </dl>
      <p>
        {registered
          ? t.broadcasts.registered
          : waitlisted
            ? t.broadcasts.waitlisted(registration?.waitingPosition ?? 0)
            : t.broadcasts.notRegistered}
      </p>
      {registered && d?.joinUrl && !cancelled && (
        <p>
          <ExternalLink href={d.joinUrl} class="button">
            {t.broadcasts.join}
          </ExternalLink>
        </p>
      )}
      <div class="actions">
        {!cancelled && !ended && !registered && !waitlisted && (
          <button type="button" class="button" disabled={busy} onClick={register}>
            {busy ? t.broadcasts.registering : t.broadcasts.register}
          </button>
        )}
        {!cancelled && (registered || waitlisted) && (
          <button type="button" class="button secondary" disabled={busy} onClick={cancel}>
            {busy ? t.broadcasts.cancelling : t.broadcasts.cancelRegistration}
          </button>
        )}
      </div>
      <StatusMessage>{status}</StatusMessage>
      {error !== null && <ErrorBox error={error} />}
    </div>
  );
}
