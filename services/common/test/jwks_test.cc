// TokenVerifier with JWKS keys from a file: every algorithm, the algorithm pin, key rotation,
// the unknown-kid refresh and its rate limit, time and lifetime rules, audiences and issuers,
// claim mappings, the reasons counted, and the issuers file with its errors. The same over a
// real https server is jwks_https_test.cc.

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "advocacy/common/auth.h"
#include "advocacy/common/auth_config.h"
#include "jose_testing.h"
#include "jwk.h"
#include "jwks_source.h"
#include "token_claims.h"

namespace advocacy::auth {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::steady_clock;
using std::chrono::system_clock;
using testing::B64;
using testing::Json;
using testing::Jwks;
using testing::MakeEcKey;
using testing::MakeRsaKey;
using testing::Sign;
using testing::SignWith;
using testing::TestKey;

const std::string kIssuer = "https://idp.example.com/realms/acme";  // NOLINT(cert-err58-cpp)

int64_t RealNow() {
  return std::chrono::duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
}

// Counts on_rejected calls by reason name (thread-safe, shared with the verifier).
class ReasonCounter {
 public:
  void Add(RejectReason reason) {
    std::lock_guard lock(mu_);
    ++counts_[std::string(RejectReasonName(reason))];
  }
  int Count(std::string_view reason) {
    std::lock_guard lock(mu_);
    return counts_[std::string(reason)];
  }
  int Total() {
    std::lock_guard lock(mu_);
    int total = 0;
    for (const auto& [name, count] : counts_) total += count;
    return total;
  }

 private:
  std::mutex mu_;
  std::map<std::string, int> counts_;
};

class JwksTest : public ::testing::Test {
 protected:
  // Key generation is the slow part: once per suite. No private key is committed anywhere.
  static void SetUpTestSuite() {
    rsa_ = new TestKey(MakeRsaKey("rsa-1", "RS256"));
    pss_ = new TestKey(MakeRsaKey("pss-1", "PS256"));
    ec_ = new TestKey(MakeEcKey("ec-1"));
    ec2_ = new TestKey(MakeEcKey("ec-2"));
  }
  static void TearDownTestSuite() {
    delete rsa_;
    delete pss_;
    delete ec_;
    delete ec2_;
  }

  void SetUp() override {
    now_->store(RealNow());
    char dir_template[] = "/tmp/advocacy-jwks-XXXXXX";
    ASSERT_NE(mkdtemp(dir_template), nullptr);
    dir_ = dir_template;
    jwks_path_ = dir_ + "/jwks.json";
    WriteJwks(Jwks({rsa_, pss_, ec_}));
  }
  void TearDown() override {
    verifier_.reset();  // joins its threads before the files go
    std::filesystem::remove_all(dir_);
  }

  // Atomically, as a ConfigMap update does (rename), so a reader never sees half a file.
  void WriteJwks(const Json& jwks) const { WriteFile(jwks.dump()); }
  void WriteFile(const std::string& text) const {
    const std::string temp = jwks_path_ + ".tmp";
    std::ofstream(temp) << text;
    std::filesystem::rename(temp, jwks_path_);
  }

  [[nodiscard]] IssuerOptions Issuer() const {
    return IssuerOptions{
        .issuer = kIssuer, .audiences = {"advocacy"}, .keys = {.jwks_file = jwks_path_}};
  }

  [[nodiscard]] VerifierOptions Options() const {
    VerifierOptions options;
    options.issuers = {Issuer()};
    // Generous, so that a loaded machine cannot make a refresh miss its waiter; a wait ends as
    // soon as the refresh does, so this costs nothing when all is well.
    options.jwks.unknown_kid_wait = milliseconds(5000);
    options.clock = [now = now_] { return system_clock::time_point(seconds(now->load())); };
    options.on_rejected = [reasons = reasons_](RejectReason reason) { reasons->Add(reason); };
    return options;
  }

  void Make(VerifierOptions options) {
    auto verifier = TokenVerifier::Create(std::move(options));
    ASSERT_TRUE(verifier.ok()) << verifier.status();
    verifier_ = std::move(*verifier);
  }

  [[nodiscard]] Json Claims() const {
    return Json{{"iss", kIssuer},           {"aud", "advocacy"},  {"sub", "emp-42"},
                {"tenant", "acme"},         {"role", "employee"}, {"iat", now_->load()},
                {"exp", now_->load() + 600}};
  }

