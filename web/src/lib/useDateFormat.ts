import { useMemo } from "preact/hooks";
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import { useI18n } from "../i18n/i18n.js";
import { browserTimeZone, formatDate, formatDateTime, tsDate } from "./datetime.js";

export interface DateFormat {
  zone: string;
  dateTime: (ts: Timestamp | Date | undefined) => string;
  date: (ts: Timestamp | Date | undefined) => string;
}

// Formats in the current language and the given zone (the browser's when none is given).
export function useDateFormat(zone?: string): DateFormat {
  const { locale } = useI18n();
  return useMemo(() => {
    const z = zone || browserTimeZone();
    const toDate = (v: Timestamp | Date | undefined) => (v instanceof Date ? v : tsDate(v));
    return {
      zone: z,
      dateTime: (v) => {
        const d = toDate(v);
        return d ? formatDateTime(d, locale, z) : "";
      },
      date: (v) => {
        const d = toDate(v);
        return d ? formatDate(d, locale, z) : "";
      },
    };
  }, [locale, zone]);
}
