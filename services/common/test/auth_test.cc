#include "advocacy/common/auth.h"

#include <gtest/gtest.h>
#include <jwt.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "nlohmann/json.hpp"

namespace advocacy::auth {
namespace {

using Json = nlohmann::json;
using std::chrono::seconds;
using std::chrono::system_clock;

const std::string kIssuer = "https://idp.example.com";  // NOLINT(cert-err58-cpp)
const std::string kAudience = "advocacy";               // NOLINT(cert-err58-cpp)

struct PkeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;

PkeyPtr ReadPrivateKey(const std::string& pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
  return PkeyPtr(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
}

PkeyPtr ReadPublicKey(const std::string& pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
  return PkeyPtr(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
}

std::string B64(absl::string_view data) { return absl::WebSafeBase64Escape(data); }

// What an external identity provider does: ES256 over "header.payload" with the JOSE R||S
// signature encoding. Built on OpenSSL alone, so it checks libjwt's interoperability.
std::string SignEs256(const Json& header, const Json& payload, const std::string& private_pem) {
  const std::string input = B64(header.dump()) + "." + B64(payload.dump());
  PkeyPtr key = ReadPrivateKey(private_pem);
  EXPECT_NE(key, nullptr);
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  size_t der_length = 0;
  EXPECT_EQ(EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()), 1);
  EXPECT_EQ(EVP_DigestSign(ctx.get(), nullptr, &der_length,
                           reinterpret_cast<const unsigned char*>(input.data()), input.size()),
            1);
  std::vector<unsigned char> der(der_length);
  EXPECT_EQ(EVP_DigestSign(ctx.get(), der.data(), &der_length,
                           reinterpret_cast<const unsigned char*>(input.data()), input.size()),
            1);
  const unsigned char* cursor = der.data();
  std::unique_ptr<ECDSA_SIG, decltype(&ECDSA_SIG_free)> sig(
      d2i_ECDSA_SIG(nullptr, &cursor, static_cast<long>(der_length)), &ECDSA_SIG_free);
  EXPECT_NE(sig, nullptr);
  std::array<unsigned char, 64> raw{};
  BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), raw.data(), 32);
  BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), raw.data() + 32, 32);
  return input + "." +
         B64(absl::string_view(reinterpret_cast<const char*>(raw.data()), raw.size()));
}

// The reverse direction: a token we mint must verify in any standard ES256 implementation.
bool VerifyEs256WithOpenSsl(const std::string& token, const std::string& public_pem) {
  const std::vector<std::string> parts = absl::StrSplit(token, '.');
  if (parts.size() != 3) return false;
  std::string raw;
  if (!absl::WebSafeBase64Unescape(parts[2], &raw) || raw.size() != 64) return false;
  std::unique_ptr<ECDSA_SIG, decltype(&ECDSA_SIG_free)> sig(ECDSA_SIG_new(), &ECDSA_SIG_free);
  const auto* bytes = reinterpret_cast<const unsigned char*>(raw.data());
  ECDSA_SIG_set0(sig.get(), BN_bin2bn(bytes, 32, nullptr), BN_bin2bn(bytes + 32, 32, nullptr));
  unsigned char* der = nullptr;
  const int der_length = i2d_ECDSA_SIG(sig.get(), &der);
  const std::string input = parts[0] + "." + parts[1];
  PkeyPtr key = ReadPublicKey(public_pem);
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  const bool ok =
      EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) == 1 &&
      EVP_DigestVerify(ctx.get(), der, static_cast<size_t>(der_length),
                       reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
  OPENSSL_free(der);
  return ok;
}

std::string SignHs256(const Json& header, const Json& payload, absl::string_view secret) {
  const std::string input = B64(header.dump()) + "." + B64(payload.dump());
  std::array<unsigned char, 32> mac{};
  unsigned int mac_length = mac.size();
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac.data(), &mac_length);
  return input + "." +
         B64(absl::string_view(reinterpret_cast<const char*>(mac.data()), mac_length));
}

int64_t RealNow() {
  return std::chrono::duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
}

class AuthTest : public ::testing::Test {
 protected:
  // Generated once: key generation is the slow part, and no private key is committed.
  static void SetUpTestSuite() {
    auto idp = GenerateKeyPair();
    ASSERT_TRUE(idp.ok()) << idp.status();
    idp_private_ = idp->first;
    idp_public_ = idp->second;
    auto other = GenerateKeyPair();
    ASSERT_TRUE(other.ok()) << other.status();
    other_private_ = other->first;
  }

  void SetUp() override { now_->store(RealNow()); }

  [[nodiscard]] VerifierOptions Options(size_t cache_capacity = 1000) const {
    VerifierOptions options;
    options.public_key_pem = idp_public_;
    options.issuer = kIssuer;
    options.audience = kAudience;
    options.cache_capacity = cache_capacity;
    options.clock = [now = now_] { return system_clock::time_point(seconds(now->load())); };
    return options;
  }

