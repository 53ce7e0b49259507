#pragma once

// Access tokens from the organization's identity provider for a caller that is not a person: the
// OAuth 2.0 client-credentials grant (RFC 6749 4.4) with a resource indicator (RFC 8707), so
// each token names the one service it is for. Used by the notifications service (its identity
// towards consent), advocacyctl --oidc and the integration tests.
//
// Guarantees:
//  * The token endpoint is https only, its certificate verified (ca_file, else the system
//    store); no redirects, no proxy for loopback; every request bounded by `timeout` and its
//    answer by `max_bytes`.
//  * The client secret goes only into the request's Basic authorization; it is never logged,
//    never in an error message, never in a URL.
//  * Errors: UNAVAILABLE for transport failures, timeouts and 5xx answers; UNAUTHENTICATED when
//    the provider refuses the client (invalid_client, 401); PERMISSION_DENIED when it refuses
//    what was asked (invalid_scope, invalid_target, unauthorized_client); INTERNAL for an answer
//    that is not a bearer token with a sane expires_in. Messages name the token URL, the client
//    id and the provider's error code, never the secret or a token.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace advocacy::oidc {

struct ClientCredentials {
  std::string token_url;  // https://idp.example/token
  std::string ca_file;    // PEM bundle that verifies the provider; empty: the system store
  std::string client_id;
  std::string client_secret;  // the secret itself (read from its file by the caller)
  std::string resource;       // the resource indicator, e.g. "urn:advocacy:consent"; optional
  std::string scope;          // space-separated scopes to ask for; optional
  // More form parameters (the local stack's test client only); never used for secrets.
  std::map<std::string, std::string> extra_params;
  std::chrono::milliseconds timeout{5000};
  size_t max_bytes = size_t{64} * 1024;
};

struct AccessToken {
  std::string value;  // the bearer token
  std::chrono::system_clock::time_point expires_at;
};

// One https request to an endpoint of the provider (discovery, token, revocation), with the
// same rules as RequestToken: https only, certificate verified against ca_file (else the system
// store), no redirects, bounded by timeout and max_bytes. UNAVAILABLE for transport failures
// and oversized answers; any HTTP status is an answer.
struct Endpoint {
  std::string url;
  std::string ca_file;
  std::chrono::milliseconds timeout{5000};
  size_t max_bytes = size_t{64} * 1024;
};
struct HttpAnswer {
  long status = 0;
  std::string body;
};
// GET `endpoint.url`.
absl::StatusOr<HttpAnswer> HttpsGet(const Endpoint& endpoint);
// POST `form` (application/x-www-form-urlencoded, each name and value encoded here) to
// `endpoint.url`. With a client_secret the client authenticates with HTTP Basic
// (client_secret_basic); without one (a public client) client_id goes into the form.
absl::StatusOr<HttpAnswer> HttpsPostForm(
    const Endpoint& endpoint, const std::string& client_id, const std::string& client_secret,
    const std::vector<std::pair<std::string, std::string>>& form);

// OK when `c` is complete and its token URL may be used (https, no credentials in it);
// otherwise InvalidArgument naming the field.
absl::Status ValidateClientCredentials(const ClientCredentials& c);

// One token request (no cache). expires_in must be 1 s..24 h.
absl::StatusOr<AccessToken> RequestToken(const ClientCredentials& c);

// A cached client-credentials token for one client and resource. Thread-safe.
//
//  * Get() returns the cached token while more than refresh_before (or, for short tokens, a
//    third of their life) is left; otherwise it fetches a new one (one request at a time; the
//    other callers wait for its result).
//  * When a refresh fails, a cached token that has not expired is still returned; without one
//    the error is returned. After a failure no new request is made for `retry_after` (the same
//    error is returned), so a dead provider costs one request per interval, not one per call.
class TokenSource {
 public:
  struct Stats {
    uint64_t requests = 0;        // token requests made
    uint64_t failures = 0;        // of those, failed
    int64_t expires_at_unix = 0;  // of the cached token; 0 when there is none
    std::string last_error;       // of the last request; empty when it succeeded
  };

  explicit TokenSource(ClientCredentials credentials,
                       std::chrono::seconds refresh_before = std::chrono::seconds(60),
                       std::chrono::milliseconds retry_after = std::chrono::seconds(1));

  absl::StatusOr<std::string> Get();
  Stats stats() const;
  const ClientCredentials& credentials() const { return credentials_; }

 private:
  const ClientCredentials credentials_;
  const std::chrono::seconds refresh_before_;
  const std::chrono::milliseconds retry_after_;
  mutable std::mutex mu_;
  AccessToken cached_;                                    // guarded by mu_
  std::chrono::system_clock::time_point refresh_at_{};    // guarded by mu_
  std::chrono::steady_clock::time_point next_attempt_{};  // guarded by mu_
  absl::Status last_status_;                              // guarded by mu_
  Stats stats_;                                           // guarded by mu_
};

// Reads a client secret file: the first line, without surrounding whitespace. InvalidArgument
// naming the path (never the content) when it is unreadable, empty or larger than 4 KiB.
absl::StatusOr<std::string> ReadClientSecretFile(const std::string& path);

}  // namespace advocacy::oidc
