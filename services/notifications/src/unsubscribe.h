#pragma once

// Signed, opaque one-click unsubscribe tokens and the RFC 8058 headers that carry them.
// A token names tenant, employee and purpose and expires; it is an HMAC-SHA256 over those
// fields, so it cannot be forged or re-scoped without the key, and it is verified in
// constant time.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "advocacy/consent/v1/consent.pb.h"

namespace advocacy::notifications {

// What a token authorises: withdrawing `purpose` for one employee of one tenant.
struct UnsubscribeClaims {
  std::string tenant_id;
  std::string employee_id;
  advocacy::consent::v1::Purpose purpose = advocacy::consent::v1::PURPOSE_UNSPECIFIED;
  absl::Time expires;
};

// Signs tokens with one secret key and verifies them with it or, while a key is being rotated,
// with the previous one (links in mails sent before the rotation keep working until the previous
// key is removed). Thread-safe (immutable after construction).
class UnsubscribeTokenSigner final {
 public:
  // Each key must be at least kMinKeyBytes long; shorter keys are INVALID_ARGUMENT. An empty
  // `previous_key` means none.
  static constexpr size_t kMinKeyBytes = 32;
  static absl::StatusOr<UnsubscribeTokenSigner> Create(std::string key,
                                                       std::string previous_key = "");

  // A base64url (unpadded) token; safe in a URL query without further escaping.
  // INVALID_ARGUMENT for empty tenant/employee or an unspecified purpose.
  absl::StatusOr<std::string> Sign(const UnsubscribeClaims& claims) const;

  // The claims of a token signed with this key (or the previous one) that has not expired at
  // `now`.
  // INVALID_ARGUMENT for a malformed token, PERMISSION_DENIED for a bad signature and
  // FAILED_PRECONDITION for an expired one. Messages never echo the token.
  absl::StatusOr<UnsubscribeClaims> Verify(std::string_view token, absl::Time now) const;

 private:
  UnsubscribeTokenSigner(std::string key, std::string previous_key)
      : key_(std::move(key)), previous_key_(std::move(previous_key)) {}
  static std::string Mac(const std::string& key, std::string_view payload);

  std::string key_;
  std::string previous_key_;  // empty: none
};

// The RFC 8058 one-click headers for `base_url` (which must be https://) and `token`:
//   List-Unsubscribe: <https://.../unsubscribe?token=...>
//   List-Unsubscribe-Post: List-Unsubscribe=One-Click
// The same URL is what the mail footer shows.
absl::StatusOr<std::string> UnsubscribeUrl(std::string_view base_url, std::string_view token);
absl::StatusOr<std::vector<std::pair<std::string, std::string>>> OneClickUnsubscribeHeaders(
    std::string_view base_url, std::string_view token);

}  // namespace advocacy::notifications
