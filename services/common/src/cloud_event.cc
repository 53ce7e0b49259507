#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "advocacy/common/kafka.h"
#include "advocacy/common/status_macros.h"

namespace advocacy::kafka {
namespace {

constexpr absl::string_view kId = "ce_id";
constexpr absl::string_view kSource = "ce_source";
constexpr absl::string_view kType = "ce_type";
constexpr absl::string_view kTime = "ce_time";
constexpr absl::string_view kSpecVersion = "ce_specversion";
constexpr absl::string_view kSubject = "ce_subject";
constexpr absl::string_view kContentType = "content-type";

const std::string* Last(const std::vector<Header>& headers, absl::string_view key) {
  const auto it =
      std::find_if(headers.rbegin(), headers.rend(), [&](const Header& h) { return h.key == key; });
  return it == headers.rend() ? nullptr : &it->value;
}

absl::Status Required(const std::vector<Header>& headers, absl::string_view key, std::string* out) {
  const std::string* value = Last(headers, key);
  if (value == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("CloudEvent header '", key, "' is missing"));
  }
  if (value->empty()) {
    return absl::InvalidArgumentError(absl::StrCat("CloudEvent header '", key, "' is empty"));
  }
  *out = *value;
  return absl::OkStatus();
}

}  // namespace

std::vector<Header> ToHeaders(const CloudEvent& event) {
  std::vector<Header> headers;
  headers.reserve(7);
  headers.push_back({std::string(kSpecVersion), std::string(kCloudEventSpecVersion)});
  headers.push_back({std::string(kId), event.id});
  headers.push_back({std::string(kSource), event.source});
  headers.push_back({std::string(kType), event.type});
  if (!event.time.empty()) headers.push_back({std::string(kTime), event.time});
  if (!event.subject.empty()) headers.push_back({std::string(kSubject), event.subject});
  if (!event.content_type.empty()) {
    headers.push_back({std::string(kContentType), event.content_type});
  }
  return headers;
}

absl::StatusOr<CloudEvent> FromHeaders(const std::vector<Header>& headers) {
  CloudEvent event;
  std::string spec_version;
  RETURN_IF_ERROR(Required(headers, kSpecVersion, &spec_version));
  if (spec_version != kCloudEventSpecVersion) {
    return absl::InvalidArgumentError(
        absl::StrCat("CloudEvent header '", kSpecVersion, "' is '", spec_version, "'; only '",
                     std::string(kCloudEventSpecVersion), "' is supported"));
  }
  RETURN_IF_ERROR(Required(headers, kId, &event.id));
  RETURN_IF_ERROR(Required(headers, kSource, &event.source));
  RETURN_IF_ERROR(Required(headers, kType, &event.type));
  if (const std::string* time = Last(headers, kTime); time != nullptr) {
    absl::Time parsed;
    std::string error;
    if (!absl::ParseTime(absl::RFC3339_full, *time, &parsed, &error)) {
      return absl::InvalidArgumentError(absl::StrCat("CloudEvent header '", kTime, "' is '", *time,
                                                     "', not an RFC 3339 timestamp: ", error));
    }
    event.time = *time;
  }
  if (const std::string* subject = Last(headers, kSubject); subject != nullptr) {
    event.subject = *subject;
  }
  const std::string* content_type = Last(headers, kContentType);
  event.content_type = content_type != nullptr ? *content_type : "";
  return event;
}

std::string NewEventId() {
  // absl::BitGen is seeded from the OS per generator; thread_local avoids locking.
  thread_local absl::BitGen gen;
  const uint64_t hi = absl::Uniform<uint64_t>(gen);
  const uint64_t lo = absl::Uniform<uint64_t>(gen);
  std::array<uint8_t, 16> bytes{};
  for (int i = 0; i < 8; ++i) {
    bytes[i] = static_cast<uint8_t>(hi >> (56 - 8 * i));
    bytes[8 + i] = static_cast<uint8_t>(lo >> (56 - 8 * i));
  }
  bytes[6] = static_cast<uint8_t>((bytes[6] & 0x0F) | 0x40);  // version 4
  bytes[8] = static_cast<uint8_t>((bytes[8] & 0x3F) | 0x80);  // RFC 4122 variant
  std::array<char, 37> text{};
  std::snprintf(text.data(), text.size(),
                "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", bytes[0],
                bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7], bytes[8],
                bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]);
  return text.data();
}

std::string NowRfc3339() {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone());
}

}  // namespace advocacy::kafka
