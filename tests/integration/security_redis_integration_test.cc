// Redis ACL users and TLS on the real stack (deploy/local/stack.sh with ADVOCACY_REDIS_ACL=on and
// ADVOCACY_REDIS_TLS=on, the defaults; the users of deploy/redis/acl-rules.conf): every service's
// user reaches its own keys only and none of the commands that would reach beyond them, the
// default user gets nothing, and the services reach redis-server only over TLS (its own TLS port,
// rediss://, by default; the stunnel proxies with ADVOCACY_REDIS_TLS=proxy) with a client
// certificate of the stack's CA. Every refusal has a positive control next to it, so a test that
// only saw a broken connection cannot pass. The suite runs the consent binary with its own user and
// with content's: content's credential cannot write consent state even through consent's own code.
// Skipped (as a whole or per TLS test) when the stack runs with ACLs or TLS off.

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "advocacy/consent/v1/consent_service.grpc.pb.h"
#include "harness.h"

namespace advocacy::it {
namespace {

namespace v1 = advocacy::consent::v1;
using auth::Role;

const std::vector<std::string> kServices = {"consent", "content", "courses", "notifications"};

// A key of each service's own layout (docs/ARCHITECTURE.md, the adapters' key comments): data, its
// consent view and its outbox. Notifications keeps its data under adv:notif:.
std::vector<std::string> OwnKeys(const std::string& service, const std::string& tag) {
  const std::string data = service == "notifications" ? "adv:notif:" : "adv:" + service + ":";
  return {data + "{" + tag + "}:it", "adv:" + service + ":cv:{" + tag + "}",
          "adv:" + service + ":outbox:{" + tag + "}"};
}

bool Enabled(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr && std::string(v) == "on";
}

// The reply to `args`, or a transport failure as "(failure) ...".
redis::Reply Send(redis::Connection& conn, const std::vector<std::string>& args) {
  auto r = conn.Command(args);
  if (!r.ok()) return redis::Reply::Error("(failure) " + std::string(r.status().message()));
  return *r;
}

::testing::AssertionResult IsNoPerm(const redis::Reply& r) {
  if (r.is_error() && absl::StartsWith(r.str, "NOPERM")) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "expected NOPERM, got " << r.DebugString();
}

::testing::AssertionResult IsAllowed(const redis::Reply& r) {
  if (!r.is_error()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "expected an answer, got " << r.DebugString();
}

// Runs `script` with bash; its stdout (at most 64 KiB).
std::string Shell(const std::string& script) {
  const std::string cmd = "bash -c '" + script + "' 2>/dev/null";
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return out;
  std::array<char, 4096> buf{};
  size_t n = 0;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0 && out.size() < 65536)
    out.append(buf.data(), n);
  pclose(p);
  return out;
}

class SecurityRedisIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!Enabled("ADVOCACY_REDIS_ACL")) {
      GTEST_SKIP() << "the stack runs with ADVOCACY_REDIS_ACL=off: no Redis users to test";
    }
    tag_ = UniqueId("t") + ":" + UniqueId("e");
  }

  std::string tag_;
};

TEST_F(SecurityRedisIntegrationTest, DefaultUserGetsNothing) {
  // The stack's endpoint (over TLS by default), without a user: no AUTH.
  redis::Options plain = RedisOptions("admin");
  plain.username.clear();
  plain.password.clear();
  redis::Connection none(plain);
  const redis::Reply ping = Send(none, {"PING"});
  EXPECT_TRUE(ping.is_error() && absl::StartsWith(ping.str, "NOAUTH")) << ping.DebugString();
  const redis::Reply get = Send(none, {"GET", "adv:consent:{" + tag_ + "}:s"});
  EXPECT_TRUE(get.is_error() && absl::StartsWith(get.str, "NOAUTH")) << get.DebugString();
  // The default user is off: no password opens it.
  const redis::Reply auth = Send(none, {"AUTH", "default", "anything"});
  EXPECT_TRUE(auth.is_error()) << auth.DebugString();
  // Positive control: the same connection answers once it authenticates as the admin.
  const redis::Options admin = RedisOptions("admin");
  EXPECT_TRUE(IsAllowed(Send(none, {"AUTH", admin.username, admin.password})));
  EXPECT_EQ(Send(none, {"PING"}).str, "PONG");
}

TEST_F(SecurityRedisIntegrationTest, AUserWithAnotherUsersPasswordIsRefused) {
  redis::Options wrong = RedisOptions("content");
  wrong.password = RedisOptions("consent").password;
  redis::Connection conn(wrong);
  auto r = conn.Command({"PING"});
  ASSERT_FALSE(r.ok()) << r->DebugString();
  EXPECT_TRUE(absl::StrContains(r.status().message(), "AUTH was rejected")) << r.status();
  // Positive control: content's own password works.
  redis::Connection own(RedisOptions("content"));
  EXPECT_EQ(Send(own, {"PING"}).str, "PONG");
}

