#pragma once

// Verification keys: parsed from a JWKS (RFC 7517/7518) or a PEM public key, each pinned to one
// JWS algorithm, and the signature check for that algorithm. No I/O. Private to the auth code.

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "openssl_handles.h"

namespace advocacy::auth::internal {

enum class JwsAlg { kRs256, kPs256, kEs256 };

// "RS256", "PS256", "ES256".
absl::string_view JwsAlgName(JwsAlg alg);
// Exact (case-sensitive) inverse of JwsAlgName; nullopt for every other name.
std::optional<JwsAlg> ParseJwsAlg(absl::string_view name);

// RSA keys outside these bounds are refused: fewer bits are breakable, more (or a large public
// exponent) make every forged token expensive to check.
inline constexpr int kMinRsaBits = 2048;
inline constexpr int kMaxRsaBits = 8192;
inline constexpr size_t kMaxKidBytes = 256;

// One public key, usable for exactly one algorithm. Immutable and shared by all threads, which
// OpenSSL 3 allows for EVP_PKEY used read-only.
struct VerificationKey {
  std::string kid;  // empty when the JWK had none
  JwsAlg alg = JwsAlg::kEs256;
  PkeyPtr key;
  // kid, alg and the DER SubjectPublicKeyInfo: equal fingerprints are the same key.
  std::string fingerprint;
};
using KeyPtr = std::shared_ptr<const VerificationKey>;

struct ParsedJwks {
  std::vector<KeyPtr> keys;
  // Keys left out, with why ("kid 'x': alg 'RS384' is not supported"), for the log.
  std::vector<std::string> skipped;
};

// Parses a JWKS document. Keys that are not signature keys (use other than "sig", key_ops
// without "verify"), of an unsupported type or alg, with private or symmetric material, or with
// a kid already seen are skipped (and listed); a document that is not JSON, has no "keys" array,
// has more than `max_keys` entries or is larger than `max_bytes` is an InvalidArgument.
// A document without any usable key is an InvalidArgument too: it would refuse every token,
// which a refresh must not do on the strength of one broken response.
absl::StatusOr<ParsedJwks> ParseJwks(absl::string_view document, size_t max_keys, size_t max_bytes);

// A PEM SubjectPublicKeyInfo: EC P-256 -> ES256, RSA (2048-8192 bits) -> RS256; no kid.
// InvalidArgument naming the problem (a private key, a certificate, another curve, ...).
absl::StatusOr<KeyPtr> KeyFromPem(absl::string_view pem);

// True if `signature` (the JOSE encoding: R||S for ES256, the RSA block for RS256/PS256) signs
// `signing_input` with `key` under key.alg. Never throws; clears OpenSSL's error queue.
bool SignatureVerifies(const VerificationKey& key, absl::string_view signing_input,
                       absl::string_view signature);

}  // namespace advocacy::auth::internal
