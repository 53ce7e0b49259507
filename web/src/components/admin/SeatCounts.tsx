import type { Broadcast } from "../../gen/advocacy/courses/v1/courses_pb.js";
import { useI18n } from "../../i18n/i18n.js";

// Seats taken and the length of the waiting list: numbers only, never who.
export function SeatCounts({ broadcast }: { broadcast: Broadcast }) {
  const { t, locale } = useI18n();
  const num = (n: number) => new Intl.NumberFormat(locale).format(n);
  const m = t.admin.broadcasts;
  return (
    <>
      {m.seats(num(broadcast.registeredCount), num(broadcast.details?.capacity ?? 0))}
      {broadcast.waitingCount > 0 && `, ${m.waiting(num(broadcast.waitingCount))}`}
    </>
  );
}