  // Refused with `reason`, a message containing `text`, and one count of that reason.
  void ExpectRejected(const std::string& token, RejectReason reason, absl::string_view text = "") {
    const int before = reasons_->Count(RejectReasonName(reason));
    absl::StatusOr<Principal> result = verifier_->Verify("Bearer " + token);
    ASSERT_FALSE(result.ok()) << "accepted; expected " << RejectReasonName(reason);
    EXPECT_EQ(result.status().code(), absl::StatusCode::kUnauthenticated);
    EXPECT_EQ(RejectReasonOf(result.status()), reason) << result.status();
    EXPECT_TRUE(absl::StrContains(result.status().message(), text)) << result.status();
    EXPECT_EQ(reasons_->Count(RejectReasonName(reason)), before + 1);
    for (absl::string_view part : absl::StrSplit(token, '.')) {
      if (part.size() >= 8) {
        EXPECT_FALSE(absl::StrContains(result.status().message(), part));
      }
    }
    EXPECT_FALSE(absl::StrContains(result.status().message(), jwks_path_));
  }

  void ExpectAccepted(const std::string& token) {
    absl::StatusOr<Principal> result = verifier_->Verify("Bearer " + token);
    EXPECT_TRUE(result.ok()) << result.status();
  }

  static inline TestKey* rsa_ = nullptr;
  static inline TestKey* pss_ = nullptr;
  static inline TestKey* ec_ = nullptr;
  static inline TestKey* ec2_ = nullptr;
  std::shared_ptr<std::atomic<int64_t>> now_ = std::make_shared<std::atomic<int64_t>>(0);
  std::shared_ptr<ReasonCounter> reasons_ = std::make_shared<ReasonCounter>();
  std::string dir_;
  std::string jwks_path_;
  std::unique_ptr<TokenVerifier> verifier_;
};

// --- Algorithms and the pin ----------------------------------------------------------------------

TEST_F(JwksTest, VerifiesEachAlgorithmWithItsKey) {
  Make(Options());
  for (const TestKey* key : {rsa_, pss_, ec_}) {
    absl::StatusOr<Principal> principal = verifier_->Verify(Sign(*key, Claims()));
    ASSERT_TRUE(principal.ok()) << key->alg << ": " << principal.status();
    EXPECT_EQ(principal->subject, "emp-42");
    EXPECT_EQ(principal->tenant_id, "acme");
    EXPECT_EQ(principal->role, Role::kEmployee);
  }
  EXPECT_TRUE(verifier_->Readiness().ok()) << verifier_->Readiness();
  const std::vector<IssuerKeyStatus> status = verifier_->KeyStatus();
  ASSERT_EQ(status.size(), 1u);
  EXPECT_EQ(status[0].key_ids, (std::vector<std::string>{"rsa-1", "pss-1", "ec-1"}));
  EXPECT_EQ(status[0].source, "file " + jwks_path_);
}

TEST_F(JwksTest, TokenAlgMustBeItsKeysAlg) {
  Make(Options());
  auto header = [](const char* alg, const TestKey& key) {
    return Json{{"alg", alg}, {"typ", "JWT"}, {"kid", key.kid}};
  };
  // A valid RS256 signature by the PS256 key's private half: the key is pinned to PS256.
  ExpectRejected(SignWith(*pss_, "RS256", header("RS256", *pss_), Claims()),
                 RejectReason::kAlgorithm, "is not the algorithm of its key (PS256)");
  ExpectRejected(SignWith(*rsa_, "PS256", header("PS256", *rsa_), Claims()),
                 RejectReason::kAlgorithm, "(RS256)");
  // The header claims RS256 for the EC key: refused before any signature is checked.
  ExpectRejected(SignWith(*ec_, "ES256", header("RS256", *ec_), Claims()), RejectReason::kAlgorithm,
                 "(ES256)");
  // Right alg, wrong key: the kid names ec-1 but ec-2 signed.
  ExpectRejected(SignWith(*ec2_, "ES256", header("ES256", *ec_), Claims()),
                 RejectReason::kSignature, "does not verify");
  for (const char* alg : {"none", "HS256", "RS384", "ES384", "EdDSA", "es256"}) {
    ExpectRejected(SignWith(*ec_, "ES256", header(alg, *ec_), Claims()), RejectReason::kAlgorithm,
                   absl::StrCat("alg '", alg, "' is not accepted"));
  }
}

TEST_F(JwksTest, KeyWithoutAlgIsPinnedByItsType) {
  TestKey rsa = *rsa_;
  rsa.jwk.erase("alg");
  TestKey ec = *ec_;
  ec.jwk.erase("alg");
  WriteJwks(Jwks({&rsa, &ec}));
  Make(Options());
  ExpectAccepted(Sign(rsa, Claims()));  // RSA without alg: RS256
  ExpectAccepted(Sign(ec, Claims()));   // EC P-256 without alg: ES256
  // PS256 needs a key that says so.
  ExpectRejected(SignWith(rsa, "PS256", Json{{"alg", "PS256"}, {"kid", rsa.kid}}, Claims()),
                 RejectReason::kAlgorithm, "(RS256)");
}

TEST_F(JwksTest, SkipsKeysThatMustNotVerifyTokens) {
  TestKey encryption = MakeRsaKey("enc-1");
  encryption.jwk["use"] = "enc";
  TestKey small = MakeRsaKey("small-1", "RS256", 1024);
  TestKey with_private = *ec2_;
  with_private.jwk["d"] = B64("not really a private scalar");
  TestKey ops = MakeEcKey("ops-1");
  ops.jwk["key_ops"] = Json::array({"sign"});
  Json jwks = Jwks({ec_, &encryption, &small, &with_private, &ops});
  jwks["keys"].push_back(Json{{"kty", "oct"}, {"kid", "hmac-1"}, {"k", B64("secret")}});
  jwks["keys"].push_back(rsa_->jwk);
  jwks["keys"].back()["alg"] = "RS384";
  jwks["keys"].push_back(ec_->jwk);  // the same kid twice: the first wins
  jwks["keys"].back()["x"] = ec2_->jwk["x"];
  WriteJwks(jwks);
  Make(Options());
  EXPECT_EQ(verifier_->KeyStatus()[0].key_ids, std::vector<std::string>{"ec-1"});
  ExpectAccepted(Sign(*ec_, Claims()));
  for (const TestKey* key : {&encryption, &small, &with_private, &ops}) {
    ExpectRejected(Sign(*key, Claims()), RejectReason::kUnknownKey, "is not a current key");
  }
}

TEST_F(JwksTest, ParseJwksBoundsAndErrors) {
  using internal::ParseJwks;
  const std::string two = Jwks({ec_, ec2_}).dump();
  EXPECT_TRUE(ParseJwks(two, 2, 65536).ok());
  EXPECT_TRUE(absl::StrContains(ParseJwks(two, 1, 65536).status().message(),
                                "has 2 keys, more than the limit 1"));
  EXPECT_TRUE(absl::StrContains(ParseJwks(two, 2, 100).status().message(), "more than the limit"));
  EXPECT_TRUE(absl::StrContains(ParseJwks("[]", 2, 65536).status().message(), "not a JSON object"));
  EXPECT_TRUE(absl::StrContains(ParseJwks("{\"keys\": 1}", 2, 65536).status().message(),
                                "no 'keys' array"));
  EXPECT_TRUE(absl::StrContains(ParseJwks("{\"keys\": []}", 2, 65536).status().message(),
                                "no usable signature key"));
  TestKey bad_point = *ec_;
  bad_point.jwk["y"] = ec2_->jwk["y"];  // not on the curve with this x (or another point)
  absl::StatusOr<internal::ParsedJwks> parsed =
      ParseJwks(Jwks({&bad_point, ec2_}).dump(), 4, 65536);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->keys.size(), 1u);
  ASSERT_EQ(parsed->skipped.size(), 1u);
  EXPECT_TRUE(absl::StrContains(parsed->skipped[0], "kid 'ec-1'")) << parsed->skipped[0];
}

