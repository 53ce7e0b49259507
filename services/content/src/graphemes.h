#pragma once

// Extended grapheme clusters of UTF-8 text (Unicode Standard Annex #29, rules GB3 to GB13):
// what a reader sees as one character. A base letter with its combining marks, an emoji with
// its variation selector or skin-tone modifier, an emoji ZWJ sequence, a flag (a pair of
// regional indicators), a Hangul syllable made of jamo and CR LF are one cluster each.
//
// The character properties are a reduced table (graphemes.cc lists what it covers): the
// combining marks of the Latin, Greek, Cyrillic, Hebrew, Arabic, main Indic, Thai, Lao and
// Tibetan blocks, the general combining blocks, variation selectors, emoji modifiers and tags,
// and the Extended_Pictographic ranges of Unicode 15. A mark the table does not know starts a
// cluster of its own, so text is never counted shorter than it is, only, rarely, longer. GB9c
// (Indic conjunct clusters, Unicode 15.1) is not applied, for the same reason.
//
// Bytes that are not valid UTF-8 are one cluster each.

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace advocacy::content {

// One code point decoded from UTF-8; an invalid or truncated sequence is U+FFFD of length 1.
struct CodePoint {
  char32_t value = 0;
  size_t length = 0;  // bytes
};
CodePoint DecodeUtf8(std::string_view text, size_t at);

// The grapheme clusters of `text`, in order, as views into it.
std::vector<std::string_view> Graphemes(std::string_view text);
// How many grapheme clusters `text` has.
size_t GraphemeCount(std::string_view text);

// The properties graphemes.cc knows of a code point, for the weighting in post_text.cc.
bool IsExtendedPictographic(char32_t cp);
bool IsRegionalIndicator(char32_t cp);
// Extend, ZWJ or SpacingMark: a code point that never starts a cluster after a base.
bool ExtendsCluster(char32_t cp);

}  // namespace advocacy::content
