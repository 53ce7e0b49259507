#include "schedule.h"

#include <vector>

#include "gtest/gtest.h"

namespace advocacy::notifications {
namespace {

namespace v1 = advocacy::notifications::v1;

absl::TimeZone Zone(const char* name) {
  auto zone = LoadZone(name);
  EXPECT_TRUE(zone.ok()) << zone.status();
  return zone.ok() ? *zone : absl::UTCTimeZone();
}

absl::Time Local(const absl::TimeZone& zone, int y, int mo, int d, int h, int mi = 0) {
  return absl::FromCivil(absl::CivilMinute(y, mo, d, h, mi), zone);
}

absl::Time Utc(int y, int mo, int d, int h, int mi = 0) {
  return absl::FromCivil(absl::CivilMinute(y, mo, d, h, mi), absl::UTCTimeZone());
}

v1::Preferences Daily(int hour) {
  v1::Preferences p;
  p.set_cadence(v1::DIGEST_CADENCE_DAILY);
  p.set_digest_hour(hour);
  return p;
}

v1::Preferences Weekly(v1::Weekday day, int hour) {
  v1::Preferences p;
  p.set_cadence(v1::DIGEST_CADENCE_WEEKLY);
  p.set_digest_weekday(day);
  p.set_digest_hour(hour);
  return p;
}

v1::QuietHours Quiet(int start_h, int start_m, int end_h, int end_m) {
  v1::QuietHours q;
  q.set_start_minute(start_h * 60 + start_m);
  q.set_end_minute(end_h * 60 + end_m);
  return q;
}

TEST(LoadZoneTest, UnknownZoneIsAnError) {
  auto zone = LoadZone("Europe/Atlantis");
  ASSERT_FALSE(zone.ok());
  EXPECT_EQ(zone.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(zone.status().message().find("Europe/Atlantis"), std::string::npos);
}

TEST(LoadZoneTest, EmptyMeansUtc) {
  auto zone = LoadZone("");
  ASSERT_TRUE(zone.ok());
  EXPECT_EQ(zone->name(), "UTC");
}

TEST(DigestWindowTest, DailyBeforeTheHourEndsTodayInLocalTime) {
  const absl::TimeZone oslo = Zone("Europe/Oslo");  // UTC+1 in November
  auto w = ComputeDigestWindow(Daily(8), oslo, Local(oslo, 2026, 11, 28, 7, 30));
  ASSERT_TRUE(w.ok()) << w.status();
  EXPECT_EQ(w->end, Utc(2026, 11, 28, 7));
  EXPECT_EQ(w->start, Utc(2026, 11, 27, 7));
  EXPECT_EQ(w->key, "daily-2026-11-28T08");
}

TEST(DigestWindowTest, DailyExactlyAtTheHourBelongsToTheNextWindow) {
  const absl::TimeZone oslo = Zone("Europe/Oslo");
  auto w = ComputeDigestWindow(Daily(8), oslo, Local(oslo, 2026, 11, 28, 8, 0));
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->start, Local(oslo, 2026, 11, 28, 8));
  EXPECT_EQ(w->end, Local(oslo, 2026, 11, 29, 8));
  EXPECT_EQ(w->key, "daily-2026-11-29T08");
}

TEST(DigestWindowTest, TriggersInTheSameWindowShareTheKey) {
  const absl::TimeZone oslo = Zone("Europe/Oslo");
  auto a = ComputeDigestWindow(Daily(8), oslo, Local(oslo, 2026, 11, 28, 9));
  auto b = ComputeDigestWindow(Daily(8), oslo, Local(oslo, 2026, 11, 29, 7, 59));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->key, b->key);
  EXPECT_EQ(a->end, b->end);
}

TEST(DigestWindowTest, SameInstantDiffersByTimeZone) {
  const absl::Time at = Utc(2026, 11, 28, 12);
  auto oslo = ComputeDigestWindow(Daily(8), Zone("Europe/Oslo"), at);
  auto tokyo = ComputeDigestWindow(Daily(8), Zone("Asia/Tokyo"), at);  // 21:00 local
  ASSERT_TRUE(oslo.ok() && tokyo.ok());
  EXPECT_EQ(oslo->end, Utc(2026, 11, 29, 7));
  EXPECT_EQ(tokyo->end, Utc(2026, 11, 28, 23));
}

TEST(DigestWindowTest, DailyWindowAcrossSpringForwardIs23Hours) {
  const absl::TimeZone oslo = Zone("Europe/Oslo");  // DST starts 2026-03-29 02:00
  auto w = ComputeDigestWindow(Daily(8), oslo, Local(oslo, 2026, 3, 28, 10));
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->start, Utc(2026, 3, 28, 7));
  EXPECT_EQ(w->end, Utc(2026, 3, 29, 6));
  EXPECT_EQ(w->end - w->start, absl::Hours(23));
}

