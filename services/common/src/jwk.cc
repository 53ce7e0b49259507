#include "jwk.h"

#include <openssl/core_names.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <array>
#include <climits>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "advocacy/common/status_macros.h"
#include "nlohmann/json.hpp"

namespace advocacy::auth::internal {
namespace {

using Json = nlohmann::json;

constexpr size_t kP256CoordinateBytes = 32;
constexpr size_t kEs256SignatureBytes = 64;  // JOSE R||S, not DER.
constexpr size_t kMaxRsaExponentBytes = 4;

// Fetched once: an implicit fetch per verification would cost a lock and a lookup each time.
const EVP_MD* Sha256() {
  static EVP_MD* const kSha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return kSha256;
}

absl::Status Invalid(absl::string_view what) { return absl::InvalidArgumentError(what); }

// A kid is shown in logs and errors: bounded and escaped.
std::string ShownKid(absl::string_view kid) {
  return absl::StrCat("kid '", absl::CHexEscape(kid.substr(0, 64)), kid.size() > 64 ? "...'" : "'");
}

absl::StatusOr<std::string> Base64UrlMember(const Json& jwk, const char* name) {
  auto it = jwk.find(name);
  if (it == jwk.end() || !it->is_string()) {
    return Invalid(absl::StrCat("member '", name, "' is missing or not a string"));
  }
  std::string bytes;
  if (!absl::WebSafeBase64Unescape(it->get_ref<const std::string&>(), &bytes) || bytes.empty()) {
    return Invalid(absl::StrCat("member '", name, "' is not base64url"));
  }
  return bytes;
}

BnPtr ToBignum(const std::string& big_endian) {
  return BnPtr(BN_bin2bn(reinterpret_cast<const unsigned char*>(big_endian.data()),
                         static_cast<int>(big_endian.size()), nullptr));
}

// EVP_PKEY_fromdata with `build` filling the parameters, then OpenSSL's public-key check (an EC
// point on the curve, a plausible RSA modulus and exponent).
template <typename Build>
absl::StatusOr<PkeyPtr> KeyFromParams(const char* type, Build build) {
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (bld == nullptr || !build(bld.get())) {
    return Invalid(absl::StrCat("cannot build the key (OpenSSL: ", TakeOpenSslError(), ")"));
  }
  ParamPtr params(OSSL_PARAM_BLD_to_param(bld.get()));
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* raw = nullptr;
  if (params == nullptr || ctx == nullptr || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return Invalid(
        absl::StrCat("not a valid ", type, " public key (OpenSSL: ", TakeOpenSslError(), ")"));
  }
  PkeyPtr key(raw);
  PkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  if (check == nullptr || EVP_PKEY_public_check(check.get()) != 1) {
    return Invalid(absl::StrCat("the ", type, " public key fails OpenSSL's key check (",
                                TakeOpenSslError(), ")"));
  }
  return key;
}

absl::Status CheckRsaSize(const EVP_PKEY* key) {
  const int bits = EVP_PKEY_get_bits(key);
  if (bits < kMinRsaBits || bits > kMaxRsaBits) {
    return Invalid(absl::StrCat("RSA key of ", bits, " bits; ", kMinRsaBits, " to ", kMaxRsaBits,
                                " are accepted"));
  }
  return absl::OkStatus();
}

absl::StatusOr<PkeyPtr> RsaFromJwk(const Json& jwk) {
  ASSIGN_OR_RETURN(const std::string n, Base64UrlMember(jwk, "n"));
  ASSIGN_OR_RETURN(const std::string e, Base64UrlMember(jwk, "e"));
  if (n.size() > kMaxRsaBits / 8 + 1) return Invalid("RSA modulus is too large");
  // A small odd exponent (65537 in practice) keeps verification cheap even for forged tokens.
  const auto last = static_cast<unsigned char>(e.back());
  if (e.size() > kMaxRsaExponentBytes || (last & 1U) == 0 || (e.size() == 1 && last < 3)) {
    return Invalid("RSA exponent must be odd, at least 3 and at most 32 bits");
  }
  BnPtr modulus = ToBignum(n);
  BnPtr exponent = ToBignum(e);
  if (modulus == nullptr || exponent == nullptr) return Invalid("cannot read the RSA numbers");
  ASSIGN_OR_RETURN(PkeyPtr key, KeyFromParams("RSA", [&](OSSL_PARAM_BLD* bld) {
                     return OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, modulus.get()) ==
                                1 &&
                            OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, exponent.get()) == 1;
                   }));
  RETURN_IF_ERROR(CheckRsaSize(key.get()));
  return key;
}

