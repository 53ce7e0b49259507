#include "parsing.h"

#include <array>
#include <cctype>
#include <cstdint>
#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "advocacy/common/strings.h"

namespace advocacy::ctl {
namespace {

namespace v1 = consent::v1;

constexpr std::string_view kScopeForms =
    "share:<network>, suggestions:<network>, email-tips, course-tips or leaderboard, where "
    "<network> is linkedin, facebook, instagram or x";

struct NetworkName {
  std::string_view name;
  v1::Network network;
};
constexpr std::array<NetworkName, 4> kNetworks = {{
    {"linkedin", v1::NETWORK_LINKEDIN},
    {"facebook", v1::NETWORK_FACEBOOK},
    {"instagram", v1::NETWORK_INSTAGRAM},
    {"x", v1::NETWORK_X},
}};

struct PurposeName {
  std::string_view name;
  v1::Purpose purpose;
  bool network_bound;
};
constexpr std::array<PurposeName, 5> kPurposes = {{
    {"share", v1::PURPOSE_SHARE_CONTENT, true},
    {"suggestions", v1::PURPOSE_CONTENT_SUGGESTIONS, true},
    {"email-tips", v1::PURPOSE_EMAIL_TIPS, false},
    {"course-tips", v1::PURPOSE_COURSE_TIPS, false},
    {"leaderboard", v1::PURPOSE_LEADERBOARD, false},
}};

// Quotes user input in error messages, with control bytes escaped so a stray escape sequence
// cannot garble the operator's terminal.
std::string Quote(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      constexpr std::string_view kHex = "0123456789abcdef";
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 0xf];
    } else {
      out += c;
    }
  }
  out += "'";
  return out;
}

}  // namespace

absl::StatusOr<v1::ConsentScope> ParseScope(std::string_view text) {
  const std::string lower = AsciiLower(text);
  const std::string_view s = lower;
  const size_t colon = s.find(':');
  const std::string_view purpose_part = s.substr(0, colon);
  const std::optional<std::string_view> network_part =
      colon == std::string_view::npos ? std::nullopt : std::optional(s.substr(colon + 1));

  for (const PurposeName& p : kPurposes) {
    if (p.name != purpose_part) continue;
    v1::ConsentScope scope;
    scope.set_purpose(p.purpose);
    if (!p.network_bound) {
      if (network_part) {
        return absl::InvalidArgumentError(StrCat("scope ", Quote(text), ": ", p.name,
                                                 " is not bound to a network; write just ",
                                                 p.name));
      }
      return scope;
    }
    if (!network_part || network_part->empty()) {
      return absl::InvalidArgumentError(
          StrCat("scope ", Quote(text), ": ", p.name, " needs a network, e.g. ", p.name,
                 ":linkedin (networks: linkedin, facebook, instagram, x)"));
    }
    for (const NetworkName& n : kNetworks) {
      if (n.name == *network_part) {
        scope.set_network(n.network);
        return scope;
      }
    }
    return absl::InvalidArgumentError(StrCat("scope ", Quote(text), ": unknown network ",
                                             Quote(*network_part),
                                             "; use linkedin, facebook, instagram or x"));
  }
  return absl::InvalidArgumentError(
      StrCat("scope ", Quote(text), " is not valid; use ", kScopeForms));
}

std::string FormatScope(const v1::ConsentScope& scope) {
  std::string out;
  for (const PurposeName& p : kPurposes) {
    if (p.purpose == scope.purpose()) out = std::string(p.name);
  }
  if (out.empty()) out = v1::Purpose_Name(scope.purpose());
  if (out.empty()) out = StrCat("purpose(", static_cast<int>(scope.purpose()), ")");
  if (scope.network() == v1::NETWORK_UNSPECIFIED) return out;
  for (const NetworkName& n : kNetworks) {
    if (n.network == scope.network()) return StrCat(out, ":", n.name);
  }
  const std::string network = v1::Network_Name(scope.network());
  return StrCat(
      out, ":",
      network.empty() ? StrCat("network(", static_cast<int>(scope.network()), ")") : network);
}

absl::StatusOr<std::chrono::milliseconds> ParseDuration(std::string_view text) {
  using std::chrono::milliseconds;
  const auto bad = [&](std::string_view why) {
    return absl::InvalidArgumentError(
        StrCat("duration ", Quote(text), " ", why, "; write e.g. 500ms, 5s, 2m or 1h"));
  };
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0) return bad("must start with a number");
  // 12 digits of milliseconds already exceed a year; refusing longer numbers keeps the
  // arithmetic below far from overflow.
  if (digits > 12) return bad("is too long");
  int64_t value = 0;
  for (size_t i = 0; i < digits; ++i) value = value * 10 + (text[i] - '0');

  const std::string_view unit = text.substr(digits);
  int64_t per_unit_ms = 0;
  if (unit == "ms") {
    per_unit_ms = 1;
  } else if (unit.empty() || unit == "s") {
    per_unit_ms = 1000;
  } else if (unit == "m") {
    per_unit_ms = int64_t{60} * 1000;
  } else if (unit == "h") {
    per_unit_ms = int64_t{3600} * 1000;
  } else {
    return bad(StrCat("has unknown unit ", Quote(unit)));
  }
  constexpr int64_t kMaxMs = int64_t{365} * 24 * 3600 * 1000;
  if (value > kMaxMs / per_unit_ms) return bad("is longer than 365 days");
  return milliseconds(value * per_unit_ms);
}