// --- Rotation and refresh
// --------------------------------------------------------------------------

TEST_F(JwksTest, RotationWithOverlapThenTheOldKeyIsRefused) {
  WriteJwks(Jwks({ec_}));
  VerifierOptions options = Options();
  options.jwks.min_lifetime = seconds(1);
  options.jwks.default_lifetime = seconds(1);
  Make(options);
  const std::string old_token = Sign(*ec_, Claims());
  ExpectAccepted(old_token);
  EXPECT_EQ(verifier_->CachedTokenCount(), 1u);

  // The provider publishes the new key next to the old one and starts signing with it: the
  // first token naming it triggers a refresh, which Verify waits for.
  WriteJwks(Jwks({ec_, ec2_}));
  const std::string new_token = Sign(*ec2_, Claims());
  ExpectAccepted(new_token);
  ExpectAccepted(old_token);  // both pass during the overlap
  EXPECT_EQ(verifier_->KeyStatus()[0].unknown_kid_refreshes, 1u);

  // The old key leaves the JWKS; once the cache lifetime (1 s) ran out and the file was read
  // again, its tokens fail, even the one verified (and cached) before.
  WriteJwks(Jwks({ec2_}));
  const auto deadline = steady_clock::now() + seconds(10);
  while (verifier_->KeyStatus()[0].key_ids != std::vector<std::string>{"ec-2"} &&
         steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(20));
  }
  ASSERT_EQ(verifier_->KeyStatus()[0].key_ids, std::vector<std::string>{"ec-2"});
  ExpectRejected(old_token, RejectReason::kUnknownKey, "kid 'ec-1' is not a current key");
  ExpectAccepted(new_token);
}

