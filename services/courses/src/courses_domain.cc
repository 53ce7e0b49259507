#include "courses_domain.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/util/time_util.h>
#include <openssl/rand.h>

#include <cstdlib>
#include <cstring>

#include "advocacy/common/clock.h"
#include "advocacy/common/digest.h"
#include "advocacy/common/kafka.h"
#include "advocacy/common/logging.h"
#include "advocacy/common/outbox.h"
#include "advocacy/common/status_macros.h"
#include "advocacy/common/strings.h"

namespace advocacy::courses {
namespace {

constexpr char kCrockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
constexpr size_t kVerificationCodeLength = 26;

void RandomBytes(unsigned char* out, size_t n) {
  // The CSPRNG failing means the process cannot make unguessable ids or codes at all: a
  // broken invariant, not a request error.
  if (RAND_bytes(out, static_cast<int>(n)) != 1) {
    log::Error("the operating system's random generator failed; stopping");
    std::abort();
  }
}

}  // namespace

idempotent::Options RetryOptions(const DomainOptions& options, std::string_view what) {
  return {.max_attempts = options.max_commit_attempts, .what = what};
}

google::protobuf::Timestamp ToTimestamp(int64_t ms) {
  return google::protobuf::util::TimeUtil::MillisecondsToTimestamp(ms);
}

int64_t ToMillis(const google::protobuf::Timestamp& ts) {
  return google::protobuf::util::TimeUtil::TimestampToMilliseconds(ts);
}

std::string DeterministicBytes(const google::protobuf::Message& message) {
  std::string out;
  {
    google::protobuf::io::StringOutputStream stream(&out);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    message.SerializeToCodedStream(&coded);
  }
  return out;
}

std::string RandomHex(size_t bytes) {
  std::string raw(bytes, '\0');
  RandomBytes(reinterpret_cast<unsigned char*>(raw.data()), bytes);
  return digest::Hex(raw);
}

std::string NewId(std::string_view prefix, std::string_view tenant_id,
                  std::string_view idempotency_key) {
  if (idempotency_key.empty()) return advocacy::StrCat(prefix, "-", RandomHex(8));
  const std::string derived = digest::Fingerprint({"id", prefix, tenant_id, idempotency_key});
  return advocacy::StrCat(prefix, "-", digest::Hex(std::string_view(derived).substr(0, 8)));
}

std::string NewVerificationCode() {
  unsigned char raw[17] = {};  // 128 random bits; the 17th byte pads the last 5-bit group
  RandomBytes(raw, 16);
  std::string out;
  out.reserve(kVerificationCodeLength);
  int bits = 0;
  uint32_t buffer = 0;
  size_t i = 0;
  while (out.size() < kVerificationCodeLength) {
    if (bits < 5) {
      buffer = (buffer << 8) | raw[i++];
      bits += 8;
    }
    out.push_back(kCrockford[(buffer >> (bits - 5)) & 0x1f]);
    bits -= 5;
  }
  return out;
}

absl::StatusOr<std::string> NormalizeVerificationCode(std::string_view field,
                                                      std::string_view code) {
  std::string out;
  if (code.size() > 64) {
    return absl::InvalidArgumentError(advocacy::StrCat(field, ": at most 64 characters"));
  }
  for (char c : code) {
    if (c == '-' || c == ' ') continue;
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (c == 'O') c = '0';
    if (c == 'I' || c == 'L') c = '1';
    if (std::strchr(kCrockford, c) == nullptr || c == '\0') {
      return absl::InvalidArgumentError(advocacy::StrCat(
          field,
          ": not a verification code; it has 26 letters and digits, as printed on the "
          "certificate"));
    }
    out.push_back(c);
  }
  if (out.size() != kVerificationCodeLength) {
    return absl::InvalidArgumentError(advocacy::StrCat(
        field, ": a verification code has 26 letters and digits; got ", out.size()));
  }
  return out;
}

std::string CourseEventKey(std::string_view t, std::string_view c) {
  return advocacy::StrCat(t, "/course/", c);
}
std::string EmployeeEventKey(std::string_view t, std::string_view e) {
  return advocacy::StrCat(t, "/employee/", e);
}
std::string BroadcastEventKey(std::string_view t, std::string_view b) {
  return advocacy::StrCat(t, "/broadcast/", b);
}
std::string PolicyEventKey(std::string_view t) { return advocacy::StrCat(t, "/policy"); }

std::string TenantTag(std::string_view t) { return std::string(t); }
std::string LearnerTag(std::string_view t, std::string_view e) {
  return advocacy::StrCat(t, ":", e);
}
// Tenant ids have neither ':' nor '/', and employee ids no '/', so this tag can never equal a
// learner's tag "<tenant>:<employee>".
std::string BroadcastTag(std::string_view t, std::string_view b) {
  return advocacy::StrCat(t, "/broadcast/", b);
}

std::string EventEncoder::Encode(const std::string& kafka_key,
                                 const google::protobuf::Message& event, int64_t now_ms) const {
  kafka::CloudEvent ce;
  ce.id = kafka::NewEventId();
  ce.source = source_;
  ce.type = event.GetDescriptor()->full_name();
  ce.time = google::protobuf::util::TimeUtil::ToString(ToTimestamp(now_ms));
  ce.subject = kafka_key;
  kafka::Message m;
  m.topic = topic_;
  m.key = kafka_key;
  m.payload = event.SerializeAsString();
  m.headers = kafka::ToHeaders(ce);
  return outbox::Encode(m);
}

absl::Status AuthorizeSelf(const auth::Principal& caller, std::string_view tenant_id,
                           std::string_view employee_id) {
  RETURN_IF_ERROR(auth::AuthorizeEmployeeAccess(caller, tenant_id, employee_id));
  if (caller.role != auth::Role::kEmployee) {
    return absl::PermissionDeniedError(advocacy::StrCat(
        auth::RoleName(caller.role), " '", caller.subject,
        "' may not do this for an employee: enrolling, recording progress and registering are "
        "voluntary and only the employee can do them"));
  }
  return absl::OkStatus();
}

}  // namespace advocacy::courses
