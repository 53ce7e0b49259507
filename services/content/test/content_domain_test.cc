#include "content_domain.h"

#include <set>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace advocacy::content {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

v1::Item ValidItem() {
  v1::Item item;
  item.set_title("Our new plant opens");
  item.set_url("https://example.com/news?id=1");
  auto* li = item.add_captions();
  li->set_network(cv1::NETWORK_LINKEDIN);
  li->add_captions("Proud of the team");
  auto* x = item.add_captions();
  x->set_network(cv1::NETWORK_X);
  x->add_captions("New plant!");
  return item;
}

TEST(TimestampMs, RoundTripsIncludingBefore1970) {
  for (int64_t ms :
       {int64_t{0}, int64_t{1500}, int64_t{-1500}, int64_t{-1}, int64_t{1795839478123}}) {
    const google::protobuf::Timestamp ts = FromMs(ms);
    EXPECT_GE(ts.nanos(), 0) << ms;
    EXPECT_LT(ts.nanos(), 1000000000) << ms;
    EXPECT_EQ(ToMs(ts), ms);
  }
  EXPECT_EQ(FromMs(-1500).seconds(), -2);
}

TEST(ValidateItem, AcceptsAValidItem) { EXPECT_TRUE(ValidateItem(ValidItem(), "").ok()); }

TEST(ValidateItem, CaptionLimitIsPerNetwork) {
  v1::Item item = ValidItem();
  item.mutable_captions(1)->set_captions(0, std::string(280, 'a'));
  EXPECT_TRUE(ValidateItem(item, "").ok());
  item.mutable_captions(1)->set_captions(0, std::string(281, 'a'));
  auto st = ValidateItem(item, "");
  EXPECT_TRUE(absl::IsInvalidArgument(st));
  EXPECT_THAT(std::string(st.message()), StartsWith("item.captions[1].captions[0]: "));
  // The same text is fine on LinkedIn.
  item.mutable_captions(1)->set_captions(0, "ok");
  item.mutable_captions(0)->set_captions(0, std::string(281, 'a'));
  EXPECT_TRUE(ValidateItem(item, "").ok());
  // Characters, not bytes: 280 two-byte characters fit on X.
  std::string umlauts;
  for (int i = 0; i < 280; ++i) umlauts += "\xc3\xa4";
  item.mutable_captions(1)->set_captions(0, umlauts);
  EXPECT_TRUE(ValidateItem(item, "").ok());
}

TEST(ValidateItem, RejectsBadFieldsWithTheirPath) {
  v1::Item item = ValidItem();
  item.set_title("");
  EXPECT_THAT(std::string(ValidateItem(item, "").message()), StartsWith("item.title: "));
  item = ValidItem();
  item.clear_captions();
  EXPECT_THAT(std::string(ValidateItem(item, "").message()), StartsWith("item.captions: "));
  item = ValidItem();
  item.mutable_captions(1)->set_network(cv1::NETWORK_LINKEDIN);
  EXPECT_THAT(std::string(ValidateItem(item, "").message()),
              StartsWith("item.captions[1].network: "));
  item = ValidItem();
  EXPECT_THAT(std::string(ValidateItem(item, "#ad").message()),
              StartsWith("item.disclosure_tag: "));
  item.set_disclosure_tag("#ad");
  EXPECT_TRUE(ValidateItem(item, "#ad").ok());
}

TEST(ValidateUrl, OnlyBoundedHttpUrls) {
  EXPECT_TRUE(ValidateUrl("http://example.com", "u").ok());
  EXPECT_TRUE(ValidateUrl("https://example.com/a?b=c#d", "u").ok());
  for (const char* bad :
       {"", "ftp://example.com", "javascript:alert(1)", "https://", "https://exa mple.com",
        "https://user@evil.com/", "//example.com", "https://example.com/\r\nSet-Cookie: x"}) {
    EXPECT_TRUE(absl::IsInvalidArgument(ValidateUrl(bad, "item.url"))) << bad;
  }
  EXPECT_FALSE(ValidateUrl("https://example.com/" + std::string(2048, 'a'), "u").ok());
  EXPECT_THAT(std::string(ValidateUrl("ftp://x", "item.url").message()), StartsWith("item.url: "));
}

TEST(PickCaption, RotatesThroughVariants) {
  v1::NetworkCaptions c;
  c.add_captions("a");
  c.add_captions("b");
  c.add_captions("c");
  EXPECT_EQ(PickCaption(c, 0), "a");
  EXPECT_EQ(PickCaption(c, 1), "b");
  EXPECT_EQ(PickCaption(c, 2), "c");
  EXPECT_EQ(PickCaption(c, 3), "a");
  v1::NetworkCaptions empty;
  EXPECT_EQ(PickCaption(empty, 5), "");
}