// Every service reads and writes its own keys (data, consent view, outbox) and gets NOPERM on
// every key of every other service, for reads, writes, deletes and scripts; afterwards the other
// services' keys are unchanged (read by the admin).
TEST_F(SecurityRedisIntegrationTest, EveryServiceReachesOnlyItsOwnKeys) {
  redis::Connection admin(RedisOptions("admin"));
  for (const auto& owner : kServices) {
    for (const auto& key : OwnKeys(owner, tag_)) {
      ASSERT_TRUE(IsAllowed(Send(admin, {"SET", key, "seeded-by-admin"}))) << key;
    }
  }
  // The shared outbox of the layout before issue 11 belongs to no service any more.
  const std::string legacy_outbox = "adv:outbox:{" + tag_ + "}";
  ASSERT_TRUE(IsAllowed(Send(admin, {"SET", legacy_outbox, "seeded-by-admin"})));

  for (const auto& user : kServices) {
    SCOPED_TRACE("user " + user);
    redis::Connection conn(RedisOptions(user));
    for (const auto& key : OwnKeys(user, tag_)) {
      EXPECT_EQ(Send(conn, {"GET", key}).str, "seeded-by-admin") << key;
      EXPECT_TRUE(IsAllowed(Send(conn, {"SET", key, "written-by-" + user}))) << key;
      EXPECT_TRUE(IsAllowed(Send(conn, {"EVAL", "return redis.call('GET', KEYS[1])", "1", key})));
    }
    std::vector<std::string> foreign = {legacy_outbox};
    for (const auto& owner : kServices) {
      if (owner == user) continue;
      for (const auto& key : OwnKeys(owner, tag_)) foreign.push_back(key);
    }
    const std::string own = OwnKeys(user, tag_)[0];
    for (const auto& key : foreign) {
      SCOPED_TRACE("key " + key);
      EXPECT_TRUE(IsNoPerm(Send(conn, {"GET", key})));
      EXPECT_TRUE(IsNoPerm(Send(conn, {"SET", key, "forged"})));
      EXPECT_TRUE(IsNoPerm(Send(conn, {"DEL", key})));
      EXPECT_TRUE(IsNoPerm(Send(conn, {"RPUSH", key + ":list", "forged"})));
      EXPECT_TRUE(IsNoPerm(Send(conn, {"HSET", key + ":hash", "_seq", "4611686018427387904"})));
      EXPECT_TRUE(IsNoPerm(Send(conn, {"COPY", own, key})));
      EXPECT_TRUE(IsNoPerm(Send(conn, {"RENAME", own, key})));
      // A script is checked on the keys it declares and on every key it touches.
      EXPECT_TRUE(
          IsNoPerm(Send(conn, {"EVAL", "return redis.call('SET', KEYS[1], 'forged')", "1", key})));
      const redis::Reply hidden =
          Send(conn, {"EVAL", "return redis.call('SET', ARGV[1], 'forged')", "1", own, key});
      EXPECT_TRUE(hidden.is_error()) << hidden.DebugString();
    }
  }
  for (const auto& owner : kServices) {
    for (const auto& key : OwnKeys(owner, tag_)) {
      EXPECT_EQ(Send(admin, {"GET", key}).str, "written-by-" + owner) << key;
      EXPECT_EQ(Send(admin, {"EXISTS", key + ":list", key + ":hash"}).integer, 0) << key;
    }
  }
  EXPECT_EQ(Send(admin, {"GET", legacy_outbox}).str, "seeded-by-admin");
  std::vector<std::string> cleanup = {"DEL", legacy_outbox};
  for (const auto& owner : kServices) {
    for (const auto& key : OwnKeys(owner, tag_)) cleanup.push_back(key);
  }
  EXPECT_TRUE(IsAllowed(Send(admin, cleanup)));
}

