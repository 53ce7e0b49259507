import { useEffect, useRef, useState } from "preact/hooks";

export type Errors = Record<string, string>;

// Field errors keyed by the control's id. Showing errors moves the focus to the first invalid
// control of the form (in page order), so a keyboard or screen-reader user lands on it.
export function useFormErrors() {
  const [errors, setErrors] = useState<Errors>({});
  const formRef = useRef<HTMLFormElement>(null);
  const [focusTick, setFocusTick] = useState(0);
  useEffect(() => {
    if (focusTick === 0) return;
    const el = formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"]');
    el?.focus();
  }, [focusTick]);
  const show = (next: Errors): boolean => {
    setErrors(next);
    const bad = Object.keys(next).length > 0;
    if (bad) setFocusTick((n) => n + 1);
    return bad;
  };
  const clear = (id: string) => {
    if (errors[id] === undefined) return;
    const { [id]: _, ...rest } = errors;
    setErrors(rest);
  };
  return { errors, show, clear, formRef };
}