absl::StatusOr<PkeyPtr> P256FromJwk(const Json& jwk) {
  ASSIGN_OR_RETURN(const std::string x, Base64UrlMember(jwk, "x"));
  ASSIGN_OR_RETURN(const std::string y, Base64UrlMember(jwk, "y"));
  // RFC 7518 6.2.1.2: the full coordinate length, leading zeros included.
  if (x.size() != kP256CoordinateBytes || y.size() != kP256CoordinateBytes) {
    return Invalid("P-256 coordinates must be 32 bytes each");
  }
  std::string point = "\x04";  // uncompressed SEC1 point
  point += x;
  point += y;
  return KeyFromParams("EC", [&](OSSL_PARAM_BLD* bld) {
    static constexpr char kGroup[] = "prime256v1";
    return OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, kGroup, 0) == 1 &&
           OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                            point.size()) == 1;
  });
}

absl::StatusOr<std::string> DerPublicKey(const EVP_PKEY* key) {
  unsigned char* der = nullptr;
  const int length = i2d_PUBKEY(key, &der);
  const OpenSslBytes owner(der);
  if (length <= 0) {
    return absl::InternalError(
        absl::StrCat("cannot encode a public key (", TakeOpenSslError(), ")"));
  }
  return std::string(reinterpret_cast<const char*>(der), static_cast<size_t>(length));
}

absl::StatusOr<KeyPtr> MakeKey(std::string kid, JwsAlg alg, PkeyPtr pkey) {
  ASSIGN_OR_RETURN(const std::string der, DerPublicKey(pkey.get()));
  auto key = std::make_shared<VerificationKey>();
  key->fingerprint = absl::StrCat(kid, "\x1f", JwsAlgName(alg), "\x1f", der);
  key->kid = std::move(kid);
  key->alg = alg;
  key->key = std::move(pkey);
  return key;
}

// Whether the JWK is meant for verifying signatures (RFC 7517 4.2, 4.3).
absl::Status CheckUse(const Json& jwk) {
  if (auto use = jwk.find("use"); use != jwk.end() && *use != "sig") {
    return Invalid("'use' is not \"sig\"");
  }
  if (auto ops = jwk.find("key_ops"); ops != jwk.end()) {
    if (!ops->is_array()) return Invalid("'key_ops' is not an array");
    bool verify = false;
    for (const Json& op : *ops) verify = verify || op == "verify";
    if (!verify) return Invalid("'key_ops' does not include \"verify\"");
  }
  // A JWKS is public: private or symmetric material means a misconfigured provider.
  for (const char* secret : {"d", "p", "q", "dp", "dq", "qi", "k"}) {
    if (jwk.contains(secret)) {
      return Invalid(absl::StrCat("holds private or symmetric key material ('", secret,
                                  "'); such a key is never trusted"));
    }
  }
  return absl::OkStatus();
}

// The algorithm the key is pinned to: its alg, or from its type when alg is absent.
absl::StatusOr<JwsAlg> PinnedAlg(const Json& jwk, const std::string& kty, const std::string& crv) {
  if (auto alg = jwk.find("alg"); alg != jwk.end()) {
    if (!alg->is_string()) return Invalid("'alg' is not a string");
    const std::optional<JwsAlg> parsed = ParseJwsAlg(alg->get_ref<const std::string&>());
    if (!parsed) {
      return Invalid(absl::StrCat("alg '", absl::CHexEscape(alg->get<std::string>().substr(0, 16)),
                                  "' is not supported (RS256, PS256, ES256 are)"));
    }
    const bool rsa = *parsed != JwsAlg::kEs256;
    if (rsa ? kty != "RSA" : (kty != "EC" || crv != "P-256")) {
      return Invalid(absl::StrCat("alg ", JwsAlgName(*parsed), " does not fit a key of type '",
                                  absl::CHexEscape(kty.substr(0, 16)), "'"));
    }
    return *parsed;
  }
  if (kty == "RSA") return JwsAlg::kRs256;
  if (kty == "EC" && crv == "P-256") return JwsAlg::kEs256;
  return Invalid(absl::StrCat(
      "key type '", absl::CHexEscape(kty.substr(0, 16)), "'",
      crv.empty() ? "" : absl::StrCat(" on curve '", absl::CHexEscape(crv.substr(0, 16)), "'"),
      " is not supported (RSA, EC P-256 are)"));
}

