// Small type guards for values that come from storage (form drafts kept across a sign-in): the
// value is untrusted, so its shape is checked before a form uses it.

export type Guard<T> = (v: unknown) => v is T;

export const isString: Guard<string> = (v): v is string => typeof v === "string";
export const isNumber: Guard<number> = (v): v is number => typeof v === "number" && Number.isFinite(v);
export const isBoolean: Guard<boolean> = (v): v is boolean => typeof v === "boolean";

export function arrayOf<T>(item: Guard<T>, max = 1000): Guard<T[]> {
  return (v): v is T[] => Array.isArray(v) && v.length <= max && v.every((x) => item(x));
}

export function objectOf<T extends object>(fields: { [K in keyof T]: Guard<T[K]> }): Guard<T> {
  return (v): v is T => {
    if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
    const o = v as Record<string, unknown>;
    return Object.entries(fields).every(([k, g]) => (g as Guard<unknown>)(o[k]));
  };
}

export function oneOf<T extends string>(...values: readonly T[]): Guard<T> {
  return (v): v is T => typeof v === "string" && (values as readonly string[]).includes(v);
}