TEST(LinkCodes, AreBase62UniqueAndChecked) {
  std::set<std::string> codes;
  for (int i = 0; i < 2000; ++i) {
    std::string code = NewLinkCode();
    EXPECT_TRUE(IsValidLinkCode(code)) << code;
    codes.insert(code);
  }
  EXPECT_EQ(codes.size(), 2000u);
  EXPECT_FALSE(IsValidLinkCode(""));
  EXPECT_FALSE(IsValidLinkCode("abc"));
  EXPECT_FALSE(IsValidLinkCode("abcdefghijklmno/"));
  EXPECT_FALSE(IsValidLinkCode("abcdefghijklmnopq"));
  EXPECT_FALSE(IsValidLinkCode("../../etc/passwd"));
}

TEST(WithUtm, AddsParametersBeforeTheFragment) {
  EXPECT_EQ(WithUtm("https://e.com/a", cv1::NETWORK_X, "i1"),
            "https://e.com/a?utm_source=x&utm_medium=employee_advocacy&utm_campaign=i1");
  EXPECT_EQ(WithUtm("https://e.com/a?q=1#top", cv1::NETWORK_LINKEDIN, "i2"),
            "https://e.com/a?q=1&utm_source=linkedin&utm_medium=employee_advocacy&utm_campaign=i2"
            "#top");
}

TEST(Caps, QuietHoursAndEffectiveCap) {
  const int64_t h = 3600000;
  EXPECT_TRUE(InQuietHours(22 * h, 22, 6));
  EXPECT_TRUE(InQuietHours(3 * h, 22, 6));
  EXPECT_FALSE(InQuietHours(6 * h, 22, 6));
  EXPECT_FALSE(InQuietHours(12 * h, 22, 6));
  EXPECT_TRUE(InQuietHours(12 * h, 12, 13));
  EXPECT_FALSE(InQuietHours(12 * h, 5, 5));
  EXPECT_EQ(EffectiveCap(0, 0), kDefaultDailyCap);
  EXPECT_EQ(EffectiveCap(3, 0), 3);
  EXPECT_EQ(EffectiveCap(3, 1), 1);
  EXPECT_EQ(EffectiveCap(3, 10), 3);  // the employee cannot exceed the tenant
  EXPECT_EQ(DayOf(0), "19700101");
  EXPECT_EQ(DayOf(86400000 - 1), "19700101");
  EXPECT_EQ(DayOf(86400000), "19700102");
}

TEST(FeedNetworks, FiltersByStateTimeGroupLanguageConsentAndShares) {
  v1::Item item = ValidItem();
  item.set_item_id("i1");
  item.set_state(v1::ITEM_STATE_PUBLISHED);
  item.set_language("en");
  item.add_target_groups("sales");
  *item.mutable_publish_at() = FromMs(1000);
  *item.mutable_expires_at() = FromMs(5000);
  FeedQuery q;
  q.groups = {"sales"};
  q.language = "en";
  q.now_ms = 2000;
  q.granted = {cv1::NETWORK_LINKEDIN, cv1::NETWORK_X};
  EXPECT_THAT(FeedNetworks(item, q), ElementsAre(cv1::NETWORK_LINKEDIN, cv1::NETWORK_X));

  FeedQuery no_li = q;
  no_li.granted = {cv1::NETWORK_X};
  EXPECT_THAT(FeedNetworks(item, no_li), ElementsAre(cv1::NETWORK_X));
  FeedQuery shared = q;
  shared.shared = {SharedKey("i1", cv1::NETWORK_X)};
  EXPECT_THAT(FeedNetworks(item, shared), ElementsAre(cv1::NETWORK_LINKEDIN));
  FeedQuery other_group = q;
  other_group.groups = {"hr"};
  EXPECT_THAT(FeedNetworks(item, other_group), IsEmpty());
  FeedQuery other_lang = q;
  other_lang.language = "de";
  EXPECT_THAT(FeedNetworks(item, other_lang), IsEmpty());
  FeedQuery early = q;
  early.now_ms = 500;
  EXPECT_THAT(FeedNetworks(item, early), IsEmpty());
  FeedQuery late = q;
  late.now_ms = 5000;
  EXPECT_THAT(FeedNetworks(item, late), IsEmpty());
  FeedQuery none = q;
  none.granted.clear();
  EXPECT_THAT(FeedNetworks(item, none), IsEmpty());
  v1::Item draft = item;
  draft.set_state(v1::ITEM_STATE_DRAFT);
  EXPECT_THAT(FeedNetworks(draft, q), IsEmpty());
  v1::Item everyone = item;
  everyone.clear_target_groups();
  EXPECT_THAT(FeedNetworks(everyone, other_group),
              ElementsAre(cv1::NETWORK_LINKEDIN, cv1::NETWORK_X));
}

}  // namespace
}  // namespace advocacy::content