TEST_F(JwksTest, UnknownKidRefreshIsRateLimited) {
  WriteJwks(Jwks({ec_}));
  VerifierOptions options = Options();
  options.jwks.unknown_kid_interval = seconds(30);
  options.jwks.max_lifetime = seconds(3600);
  options.jwks.default_lifetime = seconds(3600);
  Make(options);
  ASSERT_EQ(verifier_->KeyStatus()[0].loads, 1u);  // the start-up load

  // The first unknown kid gets its refresh (it finds nothing new).
  ExpectRejected(Sign(*ec2_, Claims()), RejectReason::kUnknownKey);
  EXPECT_EQ(verifier_->KeyStatus()[0].unknown_kid_refreshes, 1u);
  EXPECT_EQ(verifier_->KeyStatus()[0].loads, 2u);

  // A flood of random kids within the interval: no further load, and no waiting either.
  const auto start = steady_clock::now();
  for (int i = 0; i < 200; ++i) {
    const Json header = {{"alg", "ES256"}, {"kid", absl::StrCat("random-", i)}};
    ExpectRejected(SignWith(*ec2_, "ES256", header, Claims()), RejectReason::kUnknownKey);
  }
  EXPECT_LT(steady_clock::now() - start, seconds(4)) << "rate-limited lookups must not wait";
  EXPECT_EQ(verifier_->KeyStatus()[0].unknown_kid_refreshes, 1u);
  EXPECT_EQ(verifier_->KeyStatus()[0].loads, 2u);

  // Even a key that really was added is not looked for again before the interval is over.
  WriteJwks(Jwks({ec_, ec2_}));
  ExpectRejected(Sign(*ec2_, Claims()), RejectReason::kUnknownKey);
  EXPECT_EQ(verifier_->KeyStatus()[0].loads, 2u);
}

TEST_F(JwksTest, UnknownKidRefreshAgainAfterTheInterval) {
  WriteJwks(Jwks({ec_}));
  VerifierOptions options = Options();
  options.jwks.unknown_kid_interval = seconds(1);
  options.jwks.max_lifetime = seconds(3600);
  options.jwks.default_lifetime = seconds(3600);
  Make(options);
  ExpectRejected(Sign(*ec2_, Claims()), RejectReason::kUnknownKey);
  WriteJwks(Jwks({ec_, ec2_}));
  // Refused while rate-limited, accepted once a refresh is allowed again (~1 s).
  const auto deadline = steady_clock::now() + seconds(10);
  absl::StatusOr<Principal> result = verifier_->Verify(Sign(*ec2_, Claims()));
  while (!result.ok() && steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(50));
    result = verifier_->Verify(Sign(*ec2_, Claims()));
  }
  EXPECT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(verifier_->KeyStatus()[0].unknown_kid_refreshes, 2u);
}

TEST_F(JwksTest, BrokenRefreshKeepsTheKeysLoaded) {
  VerifierOptions options = Options();
  options.jwks.min_lifetime = seconds(1);
  options.jwks.default_lifetime = seconds(1);
  Make(options);
  const std::string token = Sign(*rsa_, Claims());
  WriteFile("{ this is not a JWKS");
  const auto deadline = steady_clock::now() + seconds(10);
  while (verifier_->KeyStatus()[0].failures == 0 && steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(20));
  }
  const IssuerKeyStatus status = verifier_->KeyStatus()[0];
  EXPECT_GE(status.failures, 1u);
  EXPECT_TRUE(absl::StrContains(status.last_error, "not a JSON object")) << status.last_error;
  EXPECT_EQ(status.key_ids.size(), 3u);
  ExpectAccepted(token);
  EXPECT_TRUE(verifier_->Readiness().ok()) << verifier_->Readiness();
}

TEST_F(JwksTest, CreateFailsOnAnUnusableJwksFile) {
  WriteFile("{\"keys\": [{\"kty\": \"oct\", \"k\": \"c2VjcmV0\"}]}");
  absl::StatusOr<std::unique_ptr<TokenVerifier>> verifier = TokenVerifier::Create(Options());
  ASSERT_FALSE(verifier.ok());
  EXPECT_EQ(verifier.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(verifier.status().message(), kIssuer)) << verifier.status();
  EXPECT_TRUE(absl::StrContains(verifier.status().message(), "no usable signature key"))
      << verifier.status();
  std::filesystem::remove(jwks_path_);
  verifier = TokenVerifier::Create(Options());
  ASSERT_FALSE(verifier.ok());
  EXPECT_TRUE(absl::StrContains(verifier.status().message(), "cannot read the JWKS file"))
      << verifier.status();
}

TEST_F(JwksTest, TokenWithoutKidNeedsAnIssuerWithOneKey) {
  Make(Options());
  ExpectRejected(SignWith(*ec_, "ES256", Json{{"alg", "ES256"}}, Claims()),
                 RejectReason::kUnknownKey, "no 'kid' and its issuer has several keys");
  verifier_.reset();
  WriteJwks(Jwks({ec_}));
  Make(Options());
  ExpectAccepted(SignWith(*ec_, "ES256", Json{{"alg", "ES256"}}, Claims()));
}

// --- Times, audiences, issuers -------------------------------------------------------------------