  [[nodiscard]] std::unique_ptr<TokenVerifier> MakeVerifier(size_t cache_capacity = 1000) const {
    auto verifier = TokenVerifier::Create(Options(cache_capacity));
    EXPECT_TRUE(verifier.ok()) << verifier.status();
    return verifier.ok() ? std::move(*verifier) : nullptr;
  }

  [[nodiscard]] Json Claims() const {
    return Json{{"iss", kIssuer},
                {"aud", kAudience},
                {"sub", "emp-42"},
                {"tenant", "acme"},
                {"role", "employee"},
                {"iat", now_->load()},
                {"exp", now_->load() + 600},
                {"jti", "abc123"}};
  }

  static Json Es256Header() { return Json{{"alg", "ES256"}, {"typ", "JWT"}}; }

  [[nodiscard]] std::string Sign(const Json& claims) const {
    return SignEs256(Es256Header(), claims, idp_private_);
  }

  // Asserts an Unauthenticated rejection that explains itself and does not leak the token.
  void ExpectRejected(const TokenVerifier& verifier, const std::string& token,
                      absl::string_view expected_text) const {
    absl::StatusOr<Principal> result = verifier.Verify("Bearer " + token);
    ASSERT_FALSE(result.ok()) << "token was accepted; expected: " << expected_text;
    EXPECT_EQ(result.status().code(), absl::StatusCode::kUnauthenticated) << result.status();
    EXPECT_TRUE(absl::StrContains(result.status().message(), expected_text))
        << "message: " << result.status().message() << "\nexpected to contain: " << expected_text;
    for (absl::string_view part : absl::StrSplit(token, '.')) {
      if (part.size() >= 8) {
        EXPECT_FALSE(absl::StrContains(result.status().message(), part))
            << "message echoes the token: " << result.status().message();
      }
    }
  }

  std::shared_ptr<std::atomic<int64_t>> now_ = std::make_shared<std::atomic<int64_t>>(0);
  static inline std::string idp_private_;    // NOLINT(cert-err58-cpp)
  static inline std::string idp_public_;     // NOLINT(cert-err58-cpp)
  static inline std::string other_private_;  // NOLINT(cert-err58-cpp)
};

// --- Verification: the happy path --------------------------------------------------------------

TEST_F(AuthTest, MintedTokenVerifiesToItsPrincipal) {
  auto verifier = MakeVerifier();
  MintOptions mint{
      idp_private_, kIssuer, kAudience, {"acme", "emp-42", Role::kEmployee, 0}, seconds(600)};
  absl::StatusOr<std::string> token = MintToken(mint);
  ASSERT_TRUE(token.ok()) << token.status();

  for (const std::string& header : {"Bearer " + *token, "bearer " + *token, "BEARER   " + *token,
                                    *token, "  Bearer " + *token + " "}) {
    absl::StatusOr<Principal> principal = verifier->Verify(header);
    ASSERT_TRUE(principal.ok()) << principal.status();
    EXPECT_EQ(principal->tenant_id, "acme");
    EXPECT_EQ(principal->subject, "emp-42");
    EXPECT_EQ(principal->role, Role::kEmployee);
    EXPECT_NEAR(static_cast<double>(principal->expires_at), static_cast<double>(RealNow() + 600),
                5);
  }
}

TEST_F(AuthTest, MintedTokenIsStandardEs256) {
  absl::StatusOr<std::string> token =
      MintToken({idp_private_, kIssuer, kAudience, {"acme", "svc-consent", Role::kService, 0}});
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_TRUE(VerifyEs256WithOpenSsl(*token, idp_public_));
}

TEST_F(AuthTest, AcceptsTokenSignedByAnotherEs256Implementation) {
  auto verifier = MakeVerifier();
  Json claims = Claims();
  claims["role"] = "admin";
  claims["nbf"] = now_->load() - 5;
  absl::StatusOr<Principal> principal = verifier->Verify("Bearer " + Sign(claims));
  ASSERT_TRUE(principal.ok()) << principal.status();
  EXPECT_EQ(principal->role, Role::kAdmin);
  EXPECT_EQ(principal->expires_at, now_->load() + 600);
}

TEST_F(AuthTest, AudienceMayBeAnArray) {
  auto verifier = MakeVerifier();
  Json claims = Claims();
  claims["aud"] = Json::array({"other-api", kAudience});
  EXPECT_TRUE(verifier->Verify(Sign(claims)).ok());

  claims["aud"] = Json::array({"other-api", "third-api"});
  ExpectRejected(*verifier, Sign(claims), "is not this service");
  claims["aud"] = Json::array({"other-api", 7});
  ExpectRejected(*verifier, Sign(claims), "non-string");
}

