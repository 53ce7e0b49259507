import { pathOf } from "./router.js";

// The public page that confirms a certificate, with the organization and code filled in.
export function verifyPath(tenantId: string, code: string): string {
  return `${pathOf({ name: "verify" })}?${new URLSearchParams({ tenant: tenantId, code }).toString()}`;
}

export function verifyUrl(tenantId: string, code: string): string {
  return `${window.location.origin}${verifyPath(tenantId, code)}`;
}

// Codes are 26 characters of Crockford base32; shown in groups of five they are easier to read
// aloud and to type (the service ignores dashes and case).
export function groupedCode(code: string): string {
  return code.replace(/[\s-]/g, "").replace(/(.{5})(?=.)/g, "$1-");
}
