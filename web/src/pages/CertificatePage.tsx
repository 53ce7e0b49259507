import { Code } from "@connectrpc/connect";
import { useI18n } from "../i18n/i18n.js";
import type { Session } from "../api/session.js";
import { coursesClient } from "../api/clients.js";
import { isCode } from "../api/errors.js";
import { useAsync } from "../lib/useAsync.js";
import { courseLevelLabel } from "../lib/labels.js";
import { useDateFormat } from "../lib/useDateFormat.js";
import { groupedCode, verifyPath, verifyUrl } from "../lib/certificates.js";
import { pathOf } from "../lib/router.js";
import { PageHeading } from "../components/PageHeading.js";
import { Loading } from "../components/Loading.js";
import { ErrorBox } from "../components/ErrorBox.js";
import { Link } from "../components/Link.js";

// The employee's certificate for one course, laid out to be printed (or saved as PDF): the print
// stylesheet leaves out the app's header, navigation and buttons.
export function CertificatePage({ session, courseId }: { session: Session; courseId: string }) {
  const { t } = useI18n();
  const c = t.certificate;
  const fmt = useDateFormat();
  const { state, reload } = useAsync(
    (signal) =>
      coursesClient.getEnrollment({ tenantId: session.tenant, employeeId: session.subject, courseId }, { signal }).then(
        (r) => r.enrollment?.certificate ?? null,
        (err: unknown) => {
          if (isCode(err, Code.NotFound)) return null;
          throw err;
        },
      ),
    [session.tenant, session.subject, courseId],
  );
  const back = (
    <p class="no-print">
      <Link href={pathOf({ name: "course", courseId })}>{c.backToCourse}</Link>
    </p>
  );
  if (state.status !== "ok" || state.data === null) {
    return (
      <div class="page">
        {back}
        <PageHeading>{c.title}</PageHeading>
        {state.status === "loading" && <Loading />}
        {state.status === "error" && <ErrorBox error={state.error} onRetry={reload} />}
        {state.status === "ok" && <p>{c.none}</p>}
      </div>
    );
  }
  const cert = state.data;
  const url = verifyUrl(cert.tenantId || session.tenant, cert.verificationCode);
  return (
    <div class="page certificate-page">
      {back}
      <article class="certificate-sheet" aria-labelledby="certificate-heading">
        <p class="certificate-org">{cert.tenantId || session.tenant}</p>
        <PageHeading id="certificate-heading">{c.heading}</PageHeading>
        <p>{c.certifies}</p>
        <p class="certificate-name">{session.name}</p>
        <p>{c.completed}</p>
        <p class="certificate-course">{cert.courseTitle}</p>
        <p>{c.level(courseLevelLabel(t, cert.level))}</p>
        <p>{c.issued(fmt.date(cert.issuedAt))}</p>
        <dl class="certificate-code">
          <dt>{c.code}</dt>
          <dd>
            <code id="certificate-code">{groupedCode(cert.verificationCode)}</code>
          </dd>
          <dt>{c.verifyAt}</dt>
          <dd>
            <Link href={verifyPath(cert.tenantId || session.tenant, cert.verificationCode)}>
              <span class="break">{url}</span>
            </Link>
          </dd>
        </dl>
      </article>
      <div class="actions no-print">
        <button type="button" class="button" onClick={() => window.print()}>
          {c.print}
        </button>
      </div>
    </div>
  );
}
