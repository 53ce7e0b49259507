import type { en } from "./en.js";

// The shape of a dictionary. nb.ts is declared with this type, so a missing key is an error,
// and the object literal's excess-property check makes an extra key an error too.
export type Messages = typeof en;

export type Lang = "nb" | "en";