TEST(DigestWindowTest, DailyWindowAcrossFallBackIs25Hours) {
  const absl::TimeZone oslo = Zone("Europe/Oslo");  // DST ends 2026-10-25 03:00
  auto w = ComputeDigestWindow(Daily(8), oslo, Local(oslo, 2026, 10, 24, 10));
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->end - w->start, absl::Hours(25));
}

TEST(DigestWindowTest, WeeklyEndsOnTheNextLocalWeekday) {
  const absl::TimeZone oslo = Zone("Europe/Oslo");
  // 2026-11-28 is a Saturday; the next Monday is 2026-11-30.
  auto w = ComputeDigestWindow(Weekly(v1::WEEKDAY_MONDAY, 9), oslo, Local(oslo, 2026, 11, 28, 15));
  ASSERT_TRUE(w.ok()) << w.status();
  EXPECT_EQ(w->end, Local(oslo, 2026, 11, 30, 9));
  EXPECT_EQ(w->start, Local(oslo, 2026, 11, 23, 9));
  EXPECT_EQ(w->key, "weekly-2026-11-30T09");
}

TEST(DigestWindowTest, WeeklyOnTheDayBeforeAndAfterTheHour) {
  const absl::TimeZone oslo = Zone("Europe/Oslo");
  auto before =
      ComputeDigestWindow(Weekly(v1::WEEKDAY_MONDAY, 9), oslo, Local(oslo, 2026, 11, 30, 8, 59));
  auto after =
      ComputeDigestWindow(Weekly(v1::WEEKDAY_MONDAY, 9), oslo, Local(oslo, 2026, 11, 30, 9, 0));
  ASSERT_TRUE(before.ok() && after.ok());
  EXPECT_EQ(before->end, Local(oslo, 2026, 11, 30, 9));
  EXPECT_EQ(after->end, Local(oslo, 2026, 12, 7, 9));
}

TEST(DigestWindowTest, InstantIsAnEmptyWindowAtTheTrigger) {
  v1::Preferences p;
  p.set_cadence(v1::DIGEST_CADENCE_INSTANT);
  const absl::Time at = Utc(2026, 11, 28, 12);
  auto w = ComputeDigestWindow(p, absl::UTCTimeZone(), at);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->start, at);
  EXPECT_EQ(w->end, at);
}

