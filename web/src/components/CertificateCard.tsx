import type { Certificate } from "../gen/advocacy/courses/v1/courses_pb.js";
import { useI18n } from "../i18n/i18n.js";
import { useDateFormat } from "../lib/useDateFormat.js";

export function CertificateCard({ certificate }: { certificate: Certificate }) {
  const { t } = useI18n();
  const fmt = useDateFormat();
  return (
    <section class="card certificate" aria-labelledby="certificate-title">
      <h2 id="certificate-title">{t.courses.certificate}</h2>
      <p class="certificate-course">{certificate.courseTitle}</p>
      <p class="meta">{t.courses.certificateIssued(fmt.date(certificate.issuedAt))}</p>
      <p>
        {t.courses.certificateCode}: <code class="break">{certificate.verificationCode}</code>
      </p>
      <p class="hint">{t.courses.certificateCodeHint}</p>
    </section>
  );
}
