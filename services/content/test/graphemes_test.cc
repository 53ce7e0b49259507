#include "graphemes.h"

#include <string>
#include <string_view>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace advocacy::content {
namespace {

using ::testing::ElementsAre;

// Code points spelled out, so that what each test counts is visible.
constexpr std::string_view kThumbsUpMediumSkin = "\U0001F44D\U0001F3FD";  // 👍🏽
constexpr std::string_view kFamily =
    "\U0001F468\u200D\U0001F469\u200D\U0001F467";             // 👨‍👩‍👧
constexpr std::string_view kNorway = "\U0001F1F3\U0001F1F4";  // 🇳🇴
constexpr std::string_view kSweden = "\U0001F1F8\U0001F1EA";  // 🇸🇪
constexpr std::string_view kRedHeart = "\u2764\uFE0F";        // ❤️
constexpr std::string_view kKeycapOne = "1\uFE0F\u20E3";      // 1️⃣
constexpr std::string_view kTechnologist =
    "\U0001F469\U0001F3FD\u200D\U0001F4BB";  // 👩🏽‍💻
constexpr std::string_view kScotland =
    "\U0001F3F4\U000E0067\U000E0062\U000E0073\U000E0063\U000E0074"
    "\U000E007F";  // 🏴󠁧󠁢󠁳󠁣󠁴󠁿

TEST(Graphemes, AsciiAndNorwegianLettersAreOneEach) {
  EXPECT_EQ(GraphemeCount(""), 0u);
  EXPECT_EQ(GraphemeCount("abc"), 3u);
  EXPECT_EQ(GraphemeCount("\u00e6\u00f8\u00e5\u00c6\u00d8\u00c5"), 6u);  // æøåÆØÅ
  EXPECT_THAT(Graphemes("bl\u00e5b\u00e6r"),
              ElementsAre("b", "l", "\u00e5", "b", "\u00e6", "r"));  // blåbær
}

TEST(Graphemes, CombiningMarksStayWithTheirBase) {
  // å written as a + combining ring above, é as e + combining acute, and a stack of two marks.
  EXPECT_EQ(GraphemeCount("a\u030A"), 1u);
  EXPECT_THAT(Graphemes("Cafe\u0301!"), ElementsAre("C", "a", "f", "e\u0301", "!"));
  EXPECT_EQ(GraphemeCount("e\u0323\u0302"), 1u);
  // Hebrew points, Arabic harakat, a Devanagari virama and vowel sign, a Thai SpacingMark.
  EXPECT_EQ(GraphemeCount("\u05E9\u05C1\u05B8"), 1u);
  EXPECT_EQ(GraphemeCount("\u0643\u064E\u062A\u064E\u0628\u064E"), 3u);
  EXPECT_EQ(GraphemeCount("\u0928\u092E\u0938\u094D\u0924\u0947"), 4u);  // नमस्ते without GB9c
  EXPECT_EQ(GraphemeCount("\u0E01\u0E33"), 1u);
  // A mark with no base before it is a cluster of its own.
  EXPECT_EQ(GraphemeCount("\u0301a"), 2u);
}

TEST(Graphemes, EmojiWithModifiersAndZwjSequencesAreOne) {
  EXPECT_EQ(GraphemeCount(kThumbsUpMediumSkin), 1u);
  EXPECT_EQ(GraphemeCount(kFamily), 1u);
  EXPECT_EQ(GraphemeCount(kTechnologist), 1u);
  EXPECT_EQ(GraphemeCount(kRedHeart), 1u);
  EXPECT_EQ(GraphemeCount(kKeycapOne), 1u);
  EXPECT_EQ(GraphemeCount(kScotland), 1u);
  const std::string row = std::string(kFamily) + std::string(kThumbsUpMediumSkin) + "ok";
  EXPECT_THAT(Graphemes(row), ElementsAre(kFamily, kThumbsUpMediumSkin, "o", "k"));
  // A ZWJ joins only pictographs: after a letter it is an ordinary extending character.
  EXPECT_THAT(Graphemes("a\u200Db"), ElementsAre("a\u200D", "b"));
}

TEST(Graphemes, RegionalIndicatorsPairIntoFlags) {
  EXPECT_EQ(GraphemeCount(kNorway), 1u);
  const std::string two = std::string(kNorway) + std::string(kSweden);
  EXPECT_THAT(Graphemes(two), ElementsAre(kNorway, kSweden));
  // An odd indicator left over stands alone.
  EXPECT_EQ(GraphemeCount(std::string(kNorway) + "\U0001F1F8"), 2u);
}

TEST(Graphemes, LineBreaksHangulAndControls) {
  EXPECT_EQ(GraphemeCount("\r\n"), 1u);
  EXPECT_EQ(GraphemeCount("\n\r"), 2u);
  EXPECT_EQ(GraphemeCount("\n\n"), 2u);
  // Controls never take a following mark.
  EXPECT_EQ(GraphemeCount("\t\u0301"), 2u);
  // Conjoining jamo make one syllable; precomposed syllables are one each.
  EXPECT_EQ(GraphemeCount("\u1100\u1161\u11A8"), 1u);
  EXPECT_EQ(GraphemeCount("\uD55C\uAD6D"), 2u);  // 한국
  // A trailing consonant joins an LV syllable (하 + ᆨ) and, by GB8, an LVT one (한 + ᆨ) too.
  EXPECT_EQ(GraphemeCount("\uD558\u11A8"), 1u);
  EXPECT_EQ(GraphemeCount("\uD55C\u11A8"), 1u);
}

TEST(Graphemes, InvalidUtf8IsOneClusterPerByte) {
  EXPECT_EQ(GraphemeCount("\xff\xfe"), 2u);
  EXPECT_EQ(GraphemeCount("a\xe2\x82"), 3u);     // truncated sequence
  EXPECT_EQ(GraphemeCount("\xc0\xaf"), 2u);      // overlong '/'
  EXPECT_EQ(GraphemeCount("\xed\xa0\x80"), 3u);  // a surrogate
  EXPECT_EQ(DecodeUtf8("\xf0\x9f\x91\x8d", 0).value, char32_t{0x1F44D});
  EXPECT_EQ(DecodeUtf8("\xf0\x9f\x91\x8d", 0).length, 4u);
}

}  // namespace
}  // namespace advocacy::content