TEST(DigestWindowTest, RejectsBadHourAndMissingWeekday) {
  auto bad_hour = ComputeDigestWindow(Daily(24), absl::UTCTimeZone(), Utc(2026, 1, 1, 0));
  EXPECT_EQ(bad_hour.status().code(), absl::StatusCode::kInvalidArgument);
  auto no_day = ComputeDigestWindow(Weekly(v1::WEEKDAY_UNSPECIFIED, 9), absl::UTCTimeZone(),
                                    Utc(2026, 1, 1, 0));
  EXPECT_EQ(no_day.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(QuietHoursTest, WindowAcrossMidnight) {
  const absl::TimeZone oslo = Zone("Europe/Oslo");
  const v1::QuietHours q = Quiet(22, 0, 7, 0);
  EXPECT_FALSE(IsQuiet(q, oslo, Local(oslo, 2026, 11, 28, 21, 59)));
  EXPECT_TRUE(IsQuiet(q, oslo, Local(oslo, 2026, 11, 28, 22, 0)));
  EXPECT_TRUE(IsQuiet(q, oslo, Local(oslo, 2026, 11, 28, 23, 30)));
  EXPECT_TRUE(IsQuiet(q, oslo, Local(oslo, 2026, 11, 29, 6, 59)));
  EXPECT_FALSE(IsQuiet(q, oslo, Local(oslo, 2026, 11, 29, 7, 0)));
}

TEST(QuietHoursTest, IsEvaluatedInTheRecipientsZone) {
  const v1::QuietHours q = Quiet(22, 0, 7, 0);
  const absl::Time at = Utc(2026, 11, 28, 12);  // noon in Oslo, 21:00 in Tokyo
  EXPECT_FALSE(IsQuiet(q, Zone("Europe/Oslo"), at));
  EXPECT_FALSE(IsQuiet(q, Zone("Asia/Tokyo"), at));
  EXPECT_TRUE(IsQuiet(q, Zone("Asia/Tokyo"), at + absl::Hours(2)));
}

TEST(QuietHoursTest, NextSendableAcrossMidnight) {
  const absl::TimeZone oslo = Zone("Europe/Oslo");
  const v1::QuietHours q = Quiet(22, 0, 7, 0);
  EXPECT_EQ(NextSendableTime(q, oslo, Local(oslo, 2026, 11, 28, 23, 30)),
            Local(oslo, 2026, 11, 29, 7, 0));
  EXPECT_EQ(NextSendableTime(q, oslo, Local(oslo, 2026, 11, 29, 6, 0)),
            Local(oslo, 2026, 11, 29, 7, 0));
  const absl::Time open = Local(oslo, 2026, 11, 29, 12, 0);
  EXPECT_EQ(NextSendableTime(q, oslo, open), open);
}

TEST(QuietHoursTest, SameDayWindowAndEmptyWindow) {
  const absl::TimeZone utc = absl::UTCTimeZone();
  const v1::QuietHours lunch = Quiet(12, 0, 13, 0);
  EXPECT_TRUE(IsQuiet(lunch, utc, Utc(2026, 11, 28, 12, 30)));
  EXPECT_FALSE(IsQuiet(lunch, utc, Utc(2026, 11, 28, 13, 0)));
  EXPECT_EQ(NextSendableTime(lunch, utc, Utc(2026, 11, 28, 12, 30)), Utc(2026, 11, 28, 13, 0));
  const v1::QuietHours none = Quiet(9, 0, 9, 0);
  EXPECT_FALSE(IsQuiet(none, utc, Utc(2026, 11, 28, 9, 0)));
}

TEST(QuietHoursTest, ValidatesMinutes) {
  EXPECT_TRUE(ValidateQuietHours(Quiet(22, 0, 7, 0)).ok());
  v1::QuietHours bad;
  bad.set_start_minute(1440);
  EXPECT_EQ(ValidateQuietHours(bad).code(), absl::StatusCode::kInvalidArgument);
  bad.set_start_minute(0);
  bad.set_end_minute(-1);
  EXPECT_EQ(ValidateQuietHours(bad).code(), absl::StatusCode::kInvalidArgument);
}

TEST(WeeklyCapTest, CountsOnlyTheRollingWeek) {
  const absl::Time now = Utc(2026, 11, 28, 12);
  const std::vector<absl::Time> sent{now - absl::Hours(24 * 8), now - absl::Hours(24 * 7),
                                     now - absl::Hours(24 * 6), now - absl::Hours(1)};
  // Only the last two are within (now - 7d, now].
  EXPECT_TRUE(WithinWeeklyCap(3, sent, now));
  EXPECT_FALSE(WithinWeeklyCap(2, sent, now));
  EXPECT_TRUE(WithinWeeklyCap(0, sent, now));  // no cap
  EXPECT_TRUE(WithinWeeklyCap(1, {}, now));
}

}  // namespace
}  // namespace advocacy::notifications
