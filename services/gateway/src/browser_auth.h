#pragma once

// The pieces of the browser sign-in that are pure functions: random tokens, PKCE, the
// authorization request, the ID token's checks, cookies and the return path.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "advocacy/common/http_server.h"

namespace advocacy::gateway {

// `bytes` random bytes from OpenSSL's CSPRNG, base64url without padding (32 bytes: 43 chars).
std::string RandomToken(size_t bytes = 32);

// The PKCE S256 challenge of a verifier: base64url(SHA-256(verifier)) (RFC 7636 4.2).
std::string PkceChallenge(std::string_view verifier);

// `return_to` when it is a path of this site ("/..." but not "//...", no backslash or control
// character, at most 512 bytes); otherwise "/". Keeps a sign-in from ending on another site.
std::string SafeReturnTo(std::string_view return_to);

struct AuthorizationRequest {
  std::string endpoint;  // the provider's authorization_endpoint
  std::string client_id;
  std::string redirect_uri;  // <public URL>/auth/callback
  std::string scope;         // "openid profile email offline_access"
  std::string state;
  std::string nonce;
  std::string code_challenge;
  std::vector<std::string> resources;  // RFC 8707 resource indicators, one per service
};
// The URL the browser is sent to (response_type=code, code_challenge_method=S256).
std::string AuthorizationUrl(const AuthorizationRequest& request);

// The claims of an ID token the gateway uses, after the checks of OpenID Connect Core 3.1.3.7
// that apply to a token received directly from the token endpoint over TLS (whose certificate
// was verified, so the signature check is optional there): iss is the issuer, aud holds the
// client id (and azp is the client when there are several audiences), exp is in the future
// (60 s of clock skew), nonce is the one sent. UNAUTHENTICATED naming the failed check.
struct IdTokenClaims {
  std::string subject;
  std::string name;
  std::string email;
};
absl::StatusOr<IdTokenClaims> CheckIdToken(std::string_view id_token, std::string_view issuer,
                                           std::string_view client_id, std::string_view nonce,
                                           int64_t now_unix);

// A Set-Cookie value: HttpOnly, Path=/, SameSite=Lax, Secure when `secure`; Max-Age=0 deletes.
std::string SetCookie(std::string_view name, std::string_view value, std::chrono::seconds max_age,
                      bool secure);
// The value of cookie `name` in the request's Cookie headers, or nullopt.
std::optional<std::string> CookieValue(const http::Request& request, std::string_view name);

// Equal strings, compared in time that does not depend on where they differ.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace advocacy::gateway
