import { useI18n } from "../i18n/i18n.js";
import { PageHeading } from "../components/PageHeading.js";
import { SignInButton } from "../components/SignInButton.js";

// Any page of one's own data, opened without a session (a link from a mail, for example).
export function SignInRequiredPage() {
  const { t } = useI18n();
  return (
    <div class="page">
      <PageHeading>{t.session.signInTitle}</PageHeading>
      <p>{t.session.signInBody}</p>
      <SignInButton />
    </div>
  );
}
