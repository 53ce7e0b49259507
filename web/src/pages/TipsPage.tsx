import { Code } from "@connectrpc/connect";
import { ConsentState, Network, Purpose } from "../gen/advocacy/consent/v1/consent_pb.js";
import { useI18n } from "../i18n/i18n.js";
import type { Session } from "../api/session.js";
import { consentClient, notificationsClient } from "../api/clients.js";
import { isCode } from "../api/errors.js";
import { useAsync } from "../lib/useAsync.js";
import { PageHeading } from "../components/PageHeading.js";
import { Loading } from "../components/Loading.js";
import { ErrorBox } from "../components/ErrorBox.js";
import { Link } from "../components/Link.js";
import { TipsForm } from "../components/TipsForm.js";

// Email tip preferences (notifications' Preferences). They narrow what consent allows; the
// page shows the two mail consents beside them so nobody thinks the form turns mail on.
export function TipsPage({ session }: { session: Session }) {
  const { t } = useI18n();
  const { state, reload } = useAsync(
    async (signal) => {
      const who = { tenantId: session.tenant, employeeId: session.subject };
      const [prefs, consent, recipient] = await Promise.all([
        notificationsClient.getPreferences(who, { signal }),
        consentClient.getConsentState(who, { signal }),
        // The recipient record holds the time zone digests are sent in; it may not exist yet.
        notificationsClient.getRecipient(who, { signal }).then(
          (r) => r.recipient ?? null,
          (err: unknown) => {
            if (isCode(err, Code.NotFound) || isCode(err, Code.PermissionDenied)) return null;
            throw err;
          },
        ),
      ]);
      const given = (p: Purpose) =>
        consent.consents.some(
          (c) => c.scope?.purpose === p && c.scope.network === Network.UNSPECIFIED && c.state === ConsentState.GIVEN,
        );
      return {
        preferences: prefs.preferences,
        emailTips: given(Purpose.EMAIL_TIPS),
        courseTips: given(Purpose.COURSE_TIPS),
        timeZone: recipient?.timeZone ?? "",
        email: recipient?.email ?? "",
      };
    },
    [session.tenant, session.subject],
  );
  const onOff = (on: boolean) => (on ? t.common.on : t.common.off);
  return (
    <div class="page">
      <PageHeading>{t.tips.title}</PageHeading>
      <p class="lead">{t.tips.lead}</p>
      {state.status === "loading" && <Loading />}
      {state.status === "error" && <ErrorBox error={state.error} onRetry={reload} />}
      {state.status === "ok" && (
        <>
          <section class="card" aria-labelledby="tips-consent">
            <h2 id="tips-consent" class="visually-hidden">
              {t.nav.consent}
            </h2>
            <ul class="plain-list">
              <li>{t.tips.consentEmailTips(onOff(state.data.emailTips))}</li>
              <li>{t.tips.consentCourseTips(onOff(state.data.courseTips))}</li>
            </ul>
            <p id="tips-recipient" class={state.data.email ? undefined : "warning"}>
              {state.data.email ? t.tips.recipient(state.data.email) : t.tips.noRecipient}
            </p>
            <Link href="/consent">{t.tips.changeConsent}</Link>
          </section>
          <TipsForm session={session} preferences={state.data.preferences} timeZone={state.data.timeZone} />
        </>
      )}
    </div>
  );
}
