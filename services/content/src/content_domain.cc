#include "content_domain.h"

#include <google/protobuf/util/time_util.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <ctime>
#include <set>

#include "advocacy/common/ids.h"
#include "advocacy/common/status_macros.h"
#include "advocacy/common/strings.h"
#include "post_text.h"

namespace advocacy::content {
namespace {

constexpr std::string_view kBase62 =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

bool IsBase62(char c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

absl::Status Invalid(std::string_view field, std::string_view what) {
  return absl::InvalidArgumentError(advocacy::StrCat(field, ": ", what));
}

bool HasControlCharacters(std::string_view text) {
  return std::any_of(text.begin(), text.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7F; });
}

// Each element of `values` 1 to `max_bytes` bytes without control characters; at most `max`.
absl::Status CheckStrings(const google::protobuf::RepeatedPtrField<std::string>& values,
                          std::string_view field, int max, size_t max_bytes) {
  if (values.size() > max) {
    return Invalid(field, advocacy::StrCat("at most ", max, " (has ", values.size(), ")"));
  }
  for (int i = 0; i < values.size(); ++i) {
    const std::string& v = values.Get(i);
    if (v.empty() || v.size() > max_bytes || HasControlCharacters(v)) {
      return Invalid(
          advocacy::StrCat(field, "[", i, "]"),
          advocacy::StrCat("must be 1 to ", max_bytes, " bytes without control characters"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckTimestamp(const google::protobuf::Timestamp& ts, std::string_view field) {
  using google::protobuf::util::TimeUtil;
  if (ts.seconds() < TimeUtil::kTimestampMinSeconds ||
      ts.seconds() > TimeUtil::kTimestampMaxSeconds || ts.nanos() < 0 || ts.nanos() > 999999999) {
    return Invalid(field, "is not a valid timestamp (years 0001 to 9999)");
  }
  return absl::OkStatus();
}

// The captions of every network: each network once, 1 to kMaxCaptionVariants variants, each
// within the network's limit as the network counts (X weighted, the others in characters).
absl::Status CheckCaptions(const v1::Item& item) {
  if (item.captions().empty()) {
    return Invalid("item.captions", "at least one network with captions is required");
  }
  std::set<int> seen;
  for (int i = 0; i < item.captions_size(); ++i) {
    const auto& nc = item.captions(i);
    const std::string path = advocacy::StrCat("item.captions[", i, "]");
    if (nc.network() == cv1::NETWORK_UNSPECIFIED || !cv1::Network_IsValid(nc.network())) {
      return Invalid(advocacy::StrCat(path, ".network"), "must be a known network");
    }
    if (!seen.insert(nc.network()).second) {
      return Invalid(advocacy::StrCat(path, ".network"), "appears twice");
    }
    if (nc.captions().empty() || nc.captions_size() > kMaxCaptionVariants) {
      return Invalid(advocacy::StrCat(path, ".captions"),
                     advocacy::StrCat("must hold 1 to ", kMaxCaptionVariants, " variants"));
    }
    const size_t limit = PostLimit(nc.network());
    for (int j = 0; j < nc.captions_size(); ++j) {
      const size_t len = NetworkLength(nc.network(), nc.captions(j));
      if (len == 0 || len > limit) {
        return Invalid(advocacy::StrCat(path, ".captions[", j, "]"),
                       advocacy::StrCat("must be 1 to ", limit, " characters for ",
                                        cv1::Network_Name(nc.network()), " (has ", len, ")"));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

size_t Utf8Length(std::string_view text) {
  size_t n = 0;
  for (unsigned char c : text) {
    if ((c & 0xC0) != 0x80) ++n;
  }
  return n;
}

absl::Status ValidateUrl(std::string_view url, std::string_view field) {
  if (url.empty()) return Invalid(field, "is required");
  if (url.size() > kMaxUrlBytes) {
    return Invalid(field, advocacy::StrCat("is longer than ", kMaxUrlBytes, " bytes"));
  }
  std::string_view rest;
  if (url.rfind("https://", 0) == 0) {
    rest = url.substr(8);
  } else if (url.rfind("http://", 0) == 0) {
    rest = url.substr(7);
  } else {
    return Invalid(field, "must be an http:// or https:// URL");
  }
  for (unsigned char c : url) {
    if (c <= 0x20 || c == 0x7F || c == '"' || c == '<' || c == '>' || c == '\\') {
      return Invalid(field, "must not contain spaces, quotes or control characters");
    }
  }
  const size_t end = rest.find_first_of("/?#");
  const std::string_view host = rest.substr(0, end);
  if (host.empty() || host.find('@') != std::string_view::npos) {
    return Invalid(field, "must name a host (and no user info)");
  }
  return absl::OkStatus();
}

bool IsLanguageTag(std::string_view tag) {
  if (tag.empty() || tag.size() > kMaxLanguageBytes) return false;
  if (!std::isalpha(static_cast<unsigned char>(tag[0]))) return false;
  return std::all_of(tag.begin(), tag.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-';
  });
}

absl::Status ValidateItem(const v1::Item& item, std::string_view required_disclosure) {
  // First, before any field is looked at: the size bounds the work the checks below do.
  if (const size_t bytes = item.ByteSizeLong(); bytes > kMaxItemBytes) {
    return Invalid("item",
                   advocacy::StrCat("is ", bytes, " bytes serialized; at most ", kMaxItemBytes,
                                    " (shorten captions or use fewer "
                                    "variants)"));
  }
  if (!item.item_id().empty()) {
    RETURN_IF_ERROR(ids::ValidateObjectId("item.item_id", item.item_id()));
  }
  if (item.title().empty() || Utf8Length(item.title()) > kMaxTitleChars ||
      HasControlCharacters(item.title())) {
    return Invalid("item.title", advocacy::StrCat("must be 1 to ", kMaxTitleChars,
                                                  " characters without control characters"));
  }
  RETURN_IF_ERROR(ValidateUrl(item.url(), "item.url"));
  if (item.image_ref().size() > kMaxImageRefBytes || HasControlCharacters(item.image_ref())) {
    return Invalid("item.image_ref", advocacy::StrCat("must be at most ", kMaxImageRefBytes,
                                                      " bytes without control characters"));
  }
  RETURN_IF_ERROR(CheckCaptions(item));
  RETURN_IF_ERROR(CheckStrings(item.hashtags(), "item.hashtags", kMaxHashtags, kMaxHashtagBytes));
  for (int i = 0; i < item.hashtags_size(); ++i) {
    if (item.hashtags(i).find_first_of(" #") != std::string::npos) {
      return Invalid(advocacy::StrCat("item.hashtags[", i, "]"), "must not contain spaces or '#'");
    }
  }
  if (item.disclosure_tag().size() > kMaxDisclosureTagBytes ||
      HasControlCharacters(item.disclosure_tag())) {
    return Invalid("item.disclosure_tag",
                   advocacy::StrCat("must be at most ", kMaxDisclosureTagBytes, " bytes"));
  }
  if (!required_disclosure.empty() && item.disclosure_tag() != required_disclosure) {
    return Invalid("item.disclosure_tag",
                   advocacy::StrCat("the tenant requires '", required_disclosure, "'"));
  }
  if (!item.language().empty() && !IsLanguageTag(item.language())) {
    return Invalid("item.language", "must be a language tag such as 'en' or 'nb-NO'");
  }
  RETURN_IF_ERROR(CheckStrings(item.topics(), "item.topics", kMaxTopics, kMaxTopicBytes));
  if (item.target_groups_size() > kMaxTargetGroups) {
    return Invalid("item.target_groups", advocacy::StrCat("at most ", kMaxTargetGroups));
  }
  for (int i = 0; i < item.target_groups_size(); ++i) {
    RETURN_IF_ERROR(ids::ValidateObjectId(advocacy::StrCat("item.target_groups[", i, "]"),
                                          item.target_groups(i)));
  }
  if (item.has_publish_at()) RETURN_IF_ERROR(CheckTimestamp(item.publish_at(), "item.publish_at"));
  if (item.has_expires_at()) RETURN_IF_ERROR(CheckTimestamp(item.expires_at(), "item.expires_at"));
  if (item.has_expires_at() && item.has_publish_at() &&
      ToMs(item.expires_at()) <= ToMs(item.publish_at())) {
    return Invalid("item.expires_at", "must be after publish_at");
  }
  return absl::OkStatus();
}

std::string PickCaption(const v1::NetworkCaptions& captions, uint64_t counter) {
  if (captions.captions().empty()) return "";
  return captions.captions(static_cast<int>(counter % captions.captions_size()));
}

const v1::NetworkCaptions* CaptionsFor(const v1::Item& item, cv1::Network network) {
  for (const auto& nc : item.captions()) {
    if (nc.network() == network) return &nc;
  }
  return nullptr;
}

std::string NewLinkCode() {
  std::string code;
  code.reserve(kLinkCodeLength);
  while (code.size() < kLinkCodeLength) {
    std::array<unsigned char, 32> bytes{};
    if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
      // No entropy is a broken invariant of the host, not bad input.
      std::abort();
    }
    for (unsigned char b : bytes) {
      if (b < 248 && code.size() < kLinkCodeLength) code.push_back(kBase62[b % 62]);  // no bias
    }
  }
  return code;
}

bool IsValidLinkCode(std::string_view code) {
  return code.size() == kLinkCodeLength && std::all_of(code.begin(), code.end(), IsBase62);
}

std::string_view NetworkSlug(cv1::Network network) {
  switch (network) {
    case cv1::NETWORK_LINKEDIN:
      return "linkedin";
    case cv1::NETWORK_FACEBOOK:
      return "facebook";
    case cv1::NETWORK_INSTAGRAM:
      return "instagram";
    case cv1::NETWORK_X:
      return "x";
    default:
      return "other";
  }
}

std::string WithUtm(std::string_view url, cv1::Network network, std::string_view item_id) {
  const size_t hash = url.find('#');
  const std::string_view base = url.substr(0, hash);
  const std::string_view fragment = hash == std::string_view::npos ? "" : url.substr(hash);
  const char sep = base.find('?') == std::string_view::npos ? '?' : '&';
  return advocacy::StrCat(base, sep, "utm_source=", NetworkSlug(network),
                          "&utm_medium=employee_advocacy&utm_campaign=", item_id, fragment);
}

std::string DayOf(int64_t unix_ms) {
  const auto t = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y%m%d", &tm);
  return buf;
}

bool InQuietHours(int64_t unix_ms, int start_hour, int end_hour) {
  if (start_hour == end_hour) return false;
  const int hour = static_cast<int>((unix_ms / 3600000) % 24);
  if (start_hour < end_hour) return hour >= start_hour && hour < end_hour;
  return hour >= start_hour || hour < end_hour;
}

int EffectiveCap(int tenant_cap, int employee_cap) {
  const int tenant = tenant_cap > 0 ? tenant_cap : kDefaultDailyCap;
  return employee_cap > 0 ? std::min(tenant, employee_cap) : tenant;
}

std::string SharedKey(std::string_view item_id, cv1::Network network) {
  return advocacy::StrCat(item_id, "|", static_cast<int>(network));
}

std::vector<cv1::Network> FeedNetworks(const v1::Item& item, const FeedQuery& q) {
  std::vector<cv1::Network> out;
  if (item.state() != v1::ITEM_STATE_PUBLISHED) return out;
  if (item.has_publish_at() && ToMs(item.publish_at()) > q.now_ms) return out;
  if (item.has_expires_at() && ToMs(item.expires_at()) <= q.now_ms) return out;
  if (!q.language.empty() && !item.language().empty() && item.language() != q.language) return out;
  if (!item.target_groups().empty()) {
    bool member = false;
    for (const auto& g : item.target_groups()) {
      if (std::find(q.groups.begin(), q.groups.end(), g) != q.groups.end()) member = true;
    }
    if (!member) return out;
  }
  for (const auto& nc : item.captions()) {
    if (q.granted.count(nc.network()) == 0) continue;
    if (q.shared.count(SharedKey(item.item_id(), nc.network())) != 0) continue;
    out.push_back(nc.network());
  }
  return out;
}

int64_t ToMs(const google::protobuf::Timestamp& ts) {
  return google::protobuf::util::TimeUtil::TimestampToMilliseconds(ts);
}

google::protobuf::Timestamp FromMs(int64_t ms) {
  // Also right for times before 1970 (nanos stay in [0, 1e9), as Timestamp requires).
  return google::protobuf::util::TimeUtil::MillisecondsToTimestamp(ms);
}

}  // namespace advocacy::content