absl::StatusOr<KeyPtr> KeyFromJwk(const Json& jwk, std::string kid) {
  if (!jwk.is_object()) return Invalid("not a JSON object");
  RETURN_IF_ERROR(CheckUse(jwk));
  auto kty = jwk.find("kty");
  if (kty == jwk.end() || !kty->is_string()) return Invalid("'kty' is missing");
  std::string crv;
  if (auto it = jwk.find("crv"); it != jwk.end() && it->is_string()) crv = it->get<std::string>();
  ASSIGN_OR_RETURN(const JwsAlg alg, PinnedAlg(jwk, kty->get<std::string>(), crv));
  ASSIGN_OR_RETURN(PkeyPtr pkey, alg == JwsAlg::kEs256 ? P256FromJwk(jwk) : RsaFromJwk(jwk));
  return MakeKey(std::move(kid), alg, std::move(pkey));
}

absl::StatusOr<std::string> KidOf(const Json& jwk) {
  if (!jwk.is_object()) return std::string();
  auto kid = jwk.find("kid");
  if (kid == jwk.end()) return std::string();
  if (!kid->is_string() || kid->get_ref<const std::string&>().empty() ||
      kid->get_ref<const std::string&>().size() > kMaxKidBytes) {
    return Invalid(absl::StrCat("'kid' is not a string of 1-", kMaxKidBytes, " bytes"));
  }
  return kid->get<std::string>();
}

absl::StatusOr<PkeyPtr> ReadPemPublicKey(absl::string_view pem) {
  if (pem.empty()) return Invalid("the public key PEM is empty");
  if (pem.size() > INT_MAX) return Invalid("the public key PEM is implausibly large");
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (bio == nullptr) return absl::ResourceExhaustedError("cannot buffer the public key PEM");
  PkeyPtr key(PEM_read_bio_PUBKEY(bio.get(), nullptr, NoPassphrase, nullptr));
  if (key != nullptr) return key;
  const std::string detail = TakeOpenSslError();
  if (absl::StrContains(pem, "PRIVATE KEY")) {
    return Invalid(
        "the configured JWT public key is a PRIVATE key; give services only the identity "
        "provider's public key (PEM 'BEGIN PUBLIC KEY', e.g. `openssl ec -in key.pem -pubout`)");
  }
  if (absl::StrContains(pem, "BEGIN CERTIFICATE")) {
    return Invalid(
        "the configured JWT public key is a certificate; extract its key with "
        "`openssl x509 -in cert.pem -pubkey -noout`");
  }
  return Invalid(absl::StrCat(
      "the public key is not a parsable unencrypted PEM 'BEGIN PUBLIC KEY' (OpenSSL: ", detail,
      ")"));
}

// JOSE carries the fixed-width r||s pair; OpenSSL verifies the DER ECDSA-Sig-Value.
std::optional<std::string> JoseToDer(absl::string_view jose) {
  if (jose.size() != kEs256SignatureBytes) return std::nullopt;
  const auto* bytes = reinterpret_cast<const unsigned char*>(jose.data());
  constexpr int kHalf = static_cast<int>(kEs256SignatureBytes / 2);
  EcdsaSigPtr sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(bytes, kHalf, nullptr);
  BIGNUM* s = BN_bin2bn(bytes + kHalf, kHalf, nullptr);
  if (sig == nullptr || r == nullptr || s == nullptr || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return std::nullopt;
  }
  unsigned char* der = nullptr;
  const int length = i2d_ECDSA_SIG(sig.get(), &der);
  const OpenSslBytes owner(der);
  if (length <= 0) return std::nullopt;
  return std::string(reinterpret_cast<const char*>(der), static_cast<size_t>(length));
}

}  // namespace

absl::string_view JwsAlgName(JwsAlg alg) {
  switch (alg) {
    case JwsAlg::kRs256:
      return "RS256";
    case JwsAlg::kPs256:
      return "PS256";
    case JwsAlg::kEs256:
      return "ES256";
  }
  return "unknown";
}

std::optional<JwsAlg> ParseJwsAlg(absl::string_view name) {
  for (JwsAlg alg : {JwsAlg::kRs256, JwsAlg::kPs256, JwsAlg::kEs256}) {
    if (name == JwsAlgName(alg)) return alg;
  }
  return std::nullopt;
}

