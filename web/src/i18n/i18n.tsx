import { createContext, type ComponentChildren } from "preact";
import { useCallback, useContext, useEffect, useMemo, useState } from "preact/hooks";
import { en } from "./en.js";
import { nb } from "./nb.js";
import type { Lang, Messages } from "./types.js";

export type { Lang, Messages };

const dictionaries: Record<Lang, Messages> = { nb, en };
const storageKey = "advocacy.lang";

// The BCP 47 locale used for Intl formatting in each language.
export const intlLocale: Record<Lang, string> = { nb: "nb-NO", en: "en-GB" };

// Norwegian (bokmål, nynorsk or the macro language) gets bokmål; everything else English.
export function langFromBrowser(languages: readonly string[]): Lang {
  for (const tag of languages) {
    const primary = tag.toLowerCase().split("-")[0];
    if (primary === "nb" || primary === "no" || primary === "nn") return "nb";
    if (primary === "en") return "en";
  }
  return "en";
}

function storedLang(): Lang | null {
  try {
    const v = window.localStorage.getItem(storageKey);
    return v === "nb" || v === "en" ? v : null;
  } catch {
    return null; // Storage disabled: fall back to the browser's languages.
  }
}

function initialLang(): Lang {
  const langs = navigator.languages?.length ? navigator.languages : [navigator.language];
  return storedLang() ?? langFromBrowser(langs);
}

interface I18nValue {
  lang: Lang;
  t: Messages;
  locale: string;
  setLang: (lang: Lang) => void;
}

const I18nContext = createContext<I18nValue | null>(null);

export function I18nProvider({ children }: { children: ComponentChildren }) {
  const [lang, setLangState] = useState<Lang>(initialLang);
  const setLang = useCallback((next: Lang) => {
    try {
      window.localStorage.setItem(storageKey, next);
    } catch {
      // Storage disabled: the choice lasts until the page is reloaded.
    }
    setLangState(next);
  }, []);
  useEffect(() => {
    document.documentElement.lang = lang;
  }, [lang]);
  const value = useMemo(
    () => ({ lang, t: dictionaries[lang], locale: intlLocale[lang], setLang }),
    [lang, setLang],
  );
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18nValue {
  const v = useContext(I18nContext);
  if (!v) throw new Error("useI18n outside I18nProvider");
  return v;
}
