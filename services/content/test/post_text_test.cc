#include "post_text.h"

#include <array>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "content_domain.h"
#include "gmock/gmock.h"
#include "graphemes.h"
#include "gtest/gtest.h"

namespace advocacy::content {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr std::string_view kThumbsUpMediumSkin = "\U0001F44D\U0001F3FD";  // 👍🏽
constexpr std::string_view kFamily =
    "\U0001F468\u200D\U0001F469\u200D\U0001F467";             // 👨‍👩‍👧
constexpr std::string_view kNorway = "\U0001F1F3\U0001F1F4";  // 🇳🇴
constexpr std::string_view kNorwegianLetters = "\u00e6\u00f8\u00e5\u00c6\u00d8\u00c5";  // æøåÆØÅ
// A tracked link as the service hands them out: a base with a domain name plus 16 characters.
constexpr std::string_view kBase = "https://go.acme.no/l/";
constexpr std::string_view kLink = "https://go.acme.no/l/AbCdEfGhIjKlMnOp";
constexpr std::array<cv1::Network, 4> kNetworks = {cv1::NETWORK_X, cv1::NETWORK_LINKEDIN,
                                                   cv1::NETWORK_FACEBOOK, cv1::NETWORK_INSTAGRAM};

v1::Item ItemWith(cv1::Network network, std::vector<std::string> captions,
                  std::vector<std::string> hashtags = {}, std::string disclosure = "") {
  v1::Item item;
  item.set_item_id("launch");
  item.set_title("Launch");
  item.set_url("https://example.com/news");
  auto* nc = item.add_captions();
  nc->set_network(network);
  for (auto& c : captions) nc->add_captions(std::move(c));
  for (auto& h : hashtags) item.add_hashtags(std::move(h));
  item.set_disclosure_tag(std::move(disclosure));
  return item;
}

std::string Repeat(std::string_view s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

// ------------------------------------------------------------------------------------------
// The share dialogs, exactly.

TEST(ShareIntentUrl, LinkedInCarriesTheTrackedLinkOnly) {
  EXPECT_EQ(ShareIntentUrl(cv1::NETWORK_LINKEDIN, "ignored text", kLink),
            "https://www.linkedin.com/sharing/share-offsite/"
            "?url=https%3A%2F%2Fgo.acme.no%2Fl%2FAbCdEfGhIjKlMnOp");
}

TEST(ShareIntentUrl, FacebookCarriesTheTrackedLinkOnly) {
  EXPECT_EQ(ShareIntentUrl(cv1::NETWORK_FACEBOOK, "ignored text", kLink),
            "https://www.facebook.com/sharer/sharer.php"
            "?u=https%3A%2F%2Fgo.acme.no%2Fl%2FAbCdEfGhIjKlMnOp");
}

TEST(ShareIntentUrl, XCarriesTextAndLinkPercentEncodedPerRfc3986) {
  const std::string text =
      "Stolt & glad! bl\u00e5b\u00e6r " + std::string(kThumbsUpMediumSkin) + "\n\n#nytt_bygg+1 ~ok";
  EXPECT_EQ(ShareIntentUrl(cv1::NETWORK_X, text, kLink),
            "https://twitter.com/intent/tweet"
            "?text=Stolt%20%26%20glad%21%20bl%C3%A5b%C3%A6r%20%F0%9F%91%8D%F0%9F%8F%BD"
            "%0A%0A%23nytt_bygg%2B1%20~ok"
            "&url=https%3A%2F%2Fgo.acme.no%2Fl%2FAbCdEfGhIjKlMnOp");
}

TEST(ShareIntentUrl, InstagramHasNone) {
  EXPECT_EQ(ShareIntentUrl(cv1::NETWORK_INSTAGRAM, "text", kLink), "");
}

// ------------------------------------------------------------------------------------------
// Counting as the networks count.

TEST(NetworkLength, EmojiAreOneCharacterAndWeighTwoOnX) {
  for (const std::string_view emoji : {kThumbsUpMediumSkin, kFamily, kNorway}) {
    EXPECT_EQ(NetworkLength(cv1::NETWORK_LINKEDIN, emoji), 1u) << emoji;
    EXPECT_EQ(NetworkLength(cv1::NETWORK_INSTAGRAM, emoji), 1u) << emoji;
    EXPECT_EQ(NetworkLength(cv1::NETWORK_X, emoji), 2u) << emoji;
  }
  const std::string all = std::string(kThumbsUpMediumSkin) + std::string(kFamily) +
                          std::string(kNorway) + " \u2764\uFE0F 1\uFE0F\u20E3";
  EXPECT_EQ(NetworkLength(cv1::NETWORK_FACEBOOK, all), 7u);
  EXPECT_EQ(NetworkLength(cv1::NETWORK_X, all), 2u + 2u + 2u + 1u + 2u + 1u + 2u);
}

TEST(NetworkLength, NorwegianLettersAndCombiningMarksAreOneEach) {
  for (const auto network : kNetworks) {
    EXPECT_EQ(NetworkLength(network, kNorwegianLetters), 6u) << network;
    // å as a + ring above, é as e + acute: X normalizes to NFC before counting, so one each too.
    EXPECT_EQ(NetworkLength(network, "bla\u030Abe\u0301r"), 6u) << network;
  }
  // A second mark on the same letter: one character, but X counts the code point NFC leaves.
  EXPECT_EQ(NetworkLength(cv1::NETWORK_LINKEDIN, "q\u0303\u0301"), 1u);
  EXPECT_EQ(NetworkLength(cv1::NETWORK_X, "q\u0303\u0301"), 2u);
}

TEST(XWeightedLength, FollowsTwitterTextWeights) {
  EXPECT_EQ(XWeightedLength("hello"), 5u);
  EXPECT_EQ(XWeightedLength("\u65E5\u672C\u8A9E"), 6u);          // 日本語: CJK weigh 2
  EXPECT_EQ(XWeightedLength("\u201CHei\u201D \u2014 ok"), 10u);  // quotes and dash weigh 1
  EXPECT_EQ(XWeightedLength("\u2026"), 2u);                      // … is outside the ranges
  EXPECT_EQ(XWeightedLength("\uD558\u11A8"), 2u);                // jamo that compose
  EXPECT_EQ(XWeightedLength("\u0928\u092E\u0938\u094D\u0924\u0947"), 6u);  // every code point
}

TEST(XWeightedLength, EveryUrlIs23) {
  EXPECT_EQ(XWeightedLength("https://example.com/a/very/long/path/that/goes/on?and=on#x"), 23u);
  EXPECT_EQ(XWeightedLength("http://a.no"), 23u);
  // Sentence punctuation after a URL is not part of it.
  EXPECT_EQ(XWeightedLength("See https://acme.no/news."), 4u + 23u + 1u);
  EXPECT_EQ(XWeightedLength("(https://acme.no/news), ok"), 1u + 23u + 2u + 1u + 2u);
  // Two URLs, one glued to a word.
  EXPECT_EQ(XWeightedLength("les:https://acme.no og https://acme.no/b"), 4u + 23u + 4u + 23u);
  // A domain name without a scheme may be linked: at least 23.
  EXPECT_EQ(XWeightedLength("acme.no"), 23u);
  EXPECT_EQ(XWeightedLength("les mer p\u00e5 acme.com/nytt!"), 11u + 23u + 1u);
  // Norwegian and English abbreviations are no domains.
  EXPECT_EQ(XWeightedLength("f.eks. bl.a. e.g. i.e."), 22u);
  // A host X cannot link counts its whole length when that is longer.
  const std::string local = "http://127.0.0.1:8080/l/AbCdEfGhIjKlMnOp";
  EXPECT_EQ(XWeightedLength(local), local.size());
  EXPECT_EQ(XWeightedLength("https://"), 8u);
}

// ------------------------------------------------------------------------------------------
// The post text.

TEST(ComposePostText, CaptionThenNewHashtagsThenDisclosure) {
  const v1::Item item =
      ItemWith(cv1::NETWORK_LINKEDIN, {"x"}, {"launch", "b\u00e6rekraft", "oslo"}, "#ad");
  EXPECT_EQ(ComposePostText("  Proud of the team #Launch in #OSLO!\n", item),
            "Proud of the team #Launch in #OSLO!\n\n#b\u00e6rekraft\n\n#ad");
  // Case-insensitive for Norwegian capitals too; "#ad" inside "#advertising" is not "#ad".
  EXPECT_EQ(ComposePostText("#B\u00c6REKRAFT #advertising", item),
            "#B\u00c6REKRAFT #advertising\n\n#launch #oslo\n\n#ad");
  // A disclosure the caption carries already is not repeated; nothing else: the caption alone.
  EXPECT_EQ(ComposePostText("Annonse: hei", ItemWith(cv1::NETWORK_X, {"x"}, {}, "annonse")),
            "Annonse: hei");
  EXPECT_EQ(ComposePostText("hei", ItemWith(cv1::NETWORK_X, {"x"})), "hei");
  // A hashtag listed twice is posted once.
  EXPECT_EQ(ComposePostText("hei", ItemWith(cv1::NETWORK_X, {"x"}, {"a", "A", "a"})), "hei\n\n#a");
}

// ------------------------------------------------------------------------------------------
// The post of a share.

TEST(PostComposer, LinkedInPostsTheTextAndTheDialogCarriesTheLink) {
  const PostComposer posts(kBase);
  const v1::Item item = ItemWith(cv1::NETWORK_LINKEDIN, {"Stolt! " + std::string(kFamily)}, {"ny"});
  const auto post = posts.Compose(item, cv1::NETWORK_LINKEDIN, item.captions(0).captions(0), kLink);
  ASSERT_TRUE(post.ok()) << post.status();
  EXPECT_EQ(post->post_text(), "Stolt! " + std::string(kFamily) + "\n\n#ny");
  EXPECT_EQ(post->share_intent_url(),
            "https://www.linkedin.com/sharing/share-offsite/"
            "?url=https%3A%2F%2Fgo.acme.no%2Fl%2FAbCdEfGhIjKlMnOp");
  EXPECT_EQ(post->copy_text(), post->post_text());
  EXPECT_EQ(post->app_url(), "");
  EXPECT_EQ(post->length(), 7 + 1 + 2 + 3);  // the link is a card, not text
  EXPECT_EQ(post->limit(), 3000);
}

TEST(PostComposer, XCountsTheLinkTheDialogAppends) {
  const PostComposer posts(kBase);
  const v1::Item item = ItemWith(cv1::NETWORK_X, {std::string(kNorway) + " hei"}, {}, "#ad");
  const auto post = posts.Compose(item, cv1::NETWORK_X, item.captions(0).captions(0), kLink);
  ASSERT_TRUE(post.ok()) << post.status();
  EXPECT_EQ(post->post_text(), std::string(kNorway) + " hei\n\n#ad");
  EXPECT_EQ(post->share_intent_url(),
            "https://twitter.com/intent/tweet?text=%F0%9F%87%B3%F0%9F%87%B4%20hei%0A%0A%23ad"
            "&url=https%3A%2F%2Fgo.acme.no%2Fl%2FAbCdEfGhIjKlMnOp");
  EXPECT_EQ(post->copy_text(), post->post_text() + " " + std::string(kLink));
  EXPECT_EQ(post->length(), 2 + 4 + 2 + 3 + 1 + 23);
  EXPECT_EQ(post->limit(), 280);
}

TEST(PostComposer, InstagramCopiesTextAndLinkAndOpensTheApp) {
  const PostComposer posts(kBase);
  const v1::Item item = ItemWith(cv1::NETWORK_INSTAGRAM, {std::string(kNorwegianLetters)});
  const auto post =
      posts.Compose(item, cv1::NETWORK_INSTAGRAM, item.captions(0).captions(0), kLink);
  ASSERT_TRUE(post.ok()) << post.status();
  EXPECT_EQ(post->share_intent_url(), "");
  EXPECT_EQ(post->app_url(), "instagram://camera");
  EXPECT_EQ(post->copy_text(), std::string(kNorwegianLetters) + "\n\n" + std::string(kLink));
  EXPECT_EQ(post->length(), static_cast<int>(6 + 2 + kLink.size()));
  EXPECT_EQ(post->limit(), 2200);
}

TEST(PostComposer, APreviewWithoutALinkCountsOneOfTheSameLength) {
  const PostComposer posts(kBase);
  for (const auto network : {cv1::NETWORK_X, cv1::NETWORK_INSTAGRAM, cv1::NETWORK_LINKEDIN}) {
    const v1::Item item = ItemWith(network, {"hei p\u00e5 deg"}, {"oslo"});
    const auto shared = posts.Compose(item, network, "hei p\u00e5 deg", kLink);
    const auto preview = posts.Compose(item, network, "hei p\u00e5 deg", "");
    ASSERT_TRUE(shared.ok() && preview.ok());
    EXPECT_EQ(preview->post_text(), shared->post_text());
    EXPECT_EQ(preview->length(), shared->length()) << network;
    EXPECT_EQ(preview->share_intent_url(), "");
  }
  EXPECT_EQ(posts.Compose(ItemWith(cv1::NETWORK_X, {"a"}), cv1::NETWORK_X, "a", "")->copy_text(),
            "");
}

TEST(PostComposer, ACaptionThatCannotFitIsRefusedAtSaveNamingIt) {
  const PostComposer posts(kBase);
  // X: 280 - " " - 23 for the link = 256 for the caption; with "#ab" 5 fewer.
  EXPECT_TRUE(posts.CheckForSave(ItemWith(cv1::NETWORK_X, {std::string(256, 'a')})).ok());
  const absl::Status st =
      posts.CheckForSave(ItemWith(cv1::NETWORK_X, {"ok", std::string(257, 'a')}));
  EXPECT_TRUE(absl::IsInvalidArgument(st)) << st;
  EXPECT_THAT(std::string(st.message()), StartsWith("item.captions[0].captions[1]: "));
  EXPECT_THAT(std::string(st.message()), HasSubstr("281 characters as NETWORK_X counts them"));
  EXPECT_THAT(std::string(st.message()), HasSubstr("at most 280"));
  EXPECT_TRUE(posts.CheckForSave(ItemWith(cv1::NETWORK_X, {std::string(251, 'a')}, {"ab"})).ok());
  EXPECT_FALSE(posts.CheckForSave(ItemWith(cv1::NETWORK_X, {std::string(252, 'a')}, {"ab"})).ok());
  // Emoji weigh 2 on X: 128 thumbs (256) fit, 129 do not.
  EXPECT_TRUE(
      posts.CheckForSave(ItemWith(cv1::NETWORK_X, {Repeat(kThumbsUpMediumSkin, 128)})).ok());
  EXPECT_FALSE(
      posts.CheckForSave(ItemWith(cv1::NETWORK_X, {Repeat(kThumbsUpMediumSkin, 129)})).ok());
  // Instagram: the link and its blank line count (2200 - 2 - 37).
  const size_t room = 2200 - 2 - kLink.size();
  EXPECT_TRUE(posts.CheckForSave(ItemWith(cv1::NETWORK_INSTAGRAM, {Repeat("\u00e5", room)})).ok());
  EXPECT_FALSE(
      posts.CheckForSave(ItemWith(cv1::NETWORK_INSTAGRAM, {Repeat("\u00e5", room + 1)})).ok());
  // LinkedIn: the text alone, hashtags and disclosure included.
  EXPECT_TRUE(
      posts.CheckForSave(ItemWith(cv1::NETWORK_LINKEDIN, {std::string(2990, 'a')}, {}, "#annonse"))
          .ok());
  EXPECT_FALSE(
      posts.CheckForSave(ItemWith(cv1::NETWORK_LINKEDIN, {std::string(2991, 'a')}, {}, "#annonse"))
          .ok());
}

TEST(PostComposer, AStoredItemThatDoesNotFitIsRefusedAtShareNeverCut) {
  const PostComposer posts(kBase);
  const v1::Item item = ItemWith(cv1::NETWORK_X, {"short", std::string(270, 'a')}, {"launch"});
  const absl::Status st = posts.CheckForShare(item, cv1::NETWORK_X);
  EXPECT_TRUE(absl::IsFailedPrecondition(st)) << st;
  EXPECT_THAT(std::string(st.message()), HasSubstr("over the network's limit of 280"));
  const auto post = posts.Compose(item, cv1::NETWORK_X, item.captions(0).captions(1), kLink);
  EXPECT_TRUE(absl::IsFailedPrecondition(post.status())) << post.status();
  // Other networks of the same item are not concerned.
  EXPECT_TRUE(posts.CheckForShare(item, cv1::NETWORK_LINKEDIN).ok());
}

// ------------------------------------------------------------------------------------------
// Property: over generated captions (ASCII words, æøå, combining marks, CJK, emoji, URLs), every
// post counts what its parts weigh, and an item either is refused at save or makes posts within
// each network's limit, all of them shareable.

struct Atom {
  std::string text;
  size_t chars;     // grapheme clusters
  size_t x_weight;  // X's weighted length
};

std::vector<Atom> Atoms() {
  const std::string local = "http://127.0.0.1:8080/l/AbCdEfGh";
  return {
      {"hei", 3, 3},
      {"bl\u00e5b\u00e6r", 6, 6},
      {std::string(kNorwegianLetters), 6, 6},
      {"Cafe\u0301", 4, 4},
      {"\u65E5\u672C", 2, 4},
      {std::string(kThumbsUpMediumSkin), 1, 2},
      {std::string(kFamily), 1, 2},
      {std::string(kNorway), 1, 2},
      {"\u2764\uFE0F", 1, 2},
      {"https://acme.no/nyheter/2026/ny-fabrikk", 39, 23},
      {local, local.size(), local.size()},
      {"ok!", 3, 3},
  };
}

TEST(PostComposerProperty, GeneratedCaptionsFitOrAreRefusedAtSave) {
  std::mt19937 rng(20261203);  // fixed: a failure is reproducible
  const std::vector<Atom> atoms = Atoms();
  const PostComposer posts(kBase);
  const std::vector<std::string> tag_pool = {"launch", "b\u00e6rekraft", "oslo", "ny_fabrikk"};
  int refused = 0;
  int accepted = 0;
  for (int round = 0; round < 400; ++round) {
    const cv1::Network network = kNetworks[round % kNetworks.size()];
    // Around the network's limit, so both outcomes occur (Facebook's is out of an item's reach).
    const size_t limit = PostLimit(network);
    const int max_atoms = static_cast<int>(std::min<size_t>(limit, 4000) / 3);
    v1::Item item;
    item.set_item_id("p");
    auto* nc = item.add_captions();
    nc->set_network(network);
    std::vector<std::pair<size_t, size_t>> expected;  // per variant: chars, X weight
    const int variants = std::uniform_int_distribution<int>(1, 3)(rng);
    for (int v = 0; v < variants; ++v) {
      const int n = std::uniform_int_distribution<int>(1, max_atoms)(rng);
      std::string caption;
      size_t chars = 0;
      size_t weight = 0;
      for (int i = 0; i < n; ++i) {
        const Atom& a = atoms[std::uniform_int_distribution<size_t>(0, atoms.size() - 1)(rng)];
        if (i > 0) {
          caption += ' ';
          ++chars;
          ++weight;
        }
        caption += a.text;
        chars += a.chars;
        weight += a.x_weight;
      }
      nc->add_captions(caption);
      expected.emplace_back(chars, weight);
    }
    size_t extra = 0;  // what hashtags and disclosure add (ASCII and æøå: as many chars as weight)
    std::string tags;
    for (const auto& t : tag_pool) {
      if (std::uniform_int_distribution<int>(0, 1)(rng) == 0) continue;
      item.add_hashtags(t);
      tags += (tags.empty() ? "#" : " #") + t;
    }
    if (!tags.empty()) extra += 2 + GraphemeCount(tags);
    if (std::uniform_int_distribution<int>(0, 1)(rng) == 1) {
      item.set_disclosure_tag("#annonse");
      extra += 2 + 8;
    }
    const size_t link = network == cv1::NETWORK_X           ? 1 + 23
                        : network == cv1::NETWORK_INSTAGRAM ? 2 + kLink.size()
                                                            : 0;
    bool fits = true;
    for (int v = 0; v < variants; ++v) {
      const std::string& caption = nc->captions(v);
      const size_t counted = network == cv1::NETWORK_X ? expected[v].second : expected[v].first;
      ASSERT_EQ(NetworkLength(network, caption), counted) << caption;
      const size_t length = counted + extra + link;
      EXPECT_EQ(posts.PostLength(item, network, caption), length) << caption;
      if (length > limit) fits = false;
    }
    const bool saved = posts.CheckForSave(item).ok();
    EXPECT_EQ(saved, fits);
    if (!saved) {
      ++refused;
      EXPECT_TRUE(absl::IsFailedPrecondition(posts.CheckForShare(item, network)));
      continue;
    }
    ++accepted;
    EXPECT_TRUE(posts.CheckForShare(item, network).ok());
    for (int v = 0; v < variants; ++v) {
      const auto post = posts.Compose(item, network, nc->captions(v), kLink);
      ASSERT_TRUE(post.ok()) << post.status();
      EXPECT_LE(post->length(), post->limit());
      EXPECT_EQ(static_cast<size_t>(post->length()),
                NetworkLength(network, PostedText(network, post->post_text(), kLink)));
    }
  }
  // Both outcomes were exercised.
  EXPECT_GT(refused, 20);
  EXPECT_GT(accepted, 20);
}

}  // namespace
}  // namespace advocacy::content