TEST_F(JwksTest, RejectsExpiredFutureAndOverLongTokens) {
  VerifierOptions options = Options();
  options.issuers[0].max_token_lifetime = seconds(3600);
  Make(options);
  const int64_t now = now_->load();
  Json claims = Claims();
  claims["exp"] = now - 31;
  ExpectRejected(Sign(*ec_, claims), RejectReason::kExpired, "token expired at");

  claims = Claims();
  claims["iat"] = now + 31;
  ExpectRejected(Sign(*ec_, claims), RejectReason::kIssuedInFuture, "issued in the future");
  claims["iat"] = now + 29;  // within the leeway
  ExpectAccepted(Sign(*ec_, claims));
  claims["iat"] = "yesterday";
  ExpectRejected(Sign(*ec_, claims), RejectReason::kIssuedInFuture, "'iat' claim is not a number");

  claims = Claims();
  claims["nbf"] = now + 60;
  ExpectRejected(Sign(*ec_, claims), RejectReason::kNotYetValid, "not valid before");

  claims = Claims();
  claims["iat"] = now - 10;
  claims["exp"] = now - 10 + 3601;  // one second more than the issuer allows
  ExpectRejected(Sign(*ec_, claims), RejectReason::kLifetime, "lives longer than the 3600 s");
  claims["exp"] = now - 10 + 3600;
  ExpectAccepted(Sign(*ec_, claims));
  claims.erase("iat");  // without iat: exp - now counts
  claims["exp"] = now + 3600 + 31;
  ExpectRejected(Sign(*ec_, claims), RejectReason::kLifetime);
  claims["exp"] = now + 3600;
  ExpectAccepted(Sign(*ec_, claims));
  claims["exp"] = 1e300;  // absurd: neither overflow nor acceptance
  ExpectRejected(Sign(*ec_, claims), RejectReason::kLifetime);
}

TEST_F(JwksTest, DefaultMaximumLifetimeIsOneDay) {
  Make(Options());
  Json claims = Claims();
  claims["exp"] = now_->load() + 24 * 3600;
  ExpectAccepted(Sign(*ec_, claims));
  claims["exp"] = now_->load() + 24 * 3600 + 1;
  ExpectRejected(Sign(*ec_, claims), RejectReason::kLifetime);
}

TEST_F(JwksTest, RejectsWrongAudienceAndIssuer) {
  VerifierOptions options = Options();
  options.issuers[0].audiences = {"advocacy-consent", "advocacy"};
  Make(options);
  Json claims = Claims();
  claims["aud"] = Json::array({"other", "advocacy-consent"});
  ExpectAccepted(Sign(*ec_, claims));
  claims["aud"] = "advocacy-content";
  ExpectRejected(Sign(*ec_, claims), RejectReason::kAudience, "is not this service");
  claims.erase("aud");
  ExpectRejected(Sign(*ec_, claims), RejectReason::kAudience, "no 'aud' claim");

  claims = Claims();
  claims["iss"] = "https://evil.example.com";
  ExpectRejected(Sign(*ec_, claims), RejectReason::kIssuer, "is not trusted here");
  claims.erase("iss");
  ExpectRejected(Sign(*ec_, claims), RejectReason::kIssuer, "no 'iss'");
}

TEST_F(JwksTest, EachIssuerVerifiesOnlyWithItsOwnKeys) {
  const std::string other_path = dir_ + "/other.json";
  std::ofstream(other_path) << Jwks({ec2_}).dump();
  VerifierOptions options = Options();
  options.issuers.push_back(IssuerOptions{.issuer = "https://other-idp.example.com",
                                          .audiences = {"advocacy"},
                                          .keys = {.jwks_file = other_path}});
  Make(options);
  Json claims = Claims();
  claims["iss"] = "https://other-idp.example.com";
  ExpectAccepted(Sign(*ec2_, claims));
  // The other issuer's name on a token signed by a key of the first: its kid is unknown there.
  ExpectRejected(Sign(*ec_, claims), RejectReason::kUnknownKey);
  // And a kid that the other issuer has, on the first issuer's token, likewise.
  ExpectRejected(Sign(*ec2_, Claims()), RejectReason::kUnknownKey);
  EXPECT_EQ(verifier_->KeyStatus().size(), 2u);
}

// --- Claim mapping
// ---------------------------------------------------------------------------------

