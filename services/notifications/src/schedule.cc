#include "schedule.h"

#include <cstdio>

#include "absl/time/civil_time.h"
#include "advocacy/common/strings.h"

namespace advocacy::notifications {
namespace {

namespace v1 = advocacy::notifications::v1;

constexpr int kMinutesPerDay = 24 * 60;

absl::Weekday ToAbsl(v1::Weekday day) {
  switch (day) {
    case v1::WEEKDAY_MONDAY:
      return absl::Weekday::monday;
    case v1::WEEKDAY_TUESDAY:
      return absl::Weekday::tuesday;
    case v1::WEEKDAY_WEDNESDAY:
      return absl::Weekday::wednesday;
    case v1::WEEKDAY_THURSDAY:
      return absl::Weekday::thursday;
    case v1::WEEKDAY_FRIDAY:
      return absl::Weekday::friday;
    case v1::WEEKDAY_SATURDAY:
      return absl::Weekday::saturday;
    default:
      return absl::Weekday::sunday;
  }
}

std::string WindowKey(absl::CivilHour hour) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04lld-%02d-%02dT%02d", static_cast<long long>(hour.year()),
                hour.month(), hour.day(), hour.hour());
  return buf;
}

int MinuteOfDay(const absl::TimeZone& zone, absl::Time at) {
  const absl::CivilMinute m = absl::ToCivilMinute(at, zone);
  return m.hour() * 60 + m.minute();
}

}  // namespace

absl::StatusOr<absl::TimeZone> LoadZone(const std::string& name) {
  if (name.empty()) return absl::UTCTimeZone();
  absl::TimeZone zone;
  if (!absl::LoadTimeZone(name, &zone)) {
    return absl::InvalidArgumentError(
        StrCat("time_zone: unknown IANA time zone \"", name, "\" (expected e.g. Europe/Oslo)"));
  }
  return zone;
}

absl::StatusOr<DigestWindow> ComputeDigestWindow(const v1::Preferences& prefs,
                                                 const absl::TimeZone& zone, absl::Time at) {
  const v1::DigestCadence cadence = prefs.cadence();
  if (cadence == v1::DIGEST_CADENCE_INSTANT || cadence == v1::DIGEST_CADENCE_UNSPECIFIED) {
    return DigestWindow{at, at, StrCat("instant-", absl::ToUnixNanos(at))};
  }
  if (prefs.digest_hour() < 0 || prefs.digest_hour() > 23) {
    return absl::InvalidArgumentError(
        StrCat("digest_hour: must be 0..23, got ", prefs.digest_hour()));
  }
  const bool weekly = cadence == v1::DIGEST_CADENCE_WEEKLY;
  if (weekly && prefs.digest_weekday() == v1::WEEKDAY_UNSPECIFIED) {
    return absl::InvalidArgumentError("digest_weekday: required for a weekly cadence");
  }
  const absl::CivilDay today = absl::ToCivilDay(at, zone);
  absl::CivilDay day = today;
  if (weekly) {
    // The target weekday on or after today; if that instant has passed, a week later.
    const absl::Weekday target = ToAbsl(prefs.digest_weekday());
    day = absl::NextWeekday(today - 1, target);
  }
  auto local_send = [&](absl::CivilDay d) {
    return absl::CivilHour(d.year(), d.month(), d.day(), prefs.digest_hour());
  };
  const int step = weekly ? 7 : 1;
  // Comparing instants (not civil times) keeps DST-day edges consistent with what a clock sees.
  while (absl::FromCivil(local_send(day), zone) <= at) day += step;
  const absl::CivilHour end_civil = local_send(day);
  const absl::CivilHour start_civil = local_send(day - step);
  return DigestWindow{absl::FromCivil(start_civil, zone), absl::FromCivil(end_civil, zone),
                      StrCat(weekly ? "weekly-" : "daily-", WindowKey(end_civil))};
}

absl::Status ValidateQuietHours(const v1::QuietHours& quiet) {
  if (quiet.start_minute() < 0 || quiet.start_minute() >= kMinutesPerDay) {
    return absl::InvalidArgumentError(
        StrCat("quiet_hours.start_minute: must be 0..1439, got ", quiet.start_minute()));
  }
  if (quiet.end_minute() < 0 || quiet.end_minute() >= kMinutesPerDay) {
    return absl::InvalidArgumentError(
        StrCat("quiet_hours.end_minute: must be 0..1439, got ", quiet.end_minute()));
  }
  return absl::OkStatus();
}

bool IsQuiet(const v1::QuietHours& quiet, const absl::TimeZone& zone, absl::Time at) {
  const int start = quiet.start_minute();
  const int end = quiet.end_minute();
  if (start == end) return false;
  const int now = MinuteOfDay(zone, at);
  if (start < end) return now >= start && now < end;
  return now >= start || now < end;  // across midnight
}

absl::Time NextSendableTime(const v1::QuietHours& quiet, const absl::TimeZone& zone,
                            absl::Time at) {
  if (!IsQuiet(quiet, zone, at)) return at;
  const absl::CivilMinute now = absl::ToCivilMinute(at, zone);
  auto day = absl::CivilDay(now);
  const int end = quiet.end_minute();
  // Before midnight in a window that crosses it, the window ends tomorrow.
  if (MinuteOfDay(zone, at) >= end) day += 1;
  const absl::CivilMinute end_civil(day.year(), day.month(), day.day(), end / 60, end % 60);
  const absl::Time candidate = absl::FromCivil(end_civil, zone);
  return candidate > at ? candidate : at;
}

bool WithinWeeklyCap(int weekly_cap, std::span<const absl::Time> sent_times, absl::Time at) {
  if (weekly_cap <= 0) return true;
  const absl::Time since = at - absl::Hours(24 * 7);
  int count = 0;
  for (const absl::Time t : sent_times) {
    if (t > since && t <= at) ++count;
  }
  return count < weekly_cap;
}

}  // namespace advocacy::notifications
