#include <string>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "advocacy/common/redis_client.h"
#include "advocacy/common/status_macros.h"

namespace advocacy::redis {
namespace {

constexpr absl::string_view kScheme = "redis://";
constexpr absl::string_view kTlsScheme = "rediss://";
constexpr int kDefaultPort = 6379;

absl::Status Invalid(absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(
      "invalid Redis URL: ", what,
      "; expected redis[s]://[[user]:password@]host[:port][/db], e.g. redis://127.0.0.1:6379/0"));
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Passwords often hold characters that are special in URLs, so they may arrive percent-encoded.
absl::StatusOr<std::string> PercentDecode(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    if (i + 2 >= text.size()) {
      return Invalid("the user info has a '%' that is not followed by two hex digits");
    }
    const int high = HexValue(text[i + 1]);
    const int low = HexValue(text[i + 2]);
    if (high < 0 || low < 0) {
      return Invalid("the user info has a '%' that is not followed by two hex digits");
    }
    out.push_back(static_cast<char>(high * 16 + low));
    i += 2;
  }
  return out;
}

}  // namespace

absl::StatusOr<Options> ParseUrl(std::string_view url_text) {
  // Debian's Abseil has its own string_view type, distinct from std::string_view.
  const absl::string_view url(url_text.data(), url_text.size());
  if (url.empty()) return Invalid("it is empty");
  const bool tls = absl::StartsWithIgnoreCase(url, kTlsScheme);
  if (!tls && !absl::StartsWithIgnoreCase(url, kScheme)) {
    return Invalid("it must start with redis:// (or rediss:// for TLS)");
  }
  absl::string_view rest = url.substr(tls ? kTlsScheme.size() : kScheme.size());

  Options options;
  options.tls = tls;

  // The password may itself contain '@', so the last '@' ends the user info.
  if (const size_t at = rest.rfind('@'); at != absl::string_view::npos) {
    const absl::string_view user_info = rest.substr(0, at);
    rest = rest.substr(at + 1);
    const size_t colon = user_info.find(':');
    ASSIGN_OR_RETURN(options.username, PercentDecode(user_info.substr(0, colon)));
    if (colon == absl::string_view::npos) {
      if (options.username.empty()) return Invalid("the user name before '@' is empty");
    } else {
      ASSIGN_OR_RETURN(options.password, PercentDecode(user_info.substr(colon + 1)));
      if (options.password.empty()) return Invalid("the password after ':' is empty");
    }
    for (const char c : options.username) {
      if (absl::ascii_isspace(static_cast<unsigned char>(c)) || c == ':' || c == '@') {
        return Invalid("the user name contains a space, ':' or '@'");
      }
    }
  }

  absl::string_view host_port = rest;
  absl::string_view db_text;
  bool has_db = false;
  if (const size_t slash = rest.find('/'); slash != absl::string_view::npos) {
    host_port = rest.substr(0, slash);
    db_text = rest.substr(slash + 1);
    has_db = true;
  }

  absl::string_view host;
  absl::string_view port_text;
  bool has_port = false;
  if (absl::StartsWith(host_port, "[")) {
    const size_t close = host_port.find(']');
    if (close == absl::string_view::npos) return Invalid("the IPv6 host has no closing ']'");
    host = host_port.substr(1, close - 1);
    const absl::string_view after = host_port.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return Invalid("unexpected characters after the IPv6 host");
      port_text = after.substr(1);
      has_port = true;
    }
  } else {
    const size_t colon = host_port.find(':');
    host = host_port.substr(0, colon);
    if (colon != absl::string_view::npos) {
      port_text = host_port.substr(colon + 1);
      has_port = true;
    }
  }
  if (host.empty()) return Invalid("the host is missing");
  for (const char c : host) {
    if (absl::ascii_isspace(static_cast<unsigned char>(c)) || c == '?' || c == '#') {
      return Invalid("the host contains a space, '?' or '#'");
    }
  }
  options.host = std::string(host);

  if (has_port) {
    int port = 0;
    if (port_text.empty() || !absl::SimpleAtoi(port_text, &port) || port < 1 || port > 65535 ||
        port_text[0] == '+' || port_text[0] == '-') {
      // Not echoed: in a URL like redis://host:secret the "port" is really a misplaced password.
      return Invalid("the port after ':' is not a number from 1 to 65535");
    }
    options.port = port;
  } else {
    options.port = kDefaultPort;
  }

  if (has_db && !db_text.empty()) {
    int db = 0;
    if (!absl::SimpleAtoi(db_text, &db) || db < 0 || db_text[0] == '+' || db_text[0] == '-') {
      return Invalid(absl::StrCat("the database '", db_text,
                                  "' after '/' is not a non-negative integer (query strings and "
                                  "paths are not supported)"));
    }
    options.db = db;
  }
  return options;
}

}  // namespace advocacy::redis
