import { useI18n } from "../i18n/i18n.js";
import { PageHeading } from "../components/PageHeading.js";

export function MyDataPage() {
  const { t } = useI18n();
  const m = t.myData;
  return (
    <div class="page prose">
      <PageHeading>{m.title}</PageHeading>
      <p class="lead">{m.lead}</p>
      <section aria-labelledby="md-consent">
        <h2 id="md-consent">{m.consentTitle}</h2>
        <p>{m.consentBody}</p>
      </section>
      <section aria-labelledby="md-shares">
        <h2 id="md-shares">{m.sharesTitle}</h2>
        <p>{m.sharesBody}</p>
      </section>
      <section aria-labelledby="md-courses">
        <h2 id="md-courses">{m.coursesTitle}</h2>
        <p>{m.coursesBody}</p>
      </section>
      <section aria-labelledby="md-email">
        <h2 id="md-email">{m.emailTitle}</h2>
        <p>{m.emailBody}</p>
      </section>
      <section aria-labelledby="md-export">
        <h2 id="md-export">{m.exportTitle}</h2>
        <p>{m.exportBody}</p>
      </section>
    </div>
  );
}
