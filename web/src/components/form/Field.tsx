import type { ComponentChildren } from "preact";
import { useI18n } from "../../i18n/i18n.js";

// The frame every form control shares: a visible label, an optional hint, the control, and an
// error below it. The control is described by the hint and the error (aria-describedby) and
// marked aria-invalid while the error stands, so a screen reader reads all three together.

export interface FieldFrame {
  id: string;
  label: string;
  hint?: string;
  error?: string;
  optional?: boolean;
  // Extra ids the control is described by (a character counter, for example).
  describedBy?: string;
  class?: string;
}

export function describedBy(f: FieldFrame): string | undefined {
  const ids = [f.hint ? `${f.id}-hint` : "", f.describedBy ?? "", f.error ? `${f.id}-error` : ""].filter(Boolean);
  return ids.length > 0 ? ids.join(" ") : undefined;
}

export function controlProps(f: FieldFrame) {
  return {
    id: f.id,
    "aria-describedby": describedBy(f),
    "aria-invalid": f.error ? ("true" as const) : undefined,
  };
}

export function Field({ frame, children, after }: { frame: FieldFrame; children: ComponentChildren; after?: ComponentChildren }) {
  const { t } = useI18n();
  return (
    <div class={frame.class ? `field ${frame.class}` : "field"}>
      <label for={frame.id}>
        {frame.label}
        {frame.optional && <span class="optional"> {t.forms.optional}</span>}
      </label>
      {frame.hint && (
        <p id={`${frame.id}-hint`} class="hint">
          {frame.hint}
        </p>
      )}
      {children}
      {after}
      {frame.error && (
        <p id={`${frame.id}-error`} class="field-error">
          {frame.error}
        </p>
      )}
    </div>
  );
}

const inputValue = (e: Event) => (e.currentTarget as HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement).value;

type InputType = "text" | "url" | "email" | "datetime-local";

export function TextField(
  props: FieldFrame & {
    value: string;
    onChange: (v: string) => void;
    type?: InputType;
    inputMode?: "text" | "numeric" | "url" | "email";
    autoComplete?: string;
    list?: string;
    size?: "short" | "long";
    spellcheck?: boolean;
  },
) {
  const { value, onChange, type = "text", inputMode, autoComplete = "off", list, size, spellcheck } = props;
  return (
    <Field frame={props}>
      <input
        {...controlProps(props)}
        type={type}
        class={size}
        value={value}
        inputMode={inputMode}
        autoComplete={autoComplete}
        list={list}
        spellcheck={spellcheck}
        onInput={(e) => onChange(inputValue(e))}
      />
    </Field>
  );
}

export function TextAreaField(
  props: FieldFrame & { value: string; onChange: (v: string) => void; rows?: number; after?: ComponentChildren; lang?: string },
) {
  const { value, onChange, rows = 4, after, lang } = props;
  return (
    <Field frame={props} after={after}>
      <textarea {...controlProps(props)} rows={rows} value={value} lang={lang} onInput={(e) => onChange(inputValue(e))} />
    </Field>
  );
}

export function SelectField(
  props: FieldFrame & { value: string; onChange: (v: string) => void; options: readonly { value: string; label: string }[] },
) {
  const { value, onChange, options } = props;
  return (
    <Field frame={props}>
      <select {...controlProps(props)} value={value} onChange={(e) => onChange(inputValue(e))}>
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </Field>
  );
}

// A checkbox with its label beside it, and an optional hint under both.
export function CheckboxField({
  id,
  label,
  hint,
  checked,
  onChange,
  disabled,
  error,
}: {
  id: string;
  label: string;
  hint?: string;
  checked: boolean;
  onChange: (v: boolean) => void;
  disabled?: boolean;
  error?: string;
}) {
  return (
    <div class="choice-block">
      <div class="choice">
        <input
          type="checkbox"
          {...controlProps({ id, label, hint, error })}
          checked={checked}
          disabled={disabled}
          onChange={(e) => onChange((e.currentTarget as HTMLInputElement).checked)}
        />
        <label for={id}>{label}</label>
      </div>
      {hint && (
        <p id={`${id}-hint`} class="hint choice-hint">
          {hint}
        </p>
      )}
      {error && (
        <p id={`${id}-error`} class="field-error">
          {error}
        </p>
      )}
    </div>
  );
}