absl::StatusOr<auth::Principal> ParsePrincipal(std::string_view spec) {
  const auto bad = [&](std::string_view why) {
    return absl::InvalidArgumentError(
        StrCat("--as ", Quote(spec), ": ", why,
               "; write employee:<tenant>:<id>, admin:<tenant>:<id> or "
               "service:<tenant>:<name>"));
  };
  const size_t first = spec.find(':');
  if (first == std::string_view::npos) return bad("missing ':'");
  const size_t second = spec.find(':', first + 1);
  if (second == std::string_view::npos) return bad("missing the second ':'");
  const std::string_view role_part = spec.substr(0, first);
  const std::string_view tenant = spec.substr(first + 1, second - first - 1);
  const std::string_view id = spec.substr(second + 1);

  const std::optional<auth::Role> role = auth::ParseRole(AsciiLower(role_part));
  if (!role) return bad(StrCat("unknown role ", Quote(role_part)));
  if (!auth::IsValidId(tenant)) {
    return bad(StrCat("tenant ", Quote(tenant), " must be 1-", auth::kMaxIdLength,
                      " visible ASCII characters"));
  }
  if (tenant == auth::kAnyTenant && *role != auth::Role::kService) {
    return bad("only a service may act in every tenant ('*')");
  }
  if (!auth::IsValidId(id)) {
    return bad(
        StrCat("id ", Quote(id), " must be 1-", auth::kMaxIdLength, " visible ASCII characters"));
  }
  auth::Principal p;
  p.tenant_id = std::string(tenant);
  p.subject = std::string(id);
  p.role = *role;
  return p;
}

absl::StatusOr<v1::ConsentMethod> ParseMethod(std::string_view text) {
  const std::string m = AsciiLower(text);
  if (m.empty()) return v1::CONSENT_METHOD_UNSPECIFIED;
  if (m == "app") return v1::CONSENT_METHOD_APP_TOGGLE;
  if (m == "api") return v1::CONSENT_METHOD_API;
  if (m == "admin") return v1::CONSENT_METHOD_ADMIN_ON_BEHALF;
  if (m == "email") return v1::CONSENT_METHOD_EMAIL_ONE_CLICK;
  return absl::InvalidArgumentError(
      StrCat("method ", Quote(text), " is not valid; use app, api, admin or email"));
}

std::vector<std::string> SplitEmployeeIds(std::string_view text) {
  std::vector<std::string> out;
  std::string current;
  bool in_comment = false;
  const auto flush = [&] {
    if (!current.empty()) out.push_back(std::move(current));
    current.clear();
  };
  for (char c : text) {
    if (in_comment) {
      if (c == '\n') in_comment = false;
      continue;
    }
    if (c == '#' && current.empty()) {
      in_comment = true;
    } else if (c == ',' || std::isspace(static_cast<unsigned char>(c))) {
      flush();
    } else {
      current += c;
    }
  }
  flush();
  return out;
}

bool IsValidUtf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    size_t length = 0;
    uint32_t code_point = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xe0) == 0xc0) {
      length = 2;
      code_point = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      length = 3;
      code_point = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      length = 4;
      code_point = c & 0x07;
    } else {
      return false;
    }
    if (i + length > text.size()) return false;
    for (size_t k = 1; k < length; ++k) {
      const auto cc = static_cast<unsigned char>(text[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      code_point = (code_point << 6) | (cc & 0x3f);
    }
    // The smallest code point each length may encode; anything below is an overlong form.
    constexpr std::array<uint32_t, 5> kMinForLength = {0, 0, 0x80, 0x800, 0x10000};
    if (code_point < kMinForLength.at(length) || code_point > 0x10ffff ||
        (code_point >= 0xd800 && code_point <= 0xdfff)) {
      return false;
    }
    i += length;
  }
  return true;
}

// Recursion depth is bounded by the nesting of the request types, which is at most two.
// NOLINTNEXTLINE(misc-no-recursion)
absl::Status CheckUtf8Fields(const google::protobuf::Message& message) {
  using google::protobuf::FieldDescriptor;
  const auto* descriptor = message.GetDescriptor();
  const auto* reflection = message.GetReflection();
  for (int f = 0; f < descriptor->field_count(); ++f) {
    const FieldDescriptor* field = descriptor->field(f);
    const auto bad = [&] {
      return absl::InvalidArgumentError(
          StrCat(field->name(),
                 " is not valid UTF-8; check the value given on the command line "
                 "(or in the file) and the terminal's encoding"));
    };
    if (field->type() == FieldDescriptor::TYPE_STRING) {
      if (field->is_repeated()) {
        for (int k = 0; k < reflection->FieldSize(message, field); ++k) {
          if (!IsValidUtf8(reflection->GetRepeatedString(message, field, k))) return bad();
        }
      } else if (!IsValidUtf8(reflection->GetString(message, field))) {
        return bad();
      }
    } else if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      if (field->is_repeated()) {
        for (int k = 0; k < reflection->FieldSize(message, field); ++k) {
          if (auto st = CheckUtf8Fields(reflection->GetRepeatedMessage(message, field, k));
              !st.ok()) {
            return st;
          }
        }
      } else if (reflection->HasField(message, field)) {
        if (auto st = CheckUtf8Fields(reflection->GetMessage(message, field)); !st.ok()) {
          return st;
        }
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace advocacy::ctl