// No service user runs a command that reaches beyond its keys or administers the server; the
// commands the services do send (PING, SELECT, SCAN, EVAL/EVALSHA on their keys, reads and
// writes) work, and the admin runs the refused ones.
TEST_F(SecurityRedisIntegrationTest, DangerousCommandsAreRefused) {
  const std::vector<std::vector<std::string>> refused = {
      {"FLUSHALL"},
      {"FLUSHDB"},
      {"KEYS", "adv:*"},
      {"CONFIG", "GET", "maxmemory"},
      {"CONFIG", "SET", "appendonly", "no"},
      {"INFO"},
      {"ACL", "LIST"},
      {"ACL", "SETUSER", "content", "~*", "+@all"},
      {"ACL", "SETUSER", "intruder", "on", ">pw", "~*", "+@all"},
      {"SCRIPT", "FLUSH"},
      {"SCRIPT", "LOAD", "return 1"},
      {"FUNCTION", "FLUSH"},
      {"FUNCTION", "LOAD", "#!lua name=intruder\nredis.register_function('f', function() end)"},
      {"CLIENT", "LIST"},
      {"CLIENT", "KILL", "TYPE", "normal"},
      {"SWAPDB", "0", "1"},
      {"MIGRATE", "127.0.0.1", "1", "adv:consent:x", "0", "100"},
      {"BGSAVE"},
      {"BGREWRITEAOF"},
      {"REPLICAOF", "127.0.0.1", "1"},
      {"SLOWLOG", "GET"},
      {"MODULE", "LIST"},
      {"RANDOMKEY"},
      {"PUBLISH", "adv", "x"},
      {"SORT", "adv:content:x", "BY", "adv:consent:*"},
      {"WAIT", "0", "0"},
  };
  redis::Connection admin(RedisOptions("admin"));
  for (const auto& user : kServices) {
    SCOPED_TRACE("user " + user);
    redis::Connection conn(RedisOptions(user));
    // DEBUG is off for everyone (redis-server's enable-debug-command), whatever the ACL says.
    EXPECT_TRUE(Send(conn, {"DEBUG", "SLEEP", "0"}).is_error());
    for (const auto& cmd : refused) {
      EXPECT_TRUE(IsNoPerm(Send(conn, cmd))) << cmd[0] << (cmd.size() > 1 ? " " + cmd[1] : "");
    }
    // Positive controls: what the service code sends.
    const std::string own = OwnKeys(user, tag_)[0];
    EXPECT_EQ(Send(conn, {"PING"}).str, "PONG");
    EXPECT_TRUE(IsAllowed(Send(conn, {"SELECT", "0"})));
    EXPECT_TRUE(IsAllowed(Send(conn, {"SCAN", "0", "MATCH", own, "COUNT", "10"})));
    EXPECT_TRUE(IsAllowed(Send(conn, {"HSET", own, "f", "1"})));
    EXPECT_TRUE(IsAllowed(Send(conn, {"EXPIRE", own, "60"})));
    EXPECT_EQ(Send(conn, {"EVAL", "return redis.call('HGET', KEYS[1], 'f')", "1", own}).str, "1");
    const redis::Reply sha = Send(conn, {"EVALSHA", std::string(40, '0'), "1", own});
    EXPECT_TRUE(sha.is_error() && absl::StartsWith(sha.str, "NOSCRIPT")) << sha.DebugString();
    EXPECT_TRUE(IsAllowed(Send(admin, {"DEL", own})));
  }
  // The admin runs what the services may not.
  EXPECT_TRUE(IsAllowed(Send(admin, {"CONFIG", "GET", "maxmemory"})));
  EXPECT_TRUE(IsAllowed(Send(admin, {"INFO", "server"})));
  EXPECT_TRUE(IsAllowed(Send(admin, {"ACL", "LIST"})));
  EXPECT_TRUE(IsAllowed(Send(admin, {"KEYS", "adv:it-none:*"})));
}

// The default user's rules stay "everything" (it is off) because redis-server 7.0 replays its
// append-only file as that user and re-checks MULTI/EXEC blocks, the form in which scripted writes
// are logged (deploy/redis/acl-rules.conf). A scripted write of a service user survives a crash.
TEST_F(SecurityRedisIntegrationTest, AScriptedWriteSurvivesARedisCrashWithAclsOn) {
  const std::string key = OwnKeys("content", tag_)[0];
  redis::Connection content(RedisOptions("content"));
  ASSERT_TRUE(IsAllowed(
      Send(content, {"EVAL",
                     "redis.call('HSET', KEYS[1], 'a', '1') return redis.call('HSET', KEYS[1], "
                     "'b', '2')",
                     "1", key})));
  Stack("redis kill");
  Stack("redis start");
  redis::Connection admin(RedisOptions("admin"));
  ASSERT_TRUE(
      WaitFor([&] { return Send(admin, {"PING"}).str == "PONG"; }, std::chrono::seconds(20)));
  const redis::Reply fields = Send(admin, {"HMGET", key, "a", "b"});
  ASSERT_EQ(fields.elements.size(), 2u) << fields.DebugString();
  EXPECT_EQ(fields.elements[0].str, "1");
  EXPECT_EQ(fields.elements[1].str, "2");
  EXPECT_TRUE(IsAllowed(Send(admin, {"DEL", key})));
}

