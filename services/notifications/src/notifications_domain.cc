#include "notifications_domain.h"

#include <algorithm>
#include <set>

#include "absl/strings/escaping.h"
#include "advocacy/common/digest.h"
#include "advocacy/common/ids.h"
#include "advocacy/common/status_macros.h"
#include "advocacy/common/strings.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "ports.h"
#include "schedule.h"

namespace advocacy::notifications {
namespace {

absl::Status Invalid(std::string_view field, std::string_view why) {
  return absl::InvalidArgumentError(advocacy::StrCat(field, ": ", why));
}

std::string Path(std::string_view prefix, std::string_view name) {
  return prefix.empty() ? std::string(name) : advocacy::StrCat(prefix, ".", name);
}

bool HasControl(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  });
}

bool IsAtext(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-/=?^_`{|}~").find(c) != std::string_view::npos;
}

// RFC 5321 dot-atom local part and an ASCII (punycode) domain of letters, digits and hyphens.
bool IsMailbox(std::string_view a) {
  const size_t at = a.find('@');
  if (at == std::string_view::npos || a.find('@', at + 1) != std::string_view::npos) return false;
  const std::string_view local = a.substr(0, at);
  const std::string_view domain = a.substr(at + 1);
  if (local.empty() || local.size() > 64 || domain.empty() || domain.size() > 253) return false;
  if (local.front() == '.' || local.back() == '.' || local.find("..") != std::string_view::npos) {
    return false;
  }
  for (char c : local) {
    if (c != '.' && !IsAtext(c)) return false;
  }
  size_t label = 0;
  for (size_t i = 0; i <= domain.size(); ++i) {
    const char c = i < domain.size() ? domain[i] : '.';
    if (c == '.') {
      if (label == 0 || label > 63 || domain[i - 1] == '-' || domain[i - label] == '-') {
        return false;
      }
      label = 0;
    } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '-') {
      ++label;
    } else {
      return false;
    }
  }
  return true;
}

}  // namespace

absl::Status ValidateLink(std::string_view link, std::string_view field) {
  if (link.size() > kMaxLinkBytes) {
    return Invalid(field, advocacy::StrCat("must be at most ", kMaxLinkBytes, " bytes"));
  }
  if (!link.starts_with("https://") || link.size() <= 8) {
    return Invalid(field, "must be an https:// URL (mails carry https links only)");
  }
  for (char c : link) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == '"' || c == '<' || c == '>') {
      return Invalid(field, "must not contain spaces, quotes, angle brackets or non-ASCII bytes");
    }
  }
  return absl::OkStatus();
}

bool IsMailAddress(std::string_view address) {
  return !address.empty() && address.size() <= kMaxEmailBytes && IsMailbox(address);
}

absl::Status ValidateRecipient(const v1::Recipient& r, std::string_view field) {
  RETURN_IF_ERROR(ids::ValidateTenantId(Path(field, "tenant_id"), r.tenant_id()));
  RETURN_IF_ERROR(ids::ValidateEmployeeId(Path(field, "employee_id"), r.employee_id()));
  if (r.email().empty() || r.email().size() > kMaxEmailBytes || !IsMailbox(r.email())) {
    return Invalid(Path(field, "email"),
                   advocacy::StrCat("must be a plain address like name@example.org (ASCII, at "
                                    "most ",
                                    kMaxEmailBytes, " bytes)"));
  }
  if (r.display_name().size() > kMaxDisplayNameBytes || HasControl(r.display_name())) {
    return Invalid(Path(field, "display_name"),
                   advocacy::StrCat("must be at most ", kMaxDisplayNameBytes,
                                    " bytes without control characters"));
  }
  if (r.locale().size() > kMaxLocaleBytes ||
      !std::all_of(r.locale().begin(), r.locale().end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '-' || c == '_';
      })) {
    return Invalid(Path(field, "locale"), "must be a BCP 47 tag such as nb-NO or en-GB");
  }
  if (r.time_zone().size() > kMaxTimeZoneBytes) {
    return Invalid(Path(field, "time_zone"), "is too long");
  }
  if (auto zone = LoadZone(r.time_zone()); !zone.ok()) {
    return Invalid(Path(field, "time_zone"),
                   advocacy::StrCat("'", r.time_zone(), "' is not an IANA time zone"));
  }
  return absl::OkStatus();
}

absl::Status ValidatePreferences(const v1::Preferences& p, std::string_view field) {
  RETURN_IF_ERROR(ids::ValidateTenantId(Path(field, "tenant_id"), p.tenant_id()));
  RETURN_IF_ERROR(ids::ValidateEmployeeId(Path(field, "employee_id"), p.employee_id()));
  if (!v1::DigestCadence_IsValid(p.cadence())) {
    return Invalid(Path(field, "cadence"), "must be a known cadence");
  }
  if (p.digest_hour() < 0 || p.digest_hour() > 23) {
    return Invalid(Path(field, "digest_hour"), "must be 0 to 23");
  }
  if (!v1::Weekday_IsValid(p.digest_weekday())) {
    return Invalid(Path(field, "digest_weekday"), "must be a known weekday");
  }
  if (p.cadence() == v1::DIGEST_CADENCE_WEEKLY && p.digest_weekday() == v1::WEEKDAY_UNSPECIFIED) {
    return Invalid(Path(field, "digest_weekday"), "is required for a weekly digest");
  }
  if (p.has_quiet_hours()) {
    if (auto st = ValidateQuietHours(p.quiet_hours()); !st.ok()) {
      return Invalid(Path(field, "quiet_hours"), std::string(st.message()));
    }
  }
  std::set<int> seen;
  for (int i = 0; i < p.topics_size(); ++i) {
    const int t = p.topics(i);
    if (t == v1::TOPIC_UNSPECIFIED || !v1::Topic_IsValid(t)) {
      return Invalid(advocacy::StrCat(Path(field, "topics"), "[", i, "]"), "must be a known topic");
    }
    if (!seen.insert(t).second) {
      return Invalid(advocacy::StrCat(Path(field, "topics"), "[", i, "]"), "is listed twice");
    }
  }
  if (p.weekly_cap() < 0 || p.weekly_cap() > kMaxWeeklyCap) {
    return Invalid(Path(field, "weekly_cap"),
                   advocacy::StrCat("must be 0 (no cap) to ", kMaxWeeklyCap));
  }
  return absl::OkStatus();
}

absl::Status ValidateContent(const v1::NotificationContent& c, std::string_view field) {
  if (c.purpose() != cv1::PURPOSE_EMAIL_TIPS && c.purpose() != cv1::PURPOSE_COURSE_TIPS) {
    return Invalid(Path(field, "purpose"),
                   "must be PURPOSE_EMAIL_TIPS or PURPOSE_COURSE_TIPS (the purposes mail is sent "
                   "under)");
  }
  if (c.topic() == v1::TOPIC_UNSPECIFIED || !v1::Topic_IsValid(c.topic())) {
    return Invalid(Path(field, "topic"), "must be a known topic");
  }
  if (c.title().empty() || c.title().size() > kMaxTitleBytes || HasControl(c.title())) {
    return Invalid(Path(field, "title"), advocacy::StrCat("must be 1 to ", kMaxTitleBytes,
                                                          " bytes without control characters"));
  }
  if (c.summary().size() > kMaxSummaryBytes) {
    return Invalid(Path(field, "summary"),
                   advocacy::StrCat("must be at most ", kMaxSummaryBytes, " bytes"));
  }
  return ValidateLink(c.link(), Path(field, "link"));
}

v1::Preferences DefaultPreferences(std::string_view tenant_id, std::string_view employee_id) {
  v1::Preferences p;
  p.set_tenant_id(std::string(tenant_id));
  p.set_employee_id(std::string(employee_id));
  p.set_cadence(v1::DIGEST_CADENCE_INSTANT);
  return p;
}

void NormalizePreferences(v1::Preferences* p) {
  if (p->cadence() == v1::DIGEST_CADENCE_UNSPECIFIED) p->set_cadence(v1::DIGEST_CADENCE_INSTANT);
  if (p->has_quiet_hours() && p->quiet_hours().start_minute() == p->quiet_hours().end_minute()) {
    p->clear_quiet_hours();
  }
}

uint32_t TopicMask(const v1::Preferences& prefs) {
  uint32_t mask = 0;
  for (int t : prefs.topics()) {
    if (t > 0 && t < 32) mask |= 1u << t;
  }
  return mask;
}

bool MaskAllows(uint32_t mask, v1::Topic topic) {
  const int t = static_cast<int>(topic);
  return mask == 0 || (t > 0 && t < 32 && (mask & (1u << t)) != 0);
}

std::string SourceHash(std::string_view kind, std::string_view key) {
  std::string input(kind);
  input.push_back('\0');
  input.append(key);
  const auto hash = digest::Sha256(input);
  std::string out = absl::WebSafeBase64Escape(
      absl::string_view(reinterpret_cast<const char*>(hash.data()), hash.size()));
  out.resize(22);
  return out;
}

std::string JobId(std::string_view tenant_id, std::string_view employee_id,
                  std::string_view source_hash) {
  return advocacy::StrCat(tenant_id, "/", employee_id, "/", source_hash);
}

absl::StatusOr<JobRef> ParseJobId(std::string_view job_id, std::string_view field) {
  const auto bad = [&] {
    return Invalid(field, "is not a job id this service returned (<tenant>/<employee>/<id>)");
  };
  if (job_id.size() > kMaxJobIdBytes) return bad();
  const size_t a = job_id.find('/');
  if (a == std::string_view::npos) return bad();
  const size_t b = job_id.find('/', a + 1);
  if (b == std::string_view::npos || job_id.find('/', b + 1) != std::string_view::npos) {
    return bad();
  }
  JobRef ref{std::string(job_id.substr(0, a)), std::string(job_id.substr(a + 1, b - a - 1)),
             std::string(job_id.substr(b + 1))};
  if (!ids::IsTenantId(ref.tenant_id) || !ids::IsEmployeeId(ref.employee_id) ||
      ref.suffix.size() != 22 || !std::all_of(ref.suffix.begin(), ref.suffix.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '-' || c == '_';
      })) {
    return bad();
  }
  return ref;
}

std::string DueRef::Member() const {
  return advocacy::StrCat(tenant_id, "/", employee_id, "/", digest_id);
}

std::optional<DueRef> DueRef::Parse(std::string_view member) {
  const size_t a = member.find('/');
  if (a == std::string_view::npos) return std::nullopt;
  const size_t b = member.find('/', a + 1);
  if (b == std::string_view::npos) return std::nullopt;
  DueRef ref{std::string(member.substr(0, a)), std::string(member.substr(a + 1, b - a - 1)),
             std::string(member.substr(b + 1))};
  if (ref.tenant_id.empty() || ref.employee_id.empty() || ref.digest_id.empty()) {
    return std::nullopt;
  }
  return ref;
}

std::string MessageId(std::string_view tenant_id, std::string_view employee_id,
                      std::string_view digest_id, std::string_view domain) {
  // The first 16 bytes of the digest, in hex.
  const std::string hash =
      digest::Sha256Bytes(advocacy::StrCat(tenant_id, "\n", employee_id, "\n", digest_id));
  return advocacy::StrCat("n", digest::Hex(std::string_view(hash).substr(0, 16)), "@", domain);
}

std::string DomainOf(std::string_view address) {
  const size_t at = address.rfind('@');
  if (at == std::string_view::npos || at + 1 >= address.size()) return "localhost";
  return std::string(address.substr(at + 1));
}

std::string BodyHash(const google::protobuf::Message& body) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream out(&stream);
    out.SetSerializationDeterministic(true);
    body.SerializeToCodedStream(&out);
  }
  return digest::Hex(digest::Sha256Bytes(bytes));
}

std::string Clip(std::string_view text, size_t max_bytes) {
  std::string out;
  out.reserve(std::min(text.size(), max_bytes));
  for (char c : text) {
    out.push_back(c == '\r' || c == '\n' || c == '\t' ? ' ' : c);
  }
  if (out.size() > max_bytes) {
    size_t cut = max_bytes;
    // Back off continuation bytes (10xxxxxx) so no character is split.
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
    out.resize(cut);
  }
  std::string cleaned;
  cleaned.reserve(out.size());
  for (char c : out) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u != 0x7f) cleaned.push_back(c);
  }
  return cleaned;
}

google::protobuf::Timestamp ToTimestamp(absl::Time t) {
  google::protobuf::Timestamp ts;
  const int64_t nanos = absl::ToUnixNanos(t);
  int64_t seconds = nanos / 1000000000;
  int64_t rem = nanos % 1000000000;
  if (rem < 0) {
    rem += 1000000000;
    --seconds;
  }
  ts.set_seconds(seconds);
  ts.set_nanos(static_cast<int32_t>(rem));
  return ts;
}

absl::Time FromTimestamp(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

int64_t ToMs(absl::Time t) { return absl::ToUnixMillis(t); }
absl::Time FromMs(int64_t ms) { return absl::FromUnixMillis(ms); }

}  // namespace advocacy::notifications
