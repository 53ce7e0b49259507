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

}  // namespace advocacy