class SecurityRedisTlsIntegrationTest : public SecurityRedisIntegrationTest {
 protected:
  void SetUp() override {
    SecurityRedisIntegrationTest::SetUp();
    if (IsSkipped()) return;
    mode_ = std::getenv("ADVOCACY_REDIS_TLS") != nullptr ? std::getenv("ADVOCACY_REDIS_TLS") : "";
    if (mode_ != "on" && mode_ != "proxy") {
      GTEST_SKIP() << "the stack runs with ADVOCACY_REDIS_TLS=off: no TLS to test";
    }
    dir_ = std::filesystem::temp_directory_path() / UniqueId("advocacy-it-redis-tls");
    std::filesystem::create_directories(dir_);
    // The admin's password, to a file only this user can read: the shell reads it from there,
    // never from a command line.
    std::ofstream(dir_ / "admin.password") << RedisOptions("admin").password;
    chmod((dir_ / "admin.password").c_str(), 0600);
  }
  void TearDown() override {
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  // What the TLS port (redis-server's own with TLS on, the server proxy's with TLS proxy) answers
  // to "AUTH admin <password>", then "PING", over TLS with the given openssl s_client options
  // (certificate, key, CA).
  std::string AskThroughTls(const std::string& options) {
    return Shell(
        "(printf \"AUTH admin %s\\r\\nPING\\r\\n\" \"$(cat " + (dir_ / "admin.password").string() +
        ")\"; sleep 2) | timeout 10 openssl s_client -quiet -no_ign_eof -connect 127.0.0.1:" +
        Env("ADVOCACY_REDIS_TLS_PORT") + " -verify_return_error -CAfile " +
        Env("ADVOCACY_REDIS_TLS_CA_FILE") + " " + options);
  }

  std::filesystem::path dir_;
  std::string mode_;  // ADVOCACY_REDIS_TLS: on (redis-server's TLS) or proxy (stunnel)
};

TEST_F(SecurityRedisTlsIntegrationTest, RedisIsReachedOverTlsOnlyWithACertificateOfTheStack) {
  const std::string tls = Env("ADVOCACY_REDIS_TLS_DIR");
  // Positive control: the client proxy's certificate of the stack's CA, and the admin.
  const std::string ok =
      AskThroughTls("-cert " + tls + "/redis-client.pem -key " + tls + "/redis-client.key");
  EXPECT_TRUE(absl::StrContains(ok, "+PONG")) << ok;
  // No client certificate: the handshake fails, Redis never sees a byte.
  const std::string none = AskThroughTls("");
  EXPECT_FALSE(absl::StrContains(none, "+OK") || absl::StrContains(none, "PONG")) << none;
  // A certificate of another CA (self-signed here).
  const std::string self = (dir_ / "self").string();
  Shell(
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj "
      "/CN=redis-client -keyout " +
      self + ".key -out " + self + ".pem");
  ASSERT_TRUE(std::filesystem::exists(self + ".pem"));
  const std::string other = AskThroughTls("-cert " + self + ".pem -key " + self + ".key");
  EXPECT_FALSE(absl::StrContains(other, "+OK") || absl::StrContains(other, "PONG")) << other;
  // Plain RESP on the TLS port gets no answer from Redis.
  const std::string plain =
      Shell("(printf \"PING\\r\\n\"; sleep 1) | timeout 5 bash -c \"exec 3<>/dev/tcp/127.0.0.1/" +
            Env("ADVOCACY_REDIS_TLS_PORT") + "; cat >&3 & cat <&3\"");
  EXPECT_FALSE(absl::StrContains(plain, "PONG") || absl::StrContains(plain, "NOAUTH")) << plain;
  if (mode_ == "on") {
    // The services' endpoint is the TLS port itself (rediss://): no plaintext hop on the way.
    EXPECT_EQ(Env("ADVOCACY_REDIS_URL"), "rediss://127.0.0.1:" + Env("ADVOCACY_REDIS_TLS_PORT"));
    return;
  }
  // Proxy: redis-server itself listens on a unix socket in a directory only the stack's user
  // enters.
  struct stat st {};
  const std::string socket_dir =
      std::filesystem::path(Env("ADVOCACY_REDIS_SOCKET")).parent_path().string();
  ASSERT_EQ(stat(socket_dir.c_str(), &st), 0) << socket_dir;
  EXPECT_EQ(st.st_mode & 0077, 0u) << socket_dir;
}

// The consent binary as a black box through the TLS proxies: with its own Redis user it stores
// a consent; started with content's credential, the same code cannot write consent state at all.
class SecurityRedisServiceIntegrationTest : public SecurityRedisIntegrationTest {
 protected:
  static std::map<std::string, std::string> ConsentEnv(const Keys& keys, const std::string& user) {
    std::map<std::string, std::string> env = {
        {"ADVOCACY_REDIS_URL", Env("ADVOCACY_REDIS_URL")},
        {"ADVOCACY_KAFKA_BROKERS", Env("ADVOCACY_KAFKA_BROKERS")},
        {"ADVOCACY_AUTH_ISSUERS_FILE", keys.issuers_file()},
        {"ADVOCACY_DRAIN_TIMEOUT_MS", "2000"},
        {"CONSENT_PROPAGATION_SERVICES", "none"},
        {"CONSENT_RECEIPTS_GROUP", UniqueId("consent-receipts-it")}};
    env.merge(RedisEnv(user));
    return env;
  }

