// Token minting and key generation for dev tooling and tests: libjwt signs ES256 tokens with a
// P-256 private key. Verification is elsewhere (token_verifier.cc), on OpenSSL alone.

#include <jwt.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include <array>
#include <chrono>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "advocacy/common/auth.h"
#include "advocacy/common/status_macros.h"
#include "openssl_handles.h"

namespace advocacy::auth {
namespace {

using internal::BioPtr;
using internal::PkeyPtr;
using internal::TakeOpenSslError;

struct JwtDeleter {
  void operator()(jwt_t* jwt) const { jwt_free(jwt); }
};
// libjwt 1.10 hands out strings from malloc and has no free function of its own.
struct MallocDeleter {
  void operator()(char* text) const { std::free(text); }  // NOLINT(cppcoreguidelines-no-malloc)
};
using JwtPtr = std::unique_ptr<jwt_t, JwtDeleter>;
using MallocString = std::unique_ptr<char, MallocDeleter>;

// The signing key must be an unencrypted P-256 private key (PEM, SEC1 or PKCS#8).
absl::Status CheckP256PrivateKey(absl::string_view pem) {
  if (pem.empty()) return absl::InvalidArgumentError("the private key PEM is empty");
  if (pem.size() > INT_MAX) return absl::InvalidArgumentError("the private key PEM is too large");
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (bio == nullptr) return absl::ResourceExhaustedError("cannot buffer the private key PEM");
  PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, internal::NoPassphrase, nullptr));
  if (key == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("the private key is not a parsable unencrypted PEM EC/PKCS#8 private key "
                     "(OpenSSL: ",
                     TakeOpenSslError(), ")"));
  }
  std::array<char, 80> group{};
  size_t group_length = 0;
  if (!EVP_PKEY_is_a(key.get(), "EC") ||
      EVP_PKEY_get_group_name(key.get(), group.data(), group.size(), &group_length) != 1 ||
      absl::string_view(group.data(), group_length) != "prime256v1") {
    ERR_clear_error();
    return absl::InvalidArgumentError("the private key is not an EC P-256 key; ES256 needs one");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> MintToken(const MintOptions& options) {
  // libjwt signs with the PEM itself; parsing it first gives a clear error for a bad key.
  RETURN_IF_ERROR(CheckP256PrivateKey(options.private_key_pem));
  auto is_text = [](const std::string& value) {
    return !value.empty() && value.find('\0') == std::string::npos;
  };
  if (!is_text(options.issuer) || !is_text(options.audience)) {
    return absl::InvalidArgumentError("cannot mint a token: issuer and audience must be set");
  }
  const Principal& principal = options.principal;
  if (!IsValidId(principal.subject) || !IsValidId(principal.tenant_id)) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot mint a token: subject and tenant must be 1-", kMaxIdLength,
                     " visible ASCII characters"));
  }
  if (principal.tenant_id == kAnyTenant && principal.role != Role::kService) {
    return absl::InvalidArgumentError("cannot mint a token: tenant '*' is only for role service");
  }
  if (options.ttl <= std::chrono::seconds(0)) {
    return absl::InvalidArgumentError("cannot mint a token: ttl must be positive");
  }

  std::array<unsigned char, 16> nonce{};
  if (RAND_bytes(nonce.data(), static_cast<int>(nonce.size())) != 1) {
    return absl::InternalError("cannot mint a token: no randomness for jti: " + TakeOpenSslError());
  }
  const std::string jti = absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(nonce.data()), nonce.size()));
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();

  jwt_t* raw_jwt = nullptr;
  if (jwt_new(&raw_jwt) != 0) return absl::ResourceExhaustedError("cannot allocate a JWT");
  JwtPtr jwt(raw_jwt);
  const std::string role(RoleName(principal.role));
  int error = 0;
  error = error ? error : jwt_add_grant(jwt.get(), "iss", options.issuer.c_str());
  error = error ? error : jwt_add_grant(jwt.get(), "aud", options.audience.c_str());
  error = error ? error : jwt_add_grant(jwt.get(), "sub", principal.subject.c_str());
  error = error ? error : jwt_add_grant(jwt.get(), "tenant", principal.tenant_id.c_str());
  error = error ? error : jwt_add_grant(jwt.get(), "role", role.c_str());
  error = error ? error : jwt_add_grant(jwt.get(), "jti", jti.c_str());
  if (!principal.scopes.empty()) {
    const std::string scope = absl::StrJoin(principal.scopes, " ");
    error = error ? error : jwt_add_grant(jwt.get(), "scope", scope.c_str());
  }
  error = error ? error : jwt_add_grant_int(jwt.get(), "iat", static_cast<long>(now));
  error = error ? error
                : jwt_add_grant_int(jwt.get(), "exp", static_cast<long>(now + options.ttl.count()));
  error = error
              ? error
              : jwt_set_alg(jwt.get(), JWT_ALG_ES256,
                            reinterpret_cast<const unsigned char*>(options.private_key_pem.data()),
                            static_cast<int>(options.private_key_pem.size()));
  if (error != 0) {
    return absl::InternalError(absl::StrCat(
        "cannot mint a token: libjwt failed to set its claims (", std::strerror(error), ")"));
  }
  MallocString encoded(jwt_encode_str(jwt.get()));
  if (encoded == nullptr) {
    return absl::InternalError(
        "cannot mint a token: libjwt could not sign it (OpenSSL: " + TakeOpenSslError() + ")");
  }
  return std::string(encoded.get());
}

absl::StatusOr<std::pair<std::string, std::string>> GenerateKeyPair() {
  PkeyPtr key(EVP_EC_gen("P-256"));
  if (key == nullptr) {
    return absl::InternalError("cannot generate a P-256 key (OpenSSL: " + TakeOpenSslError() + ")");
  }
  auto to_pem = [](auto write) -> std::optional<std::string> {
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (bio == nullptr || write(bio.get()) != 1) return std::nullopt;
    char* data = nullptr;
    const long length = BIO_get_mem_data(bio.get(), &data);
    if (length <= 0 || data == nullptr) return std::nullopt;
    return std::string(data, static_cast<size_t>(length));
  };
  std::optional<std::string> private_pem = to_pem([&](BIO* bio) {
    return PEM_write_bio_PrivateKey(bio, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  });
  std::optional<std::string> public_pem =
      to_pem([&](BIO* bio) { return PEM_write_bio_PUBKEY(bio, key.get()); });
  if (!private_pem || !public_pem) {
    return absl::InternalError(
        "cannot encode the generated key as PEM (OpenSSL: " + TakeOpenSslError() + ")");
  }
  return std::make_pair(std::move(*private_pem), std::move(*public_pem));
}

}  // namespace advocacy::auth
