import { useLayoutEffect, useRef, useState } from "preact/hooks";
import { useI18n } from "../../i18n/i18n.js";

export type Errors = Record<string, string>;

// Field errors keyed by the control's id. Showing errors moves the focus to the first invalid
// control of the form (in page order), so a keyboard or screen-reader user lands on it.
//
// With `validate` (the form's own check of its current values, in the current language), the
// errors after a first attempt are derived from the form on every render: a field that is fixed
// loses its message at once, and a language switch translates the messages that remain. Without
// it, the errors given to show() stay until the next show() or clear(), and a language switch
// drops them (they were written in the other language; the next attempt shows them again).
export function useFormErrors(validate?: () => Errors) {
  const { locale } = useI18n();
  const [stored, setStored] = useState<{ errors: Errors; locale: string }>({ errors: {}, locale });
  const [attempted, setAttempted] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);
  const [focusTick, setFocusTick] = useState(0);
  // A layout effect: the focus moves in the same frame the errors appear, never a frame later.
  useLayoutEffect(() => {
    if (focusTick === 0) return;
    const el = formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"]');
    el?.focus();
  }, [focusTick]);
  const errors: Errors = validate
    ? attempted
      ? validate()
      : {}
    : stored.locale === locale
      ? stored.errors
      : {};
  const show = (next: Errors): boolean => {
    setStored({ errors: next, locale });
    setAttempted(true);
    const bad = Object.keys(next).length > 0;
    if (bad) setFocusTick((n) => n + 1);
    return bad;
  };
  const clear = (id: string) => {
    if (stored.errors[id] === undefined) return;
    const { [id]: _, ...rest } = stored.errors;
    setStored({ errors: rest, locale: stored.locale });
  };
  return { errors, show, clear, formRef };
}