TEST_F(JwksTest, MapsNestedRoleClaimsThroughTheRoleMap) {
  VerifierOptions options = Options();
  ClaimMapping& mapping = options.issuers[0].claims;
  mapping.roles_claim = {"realm_access", "roles"};
  mapping.role_names = {{"advocacy-admin", Role::kAdmin}, {"advocacy-user", Role::kEmployee}};
  mapping.subject_claim = {"preferred_username"};
  mapping.tenant_claim = {"org", "id"};
  Make(options);
  Json claims = Claims();
  claims.erase("role");
  claims.erase("tenant");
  claims["preferred_username"] = "kari";
  claims["org"] = {{"id", "acme"}};
  claims["realm_access"] = {{"roles", Json::array({"offline_access", "advocacy-user"})}};
  absl::StatusOr<Principal> principal = verifier_->Verify(Sign(*ec_, claims));
  ASSERT_TRUE(principal.ok()) << principal.status();
  EXPECT_EQ(principal->role, Role::kEmployee);
  EXPECT_EQ(principal->subject, "kari");
  EXPECT_EQ(principal->tenant_id, "acme");

  // Admin and employee together: admin.
  claims["realm_access"]["roles"].push_back("advocacy-admin");
  principal = verifier_->Verify(Sign(*ec_, claims));
  ASSERT_TRUE(principal.ok()) << principal.status();
  EXPECT_EQ(principal->role, Role::kAdmin);

  // Our own role names mean nothing once a map is configured.
  claims["realm_access"]["roles"] = Json::array({"admin", "offline_access"});
  ExpectRejected(Sign(*ec_, claims), RejectReason::kClaims, "map to no role of this service");
  claims["realm_access"]["roles"] = Json::array({"advocacy-user", 5});
  ExpectRejected(Sign(*ec_, claims), RejectReason::kClaims, "not a string");
  claims.erase("realm_access");
  ExpectRejected(Sign(*ec_, claims), RejectReason::kClaims, "no 'realm_access.roles' claim");
}

TEST_F(JwksTest, MapsScopeStyleRolesAndRefusesAmbiguousOnes) {
  VerifierOptions options = Options();
  ClaimMapping& mapping = options.issuers[0].claims;
  mapping.roles_claim = {"scope"};
  mapping.roles_space_separated = true;
  mapping.role_names = {{"advocacy.service", Role::kService}, {"advocacy.admin", Role::kAdmin}};
  Make(options);
  Json claims = Claims();
  claims.erase("role");
  claims["sub"] = "billing-system";
  claims["scope"] = "openid  advocacy.service";
  absl::StatusOr<Principal> principal = verifier_->Verify(Sign(*ec_, claims));
  ASSERT_TRUE(principal.ok()) << principal.status();
  EXPECT_EQ(principal->role, Role::kService);
  claims["scope"] = "advocacy.service advocacy.admin";
  ExpectRejected(Sign(*ec_, claims), RejectReason::kClaims, "ambiguous");
}

TEST_F(JwksTest, FixedTenantDefaultRoleAndAllowedTenants) {
  VerifierOptions options = Options();
  options.issuers[0].claims.fixed_tenant = "acme";
  options.issuers[0].claims.default_role = Role::kEmployee;
  options.issuers[0].claims.role_names = {{"advocacy-admins", Role::kAdmin}};
  options.issuers[0].claims.roles_claim = {"groups"};
  Make(options);
  Json claims = Claims();
  claims.erase("role");
  claims["tenant"] = "globex";  // ignored: this issuer speaks for acme only
  absl::StatusOr<Principal> principal = verifier_->Verify(Sign(*ec_, claims));
  ASSERT_TRUE(principal.ok()) << principal.status();
  EXPECT_EQ(principal->tenant_id, "acme");
  EXPECT_EQ(principal->role, Role::kEmployee);
  claims["groups"] = Json::array({"advocacy-admins"});
  principal = verifier_->Verify(Sign(*ec_, claims));
  ASSERT_TRUE(principal.ok()) << principal.status();
  EXPECT_EQ(principal->role, Role::kAdmin);

  verifier_.reset();
  options = Options();
  options.issuers[0].claims.allowed_tenants = {"globex", "acme"};
  Make(options);
  ExpectAccepted(Sign(*ec_, Claims()));
  claims = Claims();
  claims["tenant"] = "initech";
  ExpectRejected(Sign(*ec_, claims), RejectReason::kClaims, "is not one its issuer may assert");
}

TEST_F(JwksTest, AnyTenantOnlyWhenTheIssuerAllowsIt) {
  Make(Options());
  Json claims = Claims();
  claims["tenant"] = "*";
  claims["role"] = "service";
  ExpectRejected(Sign(*ec_, claims), RejectReason::kClaims, "not allowed for its issuer");
  verifier_.reset();
  VerifierOptions options = Options();
  options.issuers[0].claims.allow_any_tenant = true;
  Make(options);
  ExpectAccepted(Sign(*ec_, claims));
  claims["role"] = "admin";
  ExpectRejected(Sign(*ec_, claims), RejectReason::kClaims, "allowed only for role service");
}

// --- Counting ------------------------------------------------------------------------------------

