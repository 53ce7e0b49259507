#pragma once

// String concatenation that accepts std::string_view. Debian's Abseil is built with its own
// absl::string_view, so absl::StrCat does not take std::string_view arguments; this helper
// takes both, plus integers and bools.

#include <concepts>
#include <string>
#include <string_view>
#include <type_traits>

#include "absl/strings/string_view.h"

namespace advocacy {
namespace strings_internal {

inline void Append(std::string& s, std::string_view v) { s.append(v); }
inline void Append(std::string& s, const char* v) { s.append(v); }
inline void Append(std::string& s, const std::string& v) { s.append(v); }
inline void Append(std::string& s, char c) { s.push_back(c); }
#if !defined(ABSL_USES_STD_STRING_VIEW)
inline void Append(std::string& s, absl::string_view v) { s.append(v.data(), v.size()); }
#endif
template <typename T>  // clang-format off
  requires std::integral<T> && (!std::same_as<T, char>)
void Append(std::string& s, T v) {  // clang-format on
  if constexpr (std::same_as<T, bool>) {
    s.append(v ? "true" : "false");
  } else {
    s.append(std::to_string(v));
  }
}

}  // namespace strings_internal

template <typename... Args>
std::string StrCat(const Args&... args) {
  std::string out;
  (strings_internal::Append(out, args), ...);
  return out;
}

template <typename... Args>
void StrAppend(std::string* out, const Args&... args) {
  (strings_internal::Append(*out, args), ...);
}

// `s` with the ASCII letters A-Z lower-cased and every other byte as it is (HTTP header names,
// media types, URL schemes and hosts, protocol keywords; not for text in a person's language).
inline std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// RFC 3986 percent-encoding of one query value or path segment: every byte except the unreserved
// characters (ALPHA, DIGIT, '-', '.', '_', '~') becomes %XX with upper-case hex digits, so a space
// is %20 (never '+') and UTF-8 text is encoded byte by byte. Also right for
// application/x-www-form-urlencoded values, whose decoders accept %20.
inline std::string PercentEncode(std::string_view value) {
  constexpr std::string_view kHex = "0123456789ABCDEF";
  std::string out;
  out.reserve(value.size());
  for (const char ch : value) {
    const auto c = static_cast<unsigned char>(ch);
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

}  // namespace advocacy
