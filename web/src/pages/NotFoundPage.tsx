import { useI18n } from "../i18n/i18n.js";
import { PageHeading } from "../components/PageHeading.js";
import { Link } from "../components/Link.js";

export function NotFoundPage() {
  const { t } = useI18n();
  return (
    <div class="page">
      <PageHeading>{t.notFound.title}</PageHeading>
      <p>{t.notFound.body}</p>
      <p>
        <Link href="/">{t.notFound.home}</Link>
      </p>
    </div>
  );
}