TEST_F(AuthTest, PlatformServiceMayCarryAnyTenant) {
  auto verifier = MakeVerifier();
  Json claims = Claims();
  claims["tenant"] = "*";
  claims["role"] = "service";
  claims["sub"] = "notifications";
  absl::StatusOr<Principal> principal = verifier->Verify(Sign(claims));
  ASSERT_TRUE(principal.ok()) << principal.status();
  EXPECT_EQ(principal->tenant_id, "*");

  claims["role"] = "admin";
  ExpectRejected(*verifier, Sign(claims), "tenant '*' is allowed only for role service");
}

// The OAuth scopes of a token (RFC 9068 "scope", space-separated, or an array) become the
// principal's, sorted and unique; a scope that is not a short visible string refuses the token.
TEST_F(AuthTest, ScopesAreMappedIntoThePrincipal) {
  auto verifier = MakeVerifier();
  Json claims = Claims();
  claims["role"] = "service";
  claims["scope"] = "consent:withdraw consent:check  consent:check";
  absl::StatusOr<Principal> principal = verifier->Verify(Sign(claims));
  ASSERT_TRUE(principal.ok()) << principal.status();
  EXPECT_EQ(principal->scopes, (std::vector<std::string>{"consent:check", "consent:withdraw"}));

  claims["scope"] = Json::array({"b", "a"});
  principal = verifier->Verify(Sign(claims));
  ASSERT_TRUE(principal.ok()) << principal.status();
  EXPECT_EQ(principal->scopes, (std::vector<std::string>{"a", "b"}));

  claims.erase("scope");
  principal = verifier->Verify(Sign(claims));
  ASSERT_TRUE(principal.ok()) << principal.status();
  EXPECT_TRUE(principal->scopes.empty());

  claims["scope"] = 7;
  ExpectRejected(*verifier, Sign(claims), "neither a string nor an array");
  claims["scope"] = Json::array({"ok", std::string(200, 'x')});
  ExpectRejected(*verifier, Sign(claims), "is not 1-128 visible ASCII bytes");

  // MintToken writes the principal's scopes.
  Principal svc{"acme", "notifications", Role::kService, 0, {"consent:check"}};
  absl::StatusOr<std::string> token = MintToken({idp_private_, kIssuer, kAudience, svc});
  ASSERT_TRUE(token.ok()) << token.status();
  principal = verifier->Verify(*token);
  ASSERT_TRUE(principal.ok()) << principal.status();
  EXPECT_EQ(principal->scopes, std::vector<std::string>{"consent:check"});
}

TEST_F(AuthTest, LeewayToleratesSmallClockSkew) {
  auto verifier = MakeVerifier();
  Json claims = Claims();
  claims["exp"] = now_->load() - 10;  // Expired 10 s ago; leeway is 30 s.
  claims["nbf"] = now_->load() + 10;
  EXPECT_TRUE(verifier->Verify(Sign(claims)).ok());
}

// --- Verification: every way a header or token can be wrong -----------------------------------

