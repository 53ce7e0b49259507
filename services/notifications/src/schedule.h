#pragma once

// Time rules for when a mail may leave: digest windows in the recipient's own time zone,
// quiet hours (possibly across midnight) and the personal weekly cap. Pure functions over
// absl::Time and the IANA tz database, so they are deterministic under test.

#include <span>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "advocacy/notifications/v1/notifications.pb.h"

namespace advocacy::notifications {

// Loads an IANA zone ("Europe/Oslo"). An empty name means UTC. Unknown names are
// INVALID_ARGUMENT rather than a silent fallback to UTC, so a typo cannot shift every mail.
absl::StatusOr<absl::TimeZone> LoadZone(const std::string& name);

// The digest window an item falls in. Items triggered in [start, end) are merged into one
// digest sent at `end`; `key` identifies the window per recipient (the local civil date of
// `end`, e.g. "2026-11-30T08"), so concurrent triggers agree on the same digest.
// For DIGEST_CADENCE_INSTANT (and unspecified) start == end == the trigger time.
struct DigestWindow {
  absl::Time start;
  absl::Time end;
  std::string key;
};

// Computes the window containing `at` for `prefs` (cadence, digest_hour, digest_weekday) in
// `zone`. `end` is the first local digest_hour (on digest_weekday for weekly) strictly after
// `at`; `start` is the previous one. Local hours that do not exist on a DST day follow
// absl's rule (the pre-transition offset), so every window is still non-empty.
// INVALID_ARGUMENT for an hour outside 0..23 or a weekly cadence without a weekday.
absl::StatusOr<DigestWindow> ComputeDigestWindow(
    const advocacy::notifications::v1::Preferences& prefs, const absl::TimeZone& zone,
    absl::Time at);

// INVALID_ARGUMENT unless both minutes are in 0..1439. start == end means no quiet hours.
absl::Status ValidateQuietHours(const advocacy::notifications::v1::QuietHours& quiet);

// True when `at` falls inside the quiet window in `zone`. A window with end < start runs
// across midnight (22:00-07:00 is quiet at 23:30 and at 06:59, not at 07:00).
bool IsQuiet(const advocacy::notifications::v1::QuietHours& quiet, const absl::TimeZone& zone,
             absl::Time at);

// The earliest time >= `at` that is not quiet: `at` itself when not quiet, else the local end
// of the current quiet window.
absl::Time NextSendableTime(const advocacy::notifications::v1::QuietHours& quiet,
                            const absl::TimeZone& zone, absl::Time at);

// Rolling-week cap: true when fewer than `weekly_cap` of `sent_times` fall in (at - 7 days, at].
// A cap of 0 or less means no personal cap.
bool WithinWeeklyCap(int weekly_cap, std::span<const absl::Time> sent_times, absl::Time at);

}  // namespace advocacy::notifications
