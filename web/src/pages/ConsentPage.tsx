import { useState } from "preact/hooks";
import { Code } from "@connectrpc/connect";
import { useI18n } from "../i18n/i18n.js";
import type { Session } from "../api/session.js";
import { consentClient } from "../api/clients.js";
import { isCode } from "../api/errors.js";
import { useAsync } from "../lib/useAsync.js";
import { PageHeading } from "../components/PageHeading.js";
import { Loading } from "../components/Loading.js";
import { ErrorBox } from "../components/ErrorBox.js";
import { NoticeCard } from "../components/NoticeCard.js";
import { ConsentToggles } from "../components/ConsentToggles.js";
import { ConsentHistory } from "../components/ConsentHistory.js";
import { PropagationPanel } from "../components/PropagationPanel.js";

export function ConsentPage({ session }: { session: Session }) {
  const { t } = useI18n();
  // Bumped after every change, so the history and the propagation status read it again.
  const [changes, setChanges] = useState(0);
  const { state, reload } = useAsync(
    async (signal) => {
      const who = { tenantId: session.tenant, employeeId: session.subject };
      const [notice, current] = await Promise.all([
        consentClient.getCurrentNotice({ tenantId: session.tenant }, { signal }).then(
          (r) => r.notice ?? null,
          (err: unknown) => {
            if (isCode(err, Code.NotFound)) return null; // No notice published yet.
            throw err;
          },
        ),
        consentClient.getConsentState(who, { signal }),
      ]);
      return { notice, consents: current.consents };
    },
    [session.tenant, session.subject],
  );
  return (
    <div class="page">
      <PageHeading>{t.consent.title}</PageHeading>
      <p class="lead">{t.consent.lead}</p>
      {state.status === "loading" && <Loading />}
      {state.status === "error" && <ErrorBox error={state.error} onRetry={reload} />}
      {state.status === "ok" && (
        <>
          <NoticeCard notice={state.data.notice} />
          <ConsentToggles
            session={session}
            notice={state.data.notice}
            initial={state.data.consents}
            onChanged={() => setChanges((n) => n + 1)}
          />
          <PropagationPanel session={session} refreshKey={changes} />
          <ConsentHistory session={session} refreshKey={changes} />
        </>
      )}
    </div>
  );
}
