#include "graphemes.h"

#include <algorithm>
#include <iterator>
#include <span>

namespace advocacy::content {
namespace {

struct Range {
  char32_t lo;
  char32_t hi;
};

constexpr bool Sorted(std::span<const Range> ranges) {
  for (size_t i = 0; i < ranges.size(); ++i) {
    if (ranges[i].lo > ranges[i].hi) return false;
    if (i > 0 && ranges[i - 1].hi >= ranges[i].lo) return false;
  }
  return true;
}

bool In(std::span<const Range> ranges, char32_t cp) {
  const auto it = std::upper_bound(ranges.begin(), ranges.end(), cp,
                                   [](char32_t v, const Range& r) { return v < r.lo; });
  return it != ranges.begin() && cp <= std::prev(it)->hi;
}

// Grapheme_Cluster_Break=Control, without CR and LF (GraphemeBreakProperty.txt, Unicode 15).
constexpr Range kControlRanges[] = {
    {0x0000, 0x0009},   {0x000B, 0x000C},   {0x000E, 0x001F},   {0x007F, 0x009F},
    {0x00AD, 0x00AD},   {0x061C, 0x061C},   {0x180E, 0x180E},   {0x200B, 0x200B},
    {0x200E, 0x200F},   {0x2028, 0x202E},   {0x2060, 0x206F},   {0xFEFF, 0xFEFF},
    {0xFFF0, 0xFFFB},   {0x13430, 0x1343F}, {0x1BCA0, 0x1BCA3}, {0x1D173, 0x1D17A},
    {0xE0000, 0xE001F}, {0xE0080, 0xE00FF}, {0xE01F0, 0xE0FFF}};
static_assert(Sorted(kControlRanges));

// Grapheme_Cluster_Break=Prepend (Arabic and Syriac number signs, a few Brahmi-derived ones).
constexpr Range kPrependRanges[] = {{0x0600, 0x0605},   {0x06DD, 0x06DD},   {0x070F, 0x070F},
                                    {0x0890, 0x0891},   {0x08E2, 0x08E2},   {0x0D4E, 0x0D4E},
                                    {0x110BD, 0x110BD}, {0x110CD, 0x110CD}, {0x111C2, 0x111C3}};
static_assert(Sorted(kPrependRanges));

// Grapheme_Cluster_Break=Extend, reduced: combining diacritics (general, Cyrillic, Hebrew,
// Arabic, Syriac, Thaana, NKo), the marks of Devanagari, Bengali, Gurmukhi, Gujarati, Tamil,
// Telugu, Malayalam, Thai, Lao, Tibetan and Myanmar, the combining blocks (1AB0, 1DC0, 20D0,
// FE20), ZWNJ, ideographic and kana marks, variation selectors, emoji modifiers, tags.
constexpr Range kExtendRanges[] = {
    {0x0300, 0x036F},   {0x0483, 0x0489},   {0x0591, 0x05BD},   {0x05BF, 0x05BF}, {0x05C1, 0x05C2},
    {0x05C4, 0x05C5},   {0x05C7, 0x05C7},   {0x0610, 0x061A},   {0x064B, 0x065F}, {0x0670, 0x0670},
    {0x06D6, 0x06DC},   {0x06DF, 0x06E4},   {0x06E7, 0x06E8},   {0x06EA, 0x06ED}, {0x0711, 0x0711},
    {0x0730, 0x074A},   {0x07A6, 0x07B0},   {0x07EB, 0x07F3},   {0x0898, 0x089F}, {0x08CA, 0x08E1},
    {0x08E3, 0x0902},   {0x093A, 0x093A},   {0x093C, 0x093C},   {0x0941, 0x0948}, {0x094D, 0x094D},
    {0x0951, 0x0957},   {0x0962, 0x0963},   {0x0981, 0x0981},   {0x09BC, 0x09BC}, {0x09BE, 0x09BE},
    {0x09C1, 0x09C4},   {0x09CD, 0x09CD},   {0x09D7, 0x09D7},   {0x09E2, 0x09E3}, {0x0A01, 0x0A02},
    {0x0A3C, 0x0A3C},   {0x0A41, 0x0A42},   {0x0A47, 0x0A48},   {0x0A4B, 0x0A4D}, {0x0A70, 0x0A71},
    {0x0A81, 0x0A82},   {0x0ABC, 0x0ABC},   {0x0AC1, 0x0AC5},   {0x0AC7, 0x0AC8}, {0x0ACD, 0x0ACD},
    {0x0B82, 0x0B82},   {0x0BBE, 0x0BBE},   {0x0BC0, 0x0BC0},   {0x0BCD, 0x0BCD}, {0x0BD7, 0x0BD7},
    {0x0C00, 0x0C00},   {0x0C04, 0x0C04},   {0x0C3C, 0x0C3C},   {0x0C3E, 0x0C40}, {0x0C46, 0x0C48},
    {0x0C4A, 0x0C4D},   {0x0C55, 0x0C56},   {0x0D00, 0x0D01},   {0x0D3B, 0x0D3C}, {0x0D3E, 0x0D3E},
    {0x0D41, 0x0D44},   {0x0D4D, 0x0D4D},   {0x0D57, 0x0D57},   {0x0E31, 0x0E31}, {0x0E34, 0x0E3A},
    {0x0E47, 0x0E4E},   {0x0EB1, 0x0EB1},   {0x0EB4, 0x0EBC},   {0x0EC8, 0x0ECE}, {0x0F18, 0x0F19},
    {0x0F35, 0x0F35},   {0x0F37, 0x0F37},   {0x0F39, 0x0F39},   {0x0F71, 0x0F7E}, {0x0F80, 0x0F84},
    {0x0F86, 0x0F87},   {0x0F8D, 0x0F97},   {0x0F99, 0x0FBC},   {0x102D, 0x1030}, {0x1032, 0x1037},
    {0x1039, 0x103A},   {0x1AB0, 0x1AFF},   {0x1DC0, 0x1DFF},   {0x200C, 0x200C}, {0x20D0, 0x20F0},
    {0x302A, 0x302F},   {0x3099, 0x309A},   {0xFE00, 0xFE0F},   {0xFE20, 0xFE2F}, {0xFF9E, 0xFF9F},
    {0x1F3FB, 0x1F3FF}, {0xE0020, 0xE007F}, {0xE0100, 0xE01EF},
};
static_assert(Sorted(kExtendRanges));

// Grapheme_Cluster_Break=SpacingMark of the scripts above (vowel signs written beside the base).
constexpr Range kSpacingMarkRanges[] = {
    {0x0903, 0x0903}, {0x093B, 0x093B}, {0x093E, 0x0940}, {0x0949, 0x094C}, {0x094E, 0x094F},
    {0x0982, 0x0983}, {0x09BF, 0x09C0}, {0x09C7, 0x09C8}, {0x09CB, 0x09CC}, {0x0A03, 0x0A03},
    {0x0A3E, 0x0A40}, {0x0A83, 0x0A83}, {0x0ABE, 0x0AC0}, {0x0AC9, 0x0AC9}, {0x0ACB, 0x0ACC},
    {0x0BBF, 0x0BBF}, {0x0BC1, 0x0BC2}, {0x0BC6, 0x0BC8}, {0x0BCA, 0x0BCC}, {0x0C01, 0x0C03},
    {0x0C41, 0x0C44}, {0x0D02, 0x0D03}, {0x0D3F, 0x0D40}, {0x0D46, 0x0D48}, {0x0D4A, 0x0D4C},
    {0x0E33, 0x0E33}, {0x0EB3, 0x0EB3}, {0x0F3E, 0x0F3F}, {0x0F7F, 0x0F7F}, {0x1031, 0x1031},
    {0x103B, 0x103C}, {0x1056, 0x1057}, {0x1062, 0x1064}, {0x1067, 0x106D}, {0x1083, 0x1084},
    {0x1087, 0x108C},
};
static_assert(Sorted(kSpacingMarkRanges));

// Extended_Pictographic (emoji-data.txt, Unicode 15): the code points emoji are made of.
constexpr Range kPictographicRanges[] = {
    {0x00A9, 0x00A9},   {0x00AE, 0x00AE},   {0x203C, 0x203C},   {0x2049, 0x2049},
    {0x2122, 0x2122},   {0x2139, 0x2139},   {0x2194, 0x2199},   {0x21A9, 0x21AA},
    {0x231A, 0x231B},   {0x2328, 0x2328},   {0x2388, 0x2388},   {0x23CF, 0x23CF},
    {0x23E9, 0x23F3},   {0x23F8, 0x23FA},   {0x24C2, 0x24C2},   {0x25AA, 0x25AB},
    {0x25B6, 0x25B6},   {0x25C0, 0x25C0},   {0x25FB, 0x25FE},   {0x2600, 0x2605},
    {0x2607, 0x2612},   {0x2614, 0x2685},   {0x2690, 0x2705},   {0x2708, 0x2712},
    {0x2714, 0x2714},   {0x2716, 0x2716},   {0x271D, 0x271D},   {0x2721, 0x2721},
    {0x2728, 0x2728},   {0x2733, 0x2734},   {0x2744, 0x2744},   {0x2747, 0x2747},
    {0x274C, 0x274C},   {0x274E, 0x274E},   {0x2753, 0x2755},   {0x2757, 0x2757},
    {0x2763, 0x2767},   {0x2795, 0x2797},   {0x27A1, 0x27A1},   {0x27B0, 0x27B0},
    {0x27BF, 0x27BF},   {0x2934, 0x2935},   {0x2B05, 0x2B07},   {0x2B1B, 0x2B1C},
    {0x2B50, 0x2B50},   {0x2B55, 0x2B55},   {0x3030, 0x3030},   {0x303D, 0x303D},
    {0x3297, 0x3297},   {0x3299, 0x3299},   {0x1F000, 0x1F0FF}, {0x1F10D, 0x1F10F},
    {0x1F12F, 0x1F12F}, {0x1F16C, 0x1F171}, {0x1F17E, 0x1F17F}, {0x1F18E, 0x1F18E},
    {0x1F191, 0x1F19A}, {0x1F1AD, 0x1F1E5}, {0x1F201, 0x1F20F}, {0x1F21A, 0x1F21A},
    {0x1F22F, 0x1F22F}, {0x1F232, 0x1F23A}, {0x1F23C, 0x1F23F}, {0x1F249, 0x1F3FA},
    {0x1F400, 0x1F53D}, {0x1F546, 0x1F64F}, {0x1F680, 0x1F6FF}, {0x1F774, 0x1F77F},
    {0x1F7D5, 0x1F7FF}, {0x1F80C, 0x1F80F}, {0x1F848, 0x1F84F}, {0x1F85A, 0x1F85F},
    {0x1F888, 0x1F88F}, {0x1F8AE, 0x1F8FF}, {0x1F90C, 0x1F93A}, {0x1F93C, 0x1F945},
    {0x1F947, 0x1FAFF}, {0x1FC00, 0x1FFFD},
};
static_assert(Sorted(kPictographicRanges));

enum class Gcb {
  kOther,
  kCr,
  kLf,
  kControl,
  kExtend,
  kZwj,
  kRegionalIndicator,
  kPrepend,
  kSpacingMark,
  kL,
  kV,
  kT,
  kLv,
  kLvt,
};

constexpr char32_t kZwjCodePoint = 0x200D;
constexpr char32_t kHangulSyllableFirst = 0xAC00;
constexpr char32_t kHangulSyllableLast = 0xD7A3;
constexpr char32_t kHangulTCount = 28;

Gcb Classify(char32_t cp) {
  if (cp == '\r') return Gcb::kCr;
  if (cp == '\n') return Gcb::kLf;
  if (cp == kZwjCodePoint) return Gcb::kZwj;
  if (IsRegionalIndicator(cp)) return Gcb::kRegionalIndicator;
  if ((cp >= 0x1100 && cp <= 0x115F) || (cp >= 0xA960 && cp <= 0xA97C)) return Gcb::kL;
  if ((cp >= 0x1160 && cp <= 0x11A7) || (cp >= 0xD7B0 && cp <= 0xD7C6)) return Gcb::kV;
  if ((cp >= 0x11A8 && cp <= 0x11FF) || (cp >= 0xD7CB && cp <= 0xD7FB)) return Gcb::kT;
  if (cp >= kHangulSyllableFirst && cp <= kHangulSyllableLast) {
    return (cp - kHangulSyllableFirst) % kHangulTCount == 0 ? Gcb::kLv : Gcb::kLvt;
  }
  if (In(kExtendRanges, cp)) return Gcb::kExtend;
  if (In(kSpacingMarkRanges, cp)) return Gcb::kSpacingMark;
  if (In(kControlRanges, cp)) return Gcb::kControl;
  if (In(kPrependRanges, cp)) return Gcb::kPrepend;
  return Gcb::kOther;
}

// Where a run of emoji stands for GB11: ExtPict Extend* ZWJ × ExtPict.
enum class EmojiRun { kNone, kPictographic, kPictographicZwj };

// The state of the segmentation between two code points.
struct BreakState {
  Gcb prev = Gcb::kOther;
  EmojiRun emoji = EmojiRun::kNone;
  int regional_run = 0;  // regional indicators in a row, ending at prev
};

bool IsControlLike(Gcb g) { return g == Gcb::kControl || g == Gcb::kCr || g == Gcb::kLf; }

// UAX #29 GB3 to GB999 between the previous code point (in `s`) and `cp`.
bool BreakBefore(const BreakState& s, Gcb cur, char32_t cp) {
  const Gcb prev = s.prev;
  if (prev == Gcb::kCr && cur == Gcb::kLf) return false;       // GB3
  if (IsControlLike(prev) || IsControlLike(cur)) return true;  // GB4, GB5
  if (prev == Gcb::kL &&
      (cur == Gcb::kL || cur == Gcb::kV || cur == Gcb::kLv || cur == Gcb::kLvt)) {
    return false;  // GB6
  }
  if ((prev == Gcb::kLv || prev == Gcb::kV) && (cur == Gcb::kV || cur == Gcb::kT)) {
    return false;  // GB7
  }
  if ((prev == Gcb::kLvt || prev == Gcb::kT) && cur == Gcb::kT) return false;  // GB8
  if (cur == Gcb::kExtend || cur == Gcb::kZwj || cur == Gcb::kSpacingMark) {
    return false;  // GB9, GB9a
  }
  if (prev == Gcb::kPrepend) return false;                                                // GB9b
  if (s.emoji == EmojiRun::kPictographicZwj && IsExtendedPictographic(cp)) return false;  // GB11
  if (prev == Gcb::kRegionalIndicator && cur == Gcb::kRegionalIndicator &&
      s.regional_run % 2 == 1) {
    return false;  // GB12, GB13
  }
  return true;  // GB999
}

void Advance(BreakState& s, Gcb cur, char32_t cp) {
  if (IsExtendedPictographic(cp)) {
    s.emoji = EmojiRun::kPictographic;
  } else if (s.emoji == EmojiRun::kPictographic && cur == Gcb::kExtend) {
    // stays: ExtPict Extend*
  } else if (s.emoji == EmojiRun::kPictographic && cur == Gcb::kZwj) {
    s.emoji = EmojiRun::kPictographicZwj;
  } else {
    s.emoji = EmojiRun::kNone;
  }
  s.regional_run = cur == Gcb::kRegionalIndicator ? s.regional_run + 1 : 0;
  s.prev = cur;
}

// Calls `emit(begin, end)` for each cluster of `text`, as byte offsets.
template <typename Emit>
void Segment(std::string_view text, Emit emit) {
  size_t start = 0;
  size_t at = 0;
  BreakState state;
  while (at < text.size()) {
    const CodePoint c = DecodeUtf8(text, at);
    const Gcb cur = Classify(c.value);
    if (at > start && BreakBefore(state, cur, c.value)) {
      emit(start, at);
      start = at;
    }
    Advance(state, cur, c.value);
    at += c.length;
  }
  if (at > start) emit(start, at);
}

}  // namespace

CodePoint DecodeUtf8(std::string_view text, size_t at) {
  constexpr CodePoint kInvalid = {.value = 0xFFFD, .length = 1};
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(text[at + i]); };
  const unsigned char b0 = byte(0);
  if (b0 < 0x80) return {.value = b0, .length = 1};
  size_t length = 0;
  char32_t value = 0;
  char32_t min = 0;
  if ((b0 & 0xE0) == 0xC0) {
    length = 2;
    value = b0 & 0x1F;
    min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    length = 3;
    value = b0 & 0x0F;
    min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    length = 4;
    value = b0 & 0x07;
    min = 0x10000;
  } else {
    return kInvalid;
  }
  if (at + length > text.size()) return kInvalid;
  for (size_t i = 1; i < length; ++i) {
    if ((byte(i) & 0xC0) != 0x80) return kInvalid;
    value = (value << 6) | (byte(i) & 0x3F);
  }
  // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
  if (value < min || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) return kInvalid;
  return {.value = value, .length = length};
}

std::vector<std::string_view> Graphemes(std::string_view text) {
  std::vector<std::string_view> out;
  Segment(text, [&](size_t begin, size_t end) { out.push_back(text.substr(begin, end - begin)); });
  return out;
}

size_t GraphemeCount(std::string_view text) {
  size_t n = 0;
  Segment(text, [&](size_t, size_t) { ++n; });
  return n;
}

bool IsExtendedPictographic(char32_t cp) { return In(kPictographicRanges, cp); }

bool IsRegionalIndicator(char32_t cp) { return cp >= 0x1F1E6 && cp <= 0x1F1FF; }

bool ExtendsCluster(char32_t cp) {
  const Gcb g = Classify(cp);
  return g == Gcb::kExtend || g == Gcb::kZwj || g == Gcb::kSpacingMark;
}

}  // namespace advocacy::content
