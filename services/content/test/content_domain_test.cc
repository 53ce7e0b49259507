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

// The message of ValidateItem for `item`, which must be InvalidArgument.
std::string Refusal(const v1::Item& item) {
  const absl::Status st = ValidateItem(item, "");
  EXPECT_TRUE(absl::IsInvalidArgument(st)) << st;
  return std::string(st.message());
}

TEST(ValidateItem, TheSerializedSizeIsCappedFirst) {
  // Every field within its own bound, the whole over 64 KiB: ten LinkedIn variants of 3000
  // three-byte characters.
  v1::Item item = ValidItem();
  std::string euros;
  for (int i = 0; i < 3000; ++i) euros += "\xe2\x82\xac";
  item.mutable_captions(0)->clear_captions();
  for (int i = 0; i < kMaxCaptionVariants; ++i) item.mutable_captions(0)->add_captions(euros);
  ASSERT_GT(item.ByteSizeLong(), kMaxItemBytes);
  EXPECT_THAT(Refusal(item), StartsWith("item: is "));
  EXPECT_THAT(Refusal(item), HasSubstr("at most 65536"));
  // Just under the cap is fine.
  item.mutable_captions(0)->mutable_captions()->DeleteSubrange(5, 5);
  EXPECT_LE(item.ByteSizeLong(), kMaxItemBytes);
  EXPECT_TRUE(ValidateItem(item, "").ok());
  // A 4 MB title is refused for its size, before the title's own check reads it.
  item = ValidItem();
  item.set_title(std::string(4000000, 'a'));
  EXPECT_THAT(Refusal(item), StartsWith("item: is 40000"));
  // Unknown fields count: they arrive with the item.
  item = ValidItem();
  item.GetReflection()->MutableUnknownFields(&item)->AddLengthDelimited(999,
                                                                        std::string(70000, 'x'));
  EXPECT_THAT(Refusal(item), StartsWith("item: is "));
}

TEST(ValidateItem, EveryStringAndListIsBounded) {
  v1::Item item = ValidItem();
  item.set_title("two\nlines");
  EXPECT_THAT(Refusal(item), StartsWith("item.title: "));
  item = ValidItem();
  item.set_image_ref(std::string(kMaxImageRefBytes + 1, 'a'));
  EXPECT_THAT(Refusal(item), StartsWith("item.image_ref: "));
  item = ValidItem();
  for (int i = 0; i <= kMaxCaptionVariants; ++i) item.mutable_captions(1)->add_captions("x");
  EXPECT_THAT(Refusal(item), StartsWith("item.captions[1].captions: "));
  item = ValidItem();
  for (int i = 0; i <= kMaxHashtags; ++i) item.add_hashtags("tag");
  EXPECT_THAT(Refusal(item), StartsWith("item.hashtags: at most 30"));
  item = ValidItem();
  item.add_hashtags(std::string(kMaxHashtagBytes + 1, 'a'));
  EXPECT_THAT(Refusal(item), StartsWith("item.hashtags[0]: "));
  item = ValidItem();
  item.add_hashtags("no space");
  EXPECT_THAT(Refusal(item), StartsWith("item.hashtags[0]: "));
  item = ValidItem();
  item.set_disclosure_tag(std::string(kMaxDisclosureTagBytes + 1, 'a'));
  EXPECT_THAT(Refusal(item), StartsWith("item.disclosure_tag: "));
  for (const char* bad : {"e n", "-en", "en_US", "0a", "en\n"}) {
    item = ValidItem();
    item.set_language(bad);
    EXPECT_THAT(Refusal(item), StartsWith("item.language: ")) << bad;
  }
  item = ValidItem();
  item.set_language(std::string(kMaxLanguageBytes + 1, 'a'));
  EXPECT_THAT(Refusal(item), StartsWith("item.language: "));
  for (const char* good : {"en", "nb-NO", "zh-Hant-TW"}) {
    item = ValidItem();
    item.set_language(good);
    EXPECT_TRUE(ValidateItem(item, "").ok()) << good;
  }
  item = ValidItem();
  for (int i = 0; i <= kMaxTopics; ++i) item.add_topics("topic");
  EXPECT_THAT(Refusal(item), StartsWith("item.topics: at most 20"));
  item = ValidItem();
  item.add_topics(std::string(kMaxTopicBytes + 1, 'a'));
  EXPECT_THAT(Refusal(item), StartsWith("item.topics[0]: "));
  item = ValidItem();
  item.add_topics("");
  EXPECT_THAT(Refusal(item), StartsWith("item.topics[0]: "));
  item = ValidItem();
  for (int i = 0; i <= kMaxTargetGroups; ++i) item.add_target_groups("g" + std::to_string(i));
  EXPECT_THAT(Refusal(item), StartsWith("item.target_groups: at most 50"));
  // Target groups are matched against the groups of GetFeed, which are object ids.
  item = ValidItem();
  item.add_target_groups("sales");
  item.add_target_groups("sales/emea");
  EXPECT_THAT(Refusal(item), StartsWith("item.target_groups[1]: "));
  item = ValidItem();
  item.mutable_expires_at()->set_seconds(int64_t{1} << 60);
  EXPECT_THAT(Refusal(item), StartsWith("item.expires_at: "));
  item = ValidItem();
  item.mutable_publish_at()->set_nanos(-1);
  EXPECT_THAT(Refusal(item), StartsWith("item.publish_at: "));
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
