import { useEffect, useState } from "preact/hooks";
import { Code } from "@connectrpc/connect";
import type { Certificate } from "../gen/advocacy/courses/v1/courses_pb.js";
import { useI18n } from "../i18n/i18n.js";
import { useSessionState } from "../api/session.js";
import { publicCoursesClient } from "../api/clients.js";
import { isCode } from "../api/errors.js";
import { queryParam } from "../lib/router.js";
import { courseLevelLabel } from "../lib/labels.js";
import { useDateFormat } from "../lib/useDateFormat.js";
import { groupedCode, verifyPath } from "../lib/certificates.js";
import { isObjectId } from "../lib/formValues.js";
import { PageHeading } from "../components/PageHeading.js";
import { TextField } from "../components/form/Field.js";
import { useFormErrors } from "../components/form/useFormErrors.js";
import { ErrorBox } from "../components/ErrorBox.js";
import { SignInButton } from "../components/SignInButton.js";

type Outcome =
  | { kind: "valid"; certificate: Certificate; tenant: string }
  | { kind: "notFound" }
  | { kind: "signInNeeded" }
  | { kind: "error"; error: unknown };

// /verify?tenant=<t>&code=<c>: anyone, signed in or not, confirms a certificate from its code
// (VerifyCertificate). The address can be shared: it fills the form and checks at once.
export function VerifyPage() {
  const { t } = useI18n();
  const v = t.verify;
  const fmt = useDateFormat();
  const session = useSessionState();
  const [tenant, setTenant] = useState(() => queryParam("tenant") || (session.kind === "signedIn" ? session.session.tenant : ""));
  const [code, setCode] = useState(() => queryParam("code"));
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const { errors, show, formRef } = useFormErrors();

  const check = async (tenantId: string, verificationCode: string) => {
    setBusy(true);
    setOutcome(null);
    try {
      const r = await publicCoursesClient.verifyCertificate({ tenantId, verificationCode });
      setOutcome(r.certificate ? { kind: "valid", certificate: r.certificate, tenant: tenantId } : { kind: "notFound" });
    } catch (err) {
      if (isCode(err, Code.NotFound) || isCode(err, Code.InvalidArgument)) setOutcome({ kind: "notFound" });
      else if (isCode(err, Code.Unauthenticated)) setOutcome({ kind: "signInNeeded" });
      else setOutcome({ kind: "error", error: err });
    } finally {
      setBusy(false);
    }
  };

  useEffect(() => {
    const qTenant = queryParam("tenant");
    const qCode = queryParam("code");
    if (qTenant && qCode) void check(qTenant, qCode);
  }, []);

  const onSubmit = (e: Event) => {
    e.preventDefault();
    const tn = tenant.trim();
    const cd = code.trim();
    const errs: Record<string, string> = {};
    if (!tn || !isObjectId(tn)) errs["verify-tenant"] = v.tenantRequired;
    if (!cd) errs["verify-code"] = v.codeRequired;
    if (show(errs)) return;
    // The address names what was checked, so it can be bookmarked or passed on.
    window.history.replaceState(null, "", verifyPath(tn, cd));
    void check(tn, cd);
  };

  return (
    <div class="page">
      <PageHeading>{v.title}</PageHeading>
      <p class="lead">{v.lead}</p>
      <form class="card form" ref={formRef} onSubmit={onSubmit} noValidate aria-labelledby="verify-form-title">
        <h2 id="verify-form-title" class="visually-hidden">
          {v.title}
        </h2>
        <TextField id="verify-tenant" label={v.tenant} hint={v.tenantHint} value={tenant} error={errors["verify-tenant"]} onChange={setTenant} spellcheck={false} />
        <TextField id="verify-code" label={v.code} hint={v.codeHint} value={code} error={errors["verify-code"]} onChange={setCode} spellcheck={false} size="long" />
        <button type="submit" class="button" disabled={busy}>
          {busy ? v.checking : v.check}
        </button>
      </form>
      <div role="status" aria-live="polite">
        {busy && <p class="loading">{v.checking}</p>}
        {outcome?.kind === "valid" && (
          <section class="card verified" aria-labelledby="verified-title">
            <h2 id="verified-title">{v.valid}</h2>
            <p>{v.validLead}</p>
            <dl class="facts">
              <dt>{v.course}</dt>
              <dd>{outcome.certificate.courseTitle}</dd>
              <dt>{v.level}</dt>
              <dd>{courseLevelLabel(t, outcome.certificate.level)}</dd>
              <dt>{v.completed}</dt>
              <dd>{fmt.date(outcome.certificate.issuedAt)}</dd>
              <dt>{v.holder}</dt>
              <dd>{outcome.certificate.employeeId}</dd>
              <dt>{v.organization}</dt>
              <dd>{outcome.certificate.tenantId || outcome.tenant}</dd>
              <dt>{v.code}</dt>
              <dd>
                <code>{groupedCode(outcome.certificate.verificationCode)}</code>
              </dd>
            </dl>
          </section>
        )}
        {outcome?.kind === "notFound" && <p class="warning">{v.notFound}</p>}
      </div>
      {outcome?.kind === "signInNeeded" && (
        <div class="warning">
          <p>{v.signInNeeded}</p>
          <SignInButton />
        </div>
      )}
      {outcome?.kind === "error" && <ErrorBox error={outcome.error} />}
    </div>
  );
}
