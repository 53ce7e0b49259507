import { useI18n } from "../i18n/i18n.js";

// One button that switches to the other language, labelled in that language.
export function LanguageSwitch() {
  const { lang, t, setLang } = useI18n();
  const other = lang === "nb" ? "en" : "nb";
  return (
    <button type="button" class="button link-like" lang={t.header.switchLanguageLang} onClick={() => setLang(other)}>
      {t.header.switchLanguage}
    </button>
  );
}
