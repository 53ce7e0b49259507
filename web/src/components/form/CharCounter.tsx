import { useI18n } from "../../i18n/i18n.js";
import { charCount } from "../../lib/formValues.js";

// "123 of 3,000 characters" under a text field. It is part of the field's description (read
// when the field gets focus), not a live region, so it does not talk over every keystroke.
export function CharCounter({ id, text, limit }: { id: string; text: string; limit: number }) {
  const { t, locale } = useI18n();
  const n = charCount(text);
  const num = (x: number) => new Intl.NumberFormat(locale).format(x);
  const over = n > limit;
  return (
    <p id={id} class={over ? "counter over" : "counter"}>
      {over ? t.forms.charsOver(num(n), num(limit)) : t.forms.chars(num(n), num(limit))}
    </p>
  );
}
