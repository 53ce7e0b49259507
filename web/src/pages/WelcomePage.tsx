import { useI18n } from "../i18n/i18n.js";
import { PageHeading } from "../components/PageHeading.js";
import { SignInButton } from "../components/SignInButton.js";

export function WelcomePage() {
  const { t } = useI18n();
  return (
    <div class="page welcome">
      <PageHeading>{t.welcome.title}</PageHeading>
      <p class="lead">{t.welcome.lead}</p>
      <ul class="points">
        <li>{t.welcome.pointVoluntary}</li>
        <li>{t.welcome.pointNetworks}</li>
        <li>{t.welcome.pointEasy}</li>
        <li>{t.welcome.pointLearn}</li>
      </ul>
      <p>{t.welcome.signInHint}</p>
      <SignInButton returnTo="/feed" />
    </div>
  );
}