  // PublishNotice, then GiveConsent for `employee` in `tenant`, against `service`.
  static grpc::Status GiveConsent(const ServiceProcess& service, const Keys& keys,
                                  const std::string& tenant, const std::string& employee) {
    auto stub = v1::ConsentService::NewStub(service.channel());
    auto ctx = [](const std::string& token) {
      auto c = std::make_unique<grpc::ClientContext>();
      c->AddMetadata("authorization", "Bearer " + token);
      c->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
      return c;
    };
    v1::PublishNoticeRequest notice;
    notice.set_tenant_id(tenant);
    notice.set_version("2026-11");
    notice.set_url("https://example.org/consent/2026-11");
    v1::PublishNoticeResponse notice_resp;
    grpc::Status st = stub->PublishNotice(ctx(keys.Token(Role::kAdmin, tenant, "admin-1")).get(),
                                          notice, &notice_resp);
    if (!st.ok()) return st;
    v1::GiveConsentRequest req;
    req.set_tenant_id(tenant);
    req.set_employee_id(employee);
    auto* scope = req.add_scopes();
    scope->set_purpose(v1::PURPOSE_EMAIL_TIPS);
    req.set_notice_version("2026-11");
    req.set_method(v1::CONSENT_METHOD_APP_TOGGLE);
    v1::GiveConsentResponse resp;
    return stub->GiveConsent(ctx(keys.Token(Role::kEmployee, tenant, employee)).get(), req, &resp);
  }
};

TEST_F(SecurityRedisServiceIntegrationTest,
       ContentsCredentialCannotWriteConsentStateEvenThroughConsent) {
  Keys keys;
  redis::Connection admin(RedisOptions("admin"));
  const std::string tenant = UniqueId("t");

  // Positive control: consent as itself, end to end through the TLS proxies.
  {
    ServiceProcess consent(CONSENT_BINARY, ConsentEnv(keys, "consent"));
    ASSERT_TRUE(consent.Start().ok()) << consent.log_path();
    const grpc::Status st = GiveConsent(consent, keys, tenant, "e-own");
    ASSERT_TRUE(st.ok()) << st.error_message() << " (log " << consent.log_path() << ")";
    EXPECT_EQ(Send(admin, {"HEXISTS", "adv:consent:{" + tenant + ":e-own}:s", "_seq"}).integer, 1);
    // The state consent really wrote is closed to content's user.
    redis::Connection content(RedisOptions("content"));
    EXPECT_TRUE(IsNoPerm(Send(content, {"HGETALL", "adv:consent:{" + tenant + ":e-own}:s"})));
    EXPECT_TRUE(
        IsNoPerm(Send(content, {"LRANGE", "adv:consent:{" + tenant + ":e-own}:l", "0", "-1"})));
    EXPECT_TRUE(
        IsNoPerm(Send(content, {"HSET", "adv:consent:{" + tenant + ":e-own}:s", "_seq", "0"})));
    EXPECT_EQ(Send(admin, {"HGET", "adv:consent:{" + tenant + ":e-own}:s", "_seq"}).str, "1");
  }
  // The same binary with content's Redis credential: every write of consent state is refused,
  // nothing is stored.
  ServiceProcess forged(CONSENT_BINARY, ConsentEnv(keys, "content"));
  ASSERT_TRUE(forged.Start().ok()) << forged.log_path();
  const std::string other = UniqueId("t");
  const grpc::Status st = GiveConsent(forged, keys, other, "e-forged");
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(Send(admin, {"EXISTS", "adv:consent:{" + other + ":e-forged}:s",
                         "adv:consent:{" + other + "}:n"})
                .integer,
            0);
}

}  // namespace
}  // namespace advocacy::it