TEST_F(AuthTest, RejectsMissingOrMalformedHeader) {
  auto verifier = MakeVerifier();
  struct Case {
    std::string header;
    absl::string_view expected;
  };
  const std::vector<Case> cases = {
      {"", "no bearer token"},
      {"   ", "no bearer token"},
      {"Bearer", "no bearer token"},
      {"Bearer   ", "no bearer token"},
      {"Basic dXNlcjpwYXNz", "scheme 'Basic' is not supported"},
      {"Bearer a.b.c extra", "text after the token"},
      {"Bearer not-a-jwt", "malformed token"},
      {"Bearer a.b", "malformed token"},
      {"Bearer a.b.c.d", "malformed token"},
      {"Bearer a+b.c/d.e", "malformed token"},
      {"Bearer .abc.def", "empty header or payload"},
      {"Bearer " + B64("not json") + "." + B64("{}") + ".sig", "header is not a JSON object"},
      {"Bearer " + std::string(9000, 'a'), "longer than 8192 bytes"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<Principal> result = verifier->Verify(c.header);
    ASSERT_FALSE(result.ok()) << c.header.substr(0, 80);
    EXPECT_EQ(result.status().code(), absl::StatusCode::kUnauthenticated);
    EXPECT_TRUE(absl::StrContains(result.status().message(), c.expected))
        << "header: " << c.header.substr(0, 80) << "\nmessage: " << result.status().message();
  }
}

TEST_F(AuthTest, RejectsTokenSignedByAnotherKey) {
  auto verifier = MakeVerifier();
  ExpectRejected(*verifier, SignEs256(Es256Header(), Claims(), other_private_),
                 "signature does not verify");
}

TEST_F(AuthTest, RejectsAlteredToken) {
  auto verifier = MakeVerifier();
  const std::string good = Sign(Claims());
  std::vector<std::string> parts = absl::StrSplit(good, '.');

  Json escalated = Claims();
  escalated["role"] = "admin";
  ExpectRejected(*verifier, parts[0] + "." + B64(escalated.dump()) + "." + parts[2],
                 "signature does not verify");

  std::string flipped = parts[2];
  flipped[10] = flipped[10] == 'A' ? 'B' : 'A';
  ExpectRejected(*verifier, parts[0] + "." + parts[1] + "." + flipped, "signature does not verify");
  ExpectRejected(*verifier, parts[0] + "." + parts[1] + "." + parts[2].substr(0, 40),
                 "signature does not verify");
}

TEST_F(AuthTest, RejectsAlgNone) {
  auto verifier = MakeVerifier();
  const Json header = {{"alg", "none"}, {"typ", "JWT"}};
  const std::string token = B64(header.dump()) + "." + B64(Claims().dump()) + ".";
  ExpectRejected(*verifier, token, "alg 'none' is not accepted");
  // Some attacks add a junk signature to get past "has three segments" checks.
  ExpectRejected(*verifier, token + B64("junk-signature"), "alg 'none' is not accepted");
}

TEST_F(AuthTest, RejectsMissingAlg) {
  auto verifier = MakeVerifier();
  ExpectRejected(*verifier, SignEs256(Json{{"typ", "JWT"}}, Claims(), idp_private_),
                 "header has no 'alg'");
}

// The classic key-confusion attack: HMAC-SHA256 keyed with the (public) verification PEM.
TEST_F(AuthTest, RejectsHs256SignedWithThePublicKey) {
  auto verifier = MakeVerifier();
  const Json header = {{"alg", "HS256"}, {"typ", "JWT"}};
  const std::string token = SignHs256(header, Claims(), idp_public_);
  ExpectRejected(*verifier, token, "alg 'HS256' is not accepted");

  // Why the explicit alg check exists: libjwt 1.10 on its own accepts this forgery.
  jwt_t* raw = nullptr;
  const int rc =
      jwt_decode(&raw, token.c_str(), reinterpret_cast<const unsigned char*>(idp_public_.data()),
                 static_cast<int>(idp_public_.size()));
  EXPECT_EQ(rc, 0) << "libjwt no longer accepts HS256-with-PEM; the pre-check is still needed";
  jwt_free(raw);
}

TEST_F(AuthTest, RejectsOtherAsymmetricAlgs) {
  auto verifier = MakeVerifier();
  for (const char* alg : {"ES384", "EdDSA", "es256", "RS512"}) {
    Json header = {{"alg", alg}, {"typ", "JWT"}};
    ExpectRejected(*verifier, SignEs256(header, Claims(), idp_private_),
                   absl::StrCat("alg '", alg, "' is not accepted"));
  }
  // Algorithms the verifier knows, but not this key's: the static P-256 key is pinned to ES256.
  for (const char* alg : {"RS256", "PS256"}) {
    Json header = {{"alg", alg}, {"typ", "JWT"}};
    ExpectRejected(*verifier, SignEs256(header, Claims(), idp_private_),
                   absl::StrCat("alg '", alg, "' is not the algorithm of its key (ES256)"));
  }
}

TEST_F(AuthTest, ChecksExplicitTypeAndCriticalHeaders) {
  auto verifier = MakeVerifier();
  auto sign_with = [&](const Json& header) { return SignEs256(header, Claims(), idp_private_); };
  for (const char* typ : {"JWT", "jwt", "at+jwt", "application/at+JWT"}) {
    EXPECT_TRUE(verifier->Verify(sign_with(Json{{"alg", "ES256"}, {"typ", typ}})).ok()) << typ;
  }
  EXPECT_TRUE(verifier->Verify(sign_with(Json{{"alg", "ES256"}})).ok());
  ExpectRejected(*verifier, sign_with(Json{{"alg", "ES256"}, {"typ", "logout+jwt"}}),
                 "typ 'logout+jwt' is not accepted");
  ExpectRejected(*verifier, sign_with(Json{{"alg", "ES256"}, {"crit", Json::array({"exp"})}}),
                 "critical extensions");
}

TEST_F(AuthTest, RejectsExpiredToken) {
  auto verifier = MakeVerifier();
  Json claims = Claims();
  claims["exp"] = now_->load() - 31;
  ExpectRejected(*verifier, Sign(claims), "token expired at");
  claims["exp"] = now_->load() - 30;  // Exactly at exp + leeway: already refused.
  ExpectRejected(*verifier, Sign(claims), "token expired at");
}

TEST_F(AuthTest, RejectsTokenWithoutUsableExp) {
  auto verifier = MakeVerifier();
  Json claims = Claims();
  claims.erase("exp");
  ExpectRejected(*verifier, Sign(claims), "no 'exp' claim");
  claims["exp"] = "tomorrow";
  ExpectRejected(*verifier, Sign(claims), "'exp' claim is not a number");
  claims["exp"] = static_cast<double>(now_->load() + 600) + 0.5;  // Fractional is legal.
  EXPECT_TRUE(verifier->Verify(Sign(claims)).ok());
  claims["exp"] = 1e300;  // Absurd: must not overflow, and lives far too long.
  ExpectRejected(*verifier, Sign(claims), "lives longer than");
}

TEST_F(AuthTest, RejectsTokenNotYetValid) {
  auto verifier = MakeVerifier();
  Json claims = Claims();
  claims["nbf"] = now_->load() + 300;
  ExpectRejected(*verifier, Sign(claims), "not valid before");
  claims["nbf"] = "soon";
  ExpectRejected(*verifier, Sign(claims), "'nbf' claim is not a number");
}

TEST_F(AuthTest, RejectsWrongIssuerOrAudience) {
  auto verifier = MakeVerifier();
  Json claims = Claims();
  claims["iss"] = "https://evil.example.com";
  ExpectRejected(*verifier, Sign(claims), "issuer 'https://evil.example.com' is not trusted");
  claims = Claims();
  claims.erase("iss");
  ExpectRejected(*verifier, Sign(claims), "no 'iss'");

  claims = Claims();
  claims["aud"] = "billing";
  ExpectRejected(*verifier, Sign(claims), "audience 'billing' is not this service");
  claims.erase("aud");
  ExpectRejected(*verifier, Sign(claims), "no 'aud' claim");
  claims["aud"] = 12;
  ExpectRejected(*verifier, Sign(claims), "neither a string nor an array");
}

TEST_F(AuthTest, RejectsMissingOrInvalidIdentity) {
  auto verifier = MakeVerifier();
  struct Case {
    const char* claim;
    Json value;  // null means "remove the claim".
    absl::string_view expected;
  };
  const std::vector<Case> cases = {
      {"tenant", nullptr, "no 'tenant' claim"},
      {"tenant", "", "'tenant' claim '' is not a valid id"},
      {"tenant", 17, "'tenant' claim is not a string"},
      {"tenant", "acme corp", "is not a valid id"},
      {"tenant", std::string(129, 't'), "is not a valid id"},
      {"sub", nullptr, "no 'sub' claim"},
      {"sub", "emp\n42", "is not a valid id"},
      {"sub", "caf\xc3\xa9", "is not a valid id"},
      {"role", nullptr, "no 'role' claim"},
      {"role", "superuser", "role 'superuser' is not one of"},
      {"role", "Admin", "is not one of"},
      {"role", Json::array({"superuser"}), "is not one of"},
      {"role", Json::array({"admin", 5}), "not a string"},
      {"iat", "now", "'iat' claim is not a number"},
      {"jti", 5, "'jti' claim is not a string"},
  };
  for (const Case& c : cases) {
    Json claims = Claims();
    if (c.value.is_null()) {
      claims.erase(c.claim);
    } else {
      claims[c.claim] = c.value;
    }
    SCOPED_TRACE(claims.dump());
    ExpectRejected(*verifier, Sign(claims), c.expected);
  }
  Json longest = Claims();
  longest["sub"] = std::string(128, 's');
  EXPECT_TRUE(verifier->Verify(Sign(longest)).ok());
}

// --- The cache ---------------------------------------------------------------------------------

TEST_F(AuthTest, CacheHitReturnsSamePrincipalAndNeverOutlivesExp) {
  auto verifier = MakeVerifier();
  const std::string token = Sign(Claims());
  absl::StatusOr<Principal> first = verifier->Verify("Bearer " + token);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(verifier->CachedTokenCount(), 1u);
  absl::StatusOr<Principal> second = verifier->Verify(token);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(*first, *second);
  EXPECT_EQ(verifier->CachedTokenCount(), 1u);

  now_->fetch_add(600 + 29);  // Inside the leeway: still accepted from the cache.
  EXPECT_TRUE(verifier->Verify(token).ok());
  now_->fetch_add(1);  // exp + leeway reached.
  ExpectRejected(*verifier, token, "token expired at");
  EXPECT_EQ(verifier->CachedTokenCount(), 0u);
  ExpectRejected(*verifier, token, "token expired at");  // And the cold path agrees.
}

TEST_F(AuthTest, CacheDoesNotHelpAForgedVariant) {
  auto verifier = MakeVerifier();
  const std::string token = Sign(Claims());
  ASSERT_TRUE(verifier->Verify(token).ok());
  std::vector<std::string> parts = absl::StrSplit(token, '.');
  Json escalated = Claims();
  escalated["role"] = "admin";
  ExpectRejected(*verifier, parts[0] + "." + B64(escalated.dump()) + "." + parts[2],
                 "signature does not verify");
}

TEST_F(AuthTest, CacheIsBounded) {
  auto verifier = MakeVerifier(/*cache_capacity=*/4);
  std::vector<std::string> tokens;
  for (int i = 0; i < 40; ++i) {
    Json claims = Claims();
    claims["sub"] = absl::StrCat("emp-", i);
    tokens.push_back(Sign(claims));
    ASSERT_TRUE(verifier->Verify(tokens.back()).ok());
    EXPECT_LE(verifier->CachedTokenCount(), 4u);
  }
  // Evicted tokens are simply verified again.
  for (int i = 0; i < 40; ++i) {
    absl::StatusOr<Principal> principal = verifier->Verify(tokens[static_cast<size_t>(i)]);
    ASSERT_TRUE(principal.ok()) << principal.status();
    EXPECT_EQ(principal->subject, absl::StrCat("emp-", i));
  }
  EXPECT_LE(verifier->CachedTokenCount(), 4u);
}

TEST_F(AuthTest, CacheCanBeDisabled) {
  auto verifier = MakeVerifier(/*cache_capacity=*/0);
  const std::string token = Sign(Claims());
  EXPECT_TRUE(verifier->Verify(token).ok());
  EXPECT_TRUE(verifier->Verify(token).ok());
  EXPECT_EQ(verifier->CachedTokenCount(), 0u);
}

TEST_F(AuthTest, VerifyIsThreadSafe) {
  auto verifier = MakeVerifier(/*cache_capacity=*/64);
  std::vector<std::string> tokens;
  for (int i = 0; i < 100; ++i) {
    Json claims = Claims();
    claims["sub"] = absl::StrCat("emp-", i);
    tokens.push_back(Sign(claims));
  }
  const std::string forged = SignEs256(Es256Header(), Claims(), other_private_);
  std::atomic<int> failures{0};
  constexpr int kThreads = 4;
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 3; ++round) {
        for (size_t i = 0; i < tokens.size(); ++i) {
          const std::string& token = tokens[(i * 7 + static_cast<size_t>(t) * 13) % tokens.size()];
          absl::StatusOr<Principal> principal = verifier->Verify(token);
          if (!principal.ok() || !absl::StartsWith(principal->subject, "emp-")) ++failures;
          if (verifier->Verify(forged).ok()) ++failures;
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_LE(verifier->CachedTokenCount(), 64u);
}

// Not an assertion: a record in the test log of what the cache buys on the RPC hot path.
TEST_F(AuthTest, MeasureVerifyCostColdVersusCached) {
  auto cold = MakeVerifier(/*cache_capacity=*/0);
  auto cached = MakeVerifier();
  const std::string header = "Bearer " + Sign(Claims());
  ASSERT_TRUE(cached->Verify(header).ok());
  auto per_call_us = [&](const TokenVerifier& verifier, int iterations) {
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < iterations; ++i) {
      if (!verifier.Verify(header).ok()) ADD_FAILURE() << "verify failed during measurement";
    }
    const auto elapsed = std::chrono::steady_clock::now() - start;
    return std::chrono::duration<double, std::micro>(elapsed).count() / iterations;
  };
  const double cold_us = per_call_us(*cold, 300);
  const double cached_us = per_call_us(*cached, 20000);
  // For comparison, libjwt 1.10's jwt_decode, which re-parses the PEM key on every call.
  const std::string token = header.substr(7);
  const auto start = std::chrono::steady_clock::now();
  constexpr int kLibjwtIterations = 300;
  for (int i = 0; i < kLibjwtIterations; ++i) {
    jwt_t* raw = nullptr;
    if (jwt_decode(&raw, token.c_str(), reinterpret_cast<const unsigned char*>(idp_public_.data()),
                   static_cast<int>(idp_public_.size())) != 0) {
      ADD_FAILURE() << "libjwt rejected a valid token";
    }
    jwt_free(raw);
  }
  const double libjwt_us =
      std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count() /
      kLibjwtIterations;
  std::cout << "[ measure  ] TokenVerifier::Verify cold " << cold_us << " us/call, cached "
            << cached_us << " us/call (" << cold_us / cached_us << "x); libjwt jwt_decode alone "
            << libjwt_us << " us/call" << std::endl;
  RecordProperty("libjwt_decode_us", std::to_string(libjwt_us));
  RecordProperty("verify_cold_us", std::to_string(cold_us));
  RecordProperty("verify_cached_us", std::to_string(cached_us));
}

// --- Construction and minting -----------------------------------------------------------------

TEST_F(AuthTest, CreateRejectsBadConfiguration) {
  auto expect_invalid = [](VerifierOptions options, absl::string_view expected) {
    absl::StatusOr<std::unique_ptr<TokenVerifier>> verifier =
        TokenVerifier::Create(std::move(options));
    ASSERT_FALSE(verifier.ok()) << expected;
    EXPECT_EQ(verifier.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_TRUE(absl::StrContains(verifier.status().message(), expected))
        << verifier.status().message();
  };
  VerifierOptions options = Options();
  options.public_key_pem = "";
  expect_invalid(options, "needs exactly one key source");
  options.public_key_pem = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n";
  expect_invalid(options, "not a parsable");
  options.public_key_pem = idp_private_;
  expect_invalid(options, "is a PRIVATE key");

  PkeyPtr p384(EVP_EC_gen("P-384"));
  ASSERT_NE(p384, nullptr);
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  ASSERT_EQ(PEM_write_bio_PUBKEY(bio.get(), p384.get()), 1);
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio.get(), &data);
  options.public_key_pem.assign(data, static_cast<size_t>(length));
  expect_invalid(options, "needs P-256");

  PkeyPtr ed25519(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  ASSERT_NE(ed25519, nullptr);
  std::unique_ptr<BIO, decltype(&BIO_free)> bio2(BIO_new(BIO_s_mem()), &BIO_free);
  ASSERT_EQ(PEM_write_bio_PUBKEY(bio2.get(), ed25519.get()), 1);
  const long length2 = BIO_get_mem_data(bio2.get(), &data);
  options.public_key_pem.assign(data, static_cast<size_t>(length2));
  expect_invalid(options, "ES256 needs an EC P-256 key");

  options = Options();
  options.issuer = "";
  expect_invalid(options, "issuer");
  options = Options();
  options.audience = "";
  expect_invalid(options, "audience");
  options = Options();
  options.leeway = seconds(-1);
  expect_invalid(options, "leeway");
}

TEST_F(AuthTest, MintRejectsWhatTheVerifierWouldReject) {
  MintOptions good{idp_private_, kIssuer, kAudience, {"acme", "emp-1", Role::kEmployee, 0}};
  ASSERT_TRUE(MintToken(good).ok());
  auto expect_invalid = [](const MintOptions& options) {
    absl::StatusOr<std::string> token = MintToken(options);
    ASSERT_FALSE(token.ok());
    EXPECT_EQ(token.status().code(), absl::StatusCode::kInvalidArgument) << token.status();
  };
  MintOptions bad = good;
  bad.private_key_pem = idp_public_;
  expect_invalid(bad);
  bad = good;
  bad.issuer = "";
  expect_invalid(bad);
  bad = good;
  bad.principal.tenant_id = "*";
  expect_invalid(bad);
  bad = good;
  bad.principal.subject = "has space";
  expect_invalid(bad);
  bad = good;
  bad.ttl = seconds(0);
  expect_invalid(bad);
}

TEST(AuthKeys, GenerateKeyPairGivesMatchingPemKeys) {
  auto pair = GenerateKeyPair();
  ASSERT_TRUE(pair.ok()) << pair.status();
  EXPECT_TRUE(absl::StartsWith(pair->first, "-----BEGIN PRIVATE KEY-----"));
  EXPECT_TRUE(absl::StartsWith(pair->second, "-----BEGIN PUBLIC KEY-----"));
  auto again = GenerateKeyPair();
  ASSERT_TRUE(again.ok());
  EXPECT_NE(pair->first, again->first);

  absl::StatusOr<std::string> token =
      MintToken({pair->first, "iss", "aud", {"acme", "emp-1", Role::kEmployee, 0}});
  ASSERT_TRUE(token.ok()) << token.status();
  auto verifier = TokenVerifier::Create({pair->second, "iss", "aud"});
  ASSERT_TRUE(verifier.ok()) << verifier.status();
  EXPECT_TRUE((*verifier)->Verify(*token).ok());
  auto mismatched = TokenVerifier::Create({again->second, "iss", "aud"});
  ASSERT_TRUE(mismatched.ok());
  EXPECT_FALSE((*mismatched)->Verify(*token).ok());
}

// --- Authorization -----------------------------------------------------------------------------

TEST(AuthRoles, NamesRoundTrip) {
  for (Role role : {Role::kEmployee, Role::kAdmin, Role::kService}) {
    EXPECT_EQ(ParseRole(RoleName(role)), role);
  }
  EXPECT_EQ(ParseRole("EMPLOYEE"), std::nullopt);
  EXPECT_EQ(ParseRole(""), std::nullopt);
}

TEST(AuthIds, ValidIdRule) {
  EXPECT_TRUE(IsValidId("acme-01_x.y@z"));
  EXPECT_TRUE(IsValidId(std::string(kMaxIdLength, 'a')));
  EXPECT_FALSE(IsValidId(""));
  EXPECT_FALSE(IsValidId(std::string(kMaxIdLength + 1, 'a')));
  EXPECT_FALSE(IsValidId("a b"));
  EXPECT_FALSE(IsValidId(std::string_view("a\0b", 3)));
  EXPECT_FALSE(IsValidId("\x7f"));
}

struct EmployeeCase {
  Principal principal;
  std::string tenant;
  std::string employee;
  bool allowed;
};

TEST(AuthorizeEmployeeAccessTest, Matrix) {
  const Principal employee{"acme", "emp-1", Role::kEmployee, 0};
  const Principal admin{"acme", "adm-1", Role::kAdmin, 0};
  const Principal service{"acme", "consent", Role::kService, 0};
  const Principal platform{"*", "notifications", Role::kService, 0};
  const Principal odd_employee{"*", "emp-1", Role::kEmployee, 0};  // Never minted; still denied.
  const std::vector<EmployeeCase> cases = {
      {employee, "acme", "emp-1", true},
      {employee, "acme", "emp-2", false},
      {employee, "globex", "emp-1", false},
      {employee, "globex", "emp-2", false},
      {admin, "acme", "emp-1", true},
      {admin, "acme", "adm-1", true},
      {admin, "globex", "emp-1", false},
      {service, "acme", "emp-1", true},
      {service, "globex", "emp-1", false},
      {platform, "acme", "emp-1", true},
      {platform, "globex", "emp-9", true},
      {platform, "*", "emp-1", false},
      {odd_employee, "acme", "emp-1", false},
      {admin, "", "emp-1", false},
      {admin, "acme", "", false},
      {employee, "acme", "", false},
  };
  for (const EmployeeCase& c : cases) {
    absl::Status status = AuthorizeEmployeeAccess(c.principal, c.tenant, c.employee);
    SCOPED_TRACE(absl::StrCat(std::string(RoleName(c.principal.role)), " ", c.principal.subject,
                              "@", c.principal.tenant_id, " -> ", c.employee, "@", c.tenant));
    if (c.allowed) {
      EXPECT_TRUE(status.ok()) << status;
    } else {
      EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied) << status;
      EXPECT_FALSE(status.message().empty());
    }
  }
}

TEST(AuthorizeEmployeeAccessTest, MessagesSayWhoWasRefusedWhat) {
  const Principal employee{"acme", "emp-1", Role::kEmployee, 0};
  EXPECT_EQ(AuthorizeEmployeeAccess(employee, "acme", "emp-2").message(),
            "employee 'emp-1' of tenant 'acme' may act only on themselves, not on employee "
            "'emp-2'");
  EXPECT_EQ(AuthorizeEmployeeAccess(employee, "globex", "emp-1").message(),
            "employee 'emp-1' of tenant 'acme' may not act in tenant 'globex'");
  // Request-supplied ids are escaped and bounded.
  const std::string hostile = "x\ny" + std::string(200, 'z');
  const std::string message(AuthorizeEmployeeAccess(employee, hostile, "e").message());
  EXPECT_FALSE(absl::StrContains(message, "\n"));
  EXPECT_LT(message.size(), 200u);
}

TEST(AuthorizeTenantAccessTest, Matrix) {
  const Principal employee{"acme", "emp-1", Role::kEmployee, 0};
  const Principal admin{"acme", "adm-1", Role::kAdmin, 0};
  const Principal service{"acme", "consent", Role::kService, 0};
  const Principal platform{"*", "notifications", Role::kService, 0};
  const auto admins_and_services = {Role::kAdmin, Role::kService};

  EXPECT_TRUE(AuthorizeTenantAccess(admin, "acme", admins_and_services).ok());
  EXPECT_TRUE(AuthorizeTenantAccess(service, "acme", admins_and_services).ok());
  EXPECT_TRUE(AuthorizeTenantAccess(platform, "globex", admins_and_services).ok());
  EXPECT_TRUE(AuthorizeTenantAccess(employee, "acme", {Role::kEmployee}).ok());

  absl::Status status = AuthorizeTenantAccess(employee, "acme", admins_and_services);
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(absl::StrContains(status.message(), "limited to: admin, service")) << status;
  EXPECT_EQ(AuthorizeTenantAccess(admin, "globex", admins_and_services).code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(AuthorizeTenantAccess(service, "globex", admins_and_services).code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(AuthorizeTenantAccess(platform, "*", admins_and_services).code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(AuthorizeTenantAccess(platform, "acme", {Role::kAdmin}).code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(AuthorizeTenantAccess(admin, "acme", {}).code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(AuthorizeTenantAccess(admin, "", admins_and_services).code(),
            absl::StatusCode::kPermissionDenied);
}

}  // namespace
}  // namespace advocacy::auth
