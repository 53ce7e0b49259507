#pragma once

// What an identity provider does, for the auth tests: key pairs generated in the test (RSA 2048,
// P-256), their public JWKs, and JWS signatures (RS256, PS256, ES256) made with OpenSSL alone,
// so the verifier is checked against an independent implementation of the JOSE encodings.

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace advocacy::auth::testing {

using Json = nlohmann::json;

struct TestKey {
  std::string kid;
  std::string alg;          // what it signs with: "RS256", "PS256" or "ES256"
  std::string private_pem;  // PKCS#8
  std::string public_pem;   // SubjectPublicKeyInfo
  Json jwk;                 // the public JWK: kty, kid, use "sig", alg, and n/e or crv/x/y
};

// A new RSA key (2048 bits unless said otherwise) for RS256 or PS256.
TestKey MakeRsaKey(const std::string& kid, const std::string& alg = "RS256", int bits = 2048);
// A new P-256 key for ES256.
TestKey MakeEcKey(const std::string& kid);

// {"keys": [jwk, ...]}
Json Jwks(const std::vector<const TestKey*>& keys);

// A compact JWS of `payload` with `header` as given (its alg is not looked at), signed with
// `key`'s private key under `sign_alg`.
std::string SignWith(const TestKey& key, absl::string_view sign_alg, const Json& header,
                     const Json& payload);
// The usual case: header {"alg": key.alg, "typ": "JWT", "kid": key.kid}, signed under key.alg.
std::string Sign(const TestKey& key, const Json& payload);

std::string B64(absl::string_view data);

}  // namespace advocacy::auth::testing