TEST_F(JwksTest, EveryRejectionIsCountedOnceByReason) {
  Make(Options());
  const int before = reasons_->Total();
  EXPECT_FALSE(verifier_->Verify("").ok());
  EXPECT_FALSE(verifier_->Verify("Basic abc").ok());
  EXPECT_FALSE(verifier_->Verify("Bearer x.y").ok());
  EXPECT_EQ(reasons_->Count("missing"), 2);
  EXPECT_EQ(reasons_->Count("malformed"), 1);
  EXPECT_EQ(reasons_->Total(), before + 3);
  ExpectAccepted(Sign(*ec_, Claims()));
  EXPECT_EQ(reasons_->Total(), before + 3);  // an accepted token counts nothing
  for (int i = 0; i < kRejectReasonCount; ++i) {
    const auto reason = static_cast<RejectReason>(i);
    EXPECT_FALSE(RejectReasonName(reason).empty());
    EXPECT_EQ(RejectReasonOf(internal::Reject(reason, "x")), reason);
  }
  EXPECT_EQ(RejectReasonOf(absl::UnauthenticatedError("other")), std::nullopt);
}

// --- Configuration
// ---------------------------------------------------------------------------------

TEST(AuthConfig, ParsesTheIssuersFile) {
  VerifierOptions options;
  const absl::Status status = ParseIssuersFile(R"({
      "leeway_seconds": 10,
      "max_token_lifetime_seconds": 7200,
      "jwks": {"default_cache_seconds": 300, "unknown_kid_min_interval_seconds": 60,
               "unknown_kid_wait_ms": 0, "max_keys": 8},
      "issuers": [
        {"issuer": "https://a.example.com", "jwks_uri": "https://a.example.com/keys",
         "roles_claim": ["realm_access", "roles"], "role_map": {"adv-admin": "admin"},
         "fixed_tenant": "acme", "default_role": "employee"},
        {"issuer": "https://b.example.com", "jwks_file": "/etc/b.json", "audiences": ["x", "y"],
         "roles_claim": "scope", "roles_space_separated": true, "allowed_tenants": ["t1"],
         "allow_any_tenant": true, "max_token_lifetime_seconds": 600}
      ]})",
                                               "advocacy-consent", &options);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(options.leeway, seconds(10));
  EXPECT_EQ(options.jwks.default_lifetime, seconds(300));
  EXPECT_EQ(options.jwks.unknown_kid_interval, seconds(60));
  EXPECT_EQ(options.jwks.unknown_kid_wait, milliseconds(0));
  EXPECT_EQ(options.jwks.max_keys, 8u);
  ASSERT_EQ(options.issuers.size(), 2u);
  const IssuerOptions& a = options.issuers[0];
  EXPECT_EQ(a.audiences, std::vector<std::string>{"advocacy-consent"});
  EXPECT_EQ(a.keys.jwks_uri, "https://a.example.com/keys");
  EXPECT_EQ(a.claims.roles_claim, (std::vector<std::string>{"realm_access", "roles"}));
  EXPECT_EQ(a.claims.role_names.at("adv-admin"), Role::kAdmin);
  EXPECT_EQ(a.claims.fixed_tenant, "acme");
  EXPECT_EQ(a.claims.default_role, Role::kEmployee);
  EXPECT_EQ(a.max_token_lifetime, seconds(7200));
  const IssuerOptions& b = options.issuers[1];
  EXPECT_EQ(b.audiences, (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(b.claims.roles_claim, std::vector<std::string>{"scope"});
  EXPECT_TRUE(b.claims.roles_space_separated);
  EXPECT_TRUE(b.claims.allow_any_tenant);
  EXPECT_EQ(b.max_token_lifetime, seconds(600));
  EXPECT_TRUE(ValidateVerifierOptions(options).ok()) << ValidateVerifierOptions(options);
}

TEST(AuthConfig, FileErrorsNameTheMember) {
  VerifierOptions options;
  const absl::Status status = ParseIssuersFile(R"({
      "leeway": 10,
      "jwks": {"max_keys": "many"},
      "issuers": [
        {"jwks_uri": "https://a.example.com/keys", "role_map": {"x": "root"}},
        {"issuer": "https://b", "jwks_file": 7, "roles_claim": [], "audience": "x",
         "allow_any_tenant": "yes"},
        "https://c"
      ]})",
                                               "advocacy", &options);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  for (const char* expected :
       {"leeway: unknown member", "jwks.max_keys: must be a whole number",
        "issuers[0].issuer: is required", "issuers[0].role_map: 'x' must map to",
        "issuers[1].jwks_file: must be a string", "issuers[1].roles_claim: must name 1 to 8",
        "issuers[1].audience: unknown member", "issuers[1].allow_any_tenant: must be true or false",
        "issuers[2]: must be a JSON object"}) {
    EXPECT_TRUE(absl::StrContains(status.message(), expected))
        << "missing: " << expected << "\nin: " << status.message();
  }
  EXPECT_FALSE(ParseIssuersFile("not json", "a", &options).ok());
  EXPECT_TRUE(absl::StrContains(ParseIssuersFile("{}", "a", &options).message(),
                                "issuers: at least one issuer is required"));
}