absl::StatusOr<ParsedJwks> ParseJwks(absl::string_view document, size_t max_keys,
                                     size_t max_bytes) {
  if (document.size() > max_bytes) {
    return Invalid(
        absl::StrCat("the JWKS is ", document.size(), " bytes, more than the limit ", max_bytes));
  }
  const Json parsed = Json::parse(document.begin(), document.end(), nullptr,
                                  /*allow_exceptions=*/false);
  if (!parsed.is_object()) return Invalid("the JWKS is not a JSON object");
  auto keys = parsed.find("keys");
  if (keys == parsed.end() || !keys->is_array()) return Invalid("the JWKS has no 'keys' array");
  if (keys->size() > max_keys) {
    return Invalid(
        absl::StrCat("the JWKS has ", keys->size(), " keys, more than the limit ", max_keys));
  }
  ParsedJwks out;
  absl::flat_hash_set<std::string> kids;
  for (size_t i = 0; i < keys->size(); ++i) {
    const Json& jwk = (*keys)[i];
    absl::StatusOr<std::string> kid = KidOf(jwk);
    const std::string name = kid.ok() && !kid->empty() ? ShownKid(*kid) : absl::StrCat("key #", i);
    absl::StatusOr<KeyPtr> key =
        kid.ok() ? KeyFromJwk(jwk, *kid) : absl::StatusOr<KeyPtr>(kid.status());
    if (key.ok() && !kid->empty() && !kids.insert(*kid).second) {
      key = Invalid("the kid appears earlier in the JWKS");
    }
    if (!key.ok()) {
      out.skipped.push_back(absl::StrCat(name, ": ", key.status().message()));
      continue;
    }
    out.keys.push_back(*std::move(key));
  }
  if (out.keys.empty()) {
    return Invalid(absl::StrCat("the JWKS holds no usable signature key",
                                out.skipped.empty() ? "" : " (", absl::StrJoin(out.skipped, "; "),
                                out.skipped.empty() ? "" : ")"));
  }
  return out;
}

absl::StatusOr<KeyPtr> KeyFromPem(absl::string_view pem) {
  ASSIGN_OR_RETURN(PkeyPtr pkey, ReadPemPublicKey(pem));
  if (EVP_PKEY_is_a(pkey.get(), "RSA")) {
    RETURN_IF_ERROR(CheckRsaSize(pkey.get()));
    return MakeKey("", JwsAlg::kRs256, std::move(pkey));
  }
  if (!EVP_PKEY_is_a(pkey.get(), "EC")) {
    const char* type = EVP_PKEY_get0_type_name(pkey.get());
    return Invalid(absl::StrCat("the public key is a ", type != nullptr ? type : "unknown",
                                " key; ES256 needs an EC P-256 key (or RS256 an RSA key)"));
  }
  std::array<char, 80> group{};
  size_t group_length = 0;
  if (EVP_PKEY_get_group_name(pkey.get(), group.data(), group.size(), &group_length) != 1 ||
      absl::string_view(group.data(), group_length) != "prime256v1") {
    ERR_clear_error();
    return Invalid(absl::StrCat("the public key is on EC curve '",
                                absl::string_view(group.data(), group_length),
                                "', but ES256 needs P-256 (prime256v1)"));
  }
  return MakeKey("", JwsAlg::kEs256, std::move(pkey));
}

bool SignatureVerifies(const VerificationKey& key, absl::string_view signing_input,
                       absl::string_view signature) {
  std::string der;
  absl::string_view checked = signature;
  if (key.alg == JwsAlg::kEs256) {
    std::optional<std::string> converted = JoseToDer(signature);
    if (!converted) {
      ERR_clear_error();
      return false;
    }
    der = *std::move(converted);
    checked = der;
  } else if (signature.size() != static_cast<size_t>(EVP_PKEY_get_size(key.key.get()))) {
    return false;  // RFC 7518 3.3/3.5: exactly the modulus length.
  }
  MdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;  // owned by ctx
  bool verified = ctx != nullptr && Sha256() != nullptr &&
                  EVP_DigestVerifyInit(ctx.get(), &pctx, Sha256(), nullptr, key.key.get()) == 1;
  if (verified && key.alg == JwsAlg::kPs256) {
    // RFC 7518 3.5: MGF1 with SHA-256 and a salt as long as the hash.
    verified = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
               EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, Sha256()) == 1 &&
               EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1;
  }
  verified =
      verified &&
      EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(checked.data()),
                       checked.size(), reinterpret_cast<const unsigned char*>(signing_input.data()),
                       signing_input.size()) == 1;
  // A failed verification leaves entries on this thread's OpenSSL error queue.
  if (!verified) ERR_clear_error();
  return verified;
}

}  // namespace advocacy::auth::internal
