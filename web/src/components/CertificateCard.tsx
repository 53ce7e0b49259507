import type { Certificate } from "../gen/advocacy/courses/v1/courses_pb.js";
import { useI18n } from "../i18n/i18n.js";
import { useDateFormat } from "../lib/useDateFormat.js";
import { groupedCode, verifyPath } from "../lib/certificates.js";
import { pathOf } from "../lib/router.js";
import { Link } from "./Link.js";

export function CertificateCard({ certificate, tenantId }: { certificate: Certificate; tenantId: string }) {
  const { t } = useI18n();
  const fmt = useDateFormat();
  return (
    <section class="card certificate" aria-labelledby="certificate-title">
      <h2 id="certificate-title">{t.courses.certificate}</h2>
      <p class="certificate-course">{certificate.courseTitle}</p>
      <p class="meta">{t.courses.certificateIssued(fmt.date(certificate.issuedAt))}</p>
      <p>
        {t.courses.certificateCode}: <code class="break">{groupedCode(certificate.verificationCode)}</code>
      </p>
      <p class="hint">{t.courses.certificateCodeHint}</p>
      <ul class="plain-list link-list">
        <li>
          <Link href={pathOf({ name: "certificate", courseId: certificate.courseId })}>{t.certificate.open}</Link>
        </li>
        <li>
          <Link href={verifyPath(certificate.tenantId || tenantId, certificate.verificationCode)}>{t.certificate.verifyLink}</Link>
        </li>
      </ul>
    </section>
  );
}