TEST(AuthConfig, ValidationListsEveryProblem) {
  VerifierOptions options;
  options.leeway = seconds(7200);
  options.jwks.min_lifetime = seconds(600);
  options.jwks.default_lifetime = seconds(60);
  options.jwks.max_keys = 0;
  options.issuers = {
      IssuerOptions{.issuer = "https://plain",
                    .audiences = {"a"},
                    .keys = {.jwks_uri = "http://idp.example.com/keys"}},
      IssuerOptions{.issuer = "https://loop",
                    .audiences = {"a"},
                    .keys = {.jwks_uri = "http://127.0.0.1:8080/keys"}},
      IssuerOptions{.issuer = "https://both",
                    .audiences = {"a"},
                    .keys = {.jwks_uri = "https://x/keys", .jwks_file = "/k.json"}},
      IssuerOptions{.issuer = "https://none", .audiences = {}},
      IssuerOptions{.issuer = "https://creds",
                    .audiences = {"a"},
                    .keys = {.jwks_uri = "https://user:secret@idp/keys"}},
      IssuerOptions{.issuer = "https://ca",
                    .audiences = {"a"},
                    .keys = {.ca_file = "/ca.pem", .jwks_file = "/k.json"}},
      IssuerOptions{.issuer = "https://plain", .audiences = {"a"}, .keys = {.jwks_file = "/k"}},
  };
  options.issuers[0].claims.fixed_tenant = "*";
  options.issuers[1].max_token_lifetime = seconds(0);
  const absl::Status status = ValidateVerifierOptions(options);
  ASSERT_FALSE(status.ok());
  for (const char* expected :
       {"leeway (seconds) is 7200", "jwks.default_cache_seconds is 60", "jwks.max_keys is 0",
        "issuer 'https://plain': jwks_uri must be an https:// URL",
        "issuer 'https://plain': fixed_tenant must be a tenant id",
        "issuer 'https://loop': jwks_uri must be an https:// URL (plain http only for a loopback",
        "issuer 'https://loop': max_token_lifetime_seconds is 0",
        "issuer 'https://both': needs exactly one key source",
        "issuer 'https://none': audiences must hold 1 to 16",
        "issuer 'https://none': needs exactly one key source",
        "issuer 'https://creds': jwks_uri must not carry credentials",
        "issuer 'https://ca': ca_file and allow_insecure_loopback_http apply to jwks_uri only",
        "issuer 'https://plain' is configured twice"}) {
    EXPECT_TRUE(absl::StrContains(status.message(), expected))
        << "missing: " << expected << "\nin: " << status.message();
  }
  // The secret of the URL is not repeated in the error.
  EXPECT_FALSE(absl::StrContains(status.message(), "secret"));
}

TEST(AuthConfig, PlainHttpOnlyToLoopbackAndOnlyWhenAllowed) {
  using internal::CheckJwksUri;
  EXPECT_TRUE(CheckJwksUri("https://idp.example.com/keys", false).ok());
  EXPECT_FALSE(CheckJwksUri("http://127.0.0.1:9000/keys", false).ok());
  EXPECT_TRUE(CheckJwksUri("http://127.0.0.1:9000/keys", true).ok());
  EXPECT_TRUE(CheckJwksUri("http://127.8.9.10/keys", true).ok());
  EXPECT_TRUE(CheckJwksUri("http://localhost:9000/keys", true).ok());
  EXPECT_TRUE(CheckJwksUri("http://[::1]:9000/keys", true).ok());
  EXPECT_FALSE(CheckJwksUri("http://10.0.0.1/keys", true).ok());
  EXPECT_FALSE(CheckJwksUri("http://localhost.evil.example.com/keys", true).ok());
  EXPECT_FALSE(CheckJwksUri("ftp://idp/keys", true).ok());
  EXPECT_FALSE(CheckJwksUri("file:///etc/passwd", true).ok());
  EXPECT_FALSE(CheckJwksUri("https://idp/keys with space", false).ok());
  EXPECT_FALSE(CheckJwksUri("idp.example.com/keys", false).ok());
}

TEST(AuthConfig, CacheControlMaxAge) {
  using internal::ParseCacheControlMaxAge;
  EXPECT_EQ(ParseCacheControlMaxAge("public, max-age=3600"), seconds(3600));
  EXPECT_EQ(ParseCacheControlMaxAge("Max-Age=\"60\", must-revalidate"), seconds(60));
  EXPECT_EQ(ParseCacheControlMaxAge("no-cache"), seconds(0));
  EXPECT_EQ(ParseCacheControlMaxAge("max-age=600, no-store"), seconds(0));
  EXPECT_EQ(ParseCacheControlMaxAge("public"), std::nullopt);
  EXPECT_EQ(ParseCacheControlMaxAge("max-age=soon"), std::nullopt);
  EXPECT_EQ(ParseCacheControlMaxAge(""), std::nullopt);
}

}  // namespace
}  // namespace advocacy::auth
