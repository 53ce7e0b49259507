#pragma once

// Where a JWKS document comes from: a file, or an https URL fetched with libcurl. The libcurl
// handles stay in jwks_source.cc. Private to the auth code.

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "advocacy/common/auth.h"

namespace advocacy::auth::internal {

struct JwksDocument {
  std::string body;
  // Cache-Control max-age of the response, if it had one (no-store and no-cache count as 0).
  std::optional<std::chrono::seconds> max_age;
};

class JwksSource {
 public:
  virtual ~JwksSource() = default;
  // One read or GET, bounded by the policy's timeout and size. `cancel` set by another thread
  // aborts an ongoing transfer promptly. Errors name the source and the problem (for logs and
  // readiness; never shown to a caller).
  virtual absl::StatusOr<JwksDocument> Load(const std::atomic<bool>& cancel) = 0;
  // "https://idp/keys" or "file /etc/jwks.json".
  virtual std::string Describe() const = 0;
};

// OK if `uri` may be fetched under `source`'s rules (https, or http to loopback when allowed;
// no credentials in the URL); otherwise InvalidArgument saying why.
absl::Status CheckJwksUri(absl::string_view uri, bool allow_insecure_loopback_http);

// The source for `keys` (jwks_uri or jwks_file; nullptr for a static key) under `policy`.
// InvalidArgument when the URI is not allowed or the CA file cannot be read.
absl::StatusOr<std::unique_ptr<JwksSource>> MakeJwksSource(const KeySource& keys,
                                                           const JwksPolicy& policy);

// The max-age of a Cache-Control header value ("public, max-age=3600" -> 3600 s); no-store and
// no-cache give 0; nullopt when neither appears or the value is not a number.
std::optional<std::chrono::seconds> ParseCacheControlMaxAge(absl::string_view value);

}  // namespace advocacy::auth::internal
