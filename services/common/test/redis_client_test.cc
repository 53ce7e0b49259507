#include "advocacy/common/redis_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/pki.h"
#include "testing/redis_server.h"

namespace advocacy::redis {
namespace {

using ::advocacy::testing::Pki;
using ::advocacy::testing::RedisServer;
using ::advocacy::testing::RedisServerOptions;
using std::chrono::milliseconds;
using std::chrono::steady_clock;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

#define EXPECT_OK_STATUS(expr)                             \
  do {                                                     \
    const absl::Status status_ = (expr);                   \
    EXPECT_TRUE(status_.ok()) << #expr << ": " << status_; \
  } while (false)

#define ASSERT_OK(expr)                                    \
  do {                                                     \
    const absl::Status status_ = (expr);                   \
    ASSERT_TRUE(status_.ok()) << #expr << ": " << status_; \
  } while (false)

// Polls `condition` until it holds or `timeout` passes: waits on an effect, not a guess.
bool Eventually(const std::function<bool()>& condition,
                milliseconds timeout = milliseconds(10000)) {
  const auto deadline = steady_clock::now() + timeout;
  while (steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(milliseconds(10));
  }
  return condition();
}

// A call that really tried to connect, as opposed to one that failed fast while backing off.
bool IsConnectAttempt(const absl::Status& status) {
  return absl::StrContains(status.message(), "cannot connect") &&
         !absl::StrContains(status.message(), "backing off");
}

Options OptionsFor(const RedisServer& server) {
  absl::StatusOr<Options> options = ParseUrl(server.url());
  EXPECT_TRUE(options.ok()) << options.status();
  return options.ok() ? *options : Options{};
}

// A loopback TCP listener that is not Redis. With `garbage` empty it never accepts, so the kernel
// completes connects but nothing ever answers; otherwise it accepts one client and answers its
// first bytes with `garbage`.
class FakeServer final {
 public:
  explicit FakeServer(std::string garbage = "")
      : garbage_(std::move(garbage)), fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    EXPECT_EQ(::listen(fd_, 16), 0);
    socklen_t len = sizeof(addr);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    if (!garbage_.empty()) thread_ = std::thread([this] { Serve(); });
  }
  FakeServer(const FakeServer&) = delete;
  FakeServer& operator=(const FakeServer&) = delete;
  FakeServer(FakeServer&&) = delete;
  FakeServer& operator=(FakeServer&&) = delete;
  ~FakeServer() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    ::close(fd_);
  }
  int port() const { return port_; }

 private:
  // Returns when the client hangs up or the test ends; polls so it never blocks forever.
  void Serve() {
    int client = -1;
    while (!stop_ && client < 0) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 20) == 1) client = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    }
    if (client < 0) return;
    bool answered = false;
    while (!stop_) {
      pollfd p{client, POLLIN, 0};
      if (::poll(&p, 1, 20) != 1) continue;
      std::array<char, 256> buffer{};
      if (::recv(client, buffer.data(), buffer.size(), 0) <= 0) break;
      if (!answered) {
        ::send(client, garbage_.data(), garbage_.size(), MSG_NOSIGNAL);
        answered = true;
      }
    }
    ::close(client);
  }

  std::string garbage_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// ---------------------------------------------------------------------------------------------
// ParseUrl

TEST(RedisParseUrlTest, ParsesEveryPart) {
  absl::StatusOr<Options> options = ParseUrl("redis://:s3cret@redis.example:6380/2");
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->host, "redis.example");
  EXPECT_EQ(options->port, 6380);
  EXPECT_EQ(options->db, 2);
  EXPECT_EQ(options->password, "s3cret");
}

TEST(RedisParseUrlTest, AppliesDefaults) {
  absl::StatusOr<Options> options = ParseUrl("redis://localhost");
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->host, "localhost");
  EXPECT_EQ(options->port, 6379);
  EXPECT_EQ(options->db, 0);
  EXPECT_EQ(options->password, "");
  EXPECT_EQ(options->connect_timeout, Options{}.connect_timeout);

  options = ParseUrl("REDIS://127.0.0.1:7000/");
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->port, 7000);
  EXPECT_EQ(options->db, 0);
}

TEST(RedisParseUrlTest, DecodesPasswordsAndIpv6Hosts) {
  absl::StatusOr<Options> options = ParseUrl("redis://:p%40ss%3Aword@[::1]:7001/3");
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->password, "p@ss:word");
  EXPECT_EQ(options->host, "::1");
  EXPECT_EQ(options->port, 7001);
  EXPECT_EQ(options->db, 3);

  // A raw '@' in the password works too: the last '@' ends the password.
  options = ParseUrl("redis://:a@b@host:1");
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->password, "a@b");
  EXPECT_EQ(options->host, "host");
}

TEST(RedisParseUrlTest, RejectsBadInputNamingWhatIsWrong) {
  struct Case {
    std::string url;
    std::string reason;
  };
  const std::vector<Case> cases = {
      {"", "empty"},
      {"http://h:1", "must start with redis://"},
      {"rediss://", "host is missing"},
      {"redis://", "host is missing"},
      {"redis://:6379", "host is missing"},
      {"redis://h:0", "port after ':' is not a number"},
      {"redis://h:65536", "port after ':' is not a number"},
      {"redis://h:abc", "port after ':' is not a number"},
      {"redis://h:", "port after ':' is not a number"},
      {"redis://h:+1", "port after ':' is not a number"},
      {"redis://h:1?db=2", "port after ':' is not a number"},
      {"redis://h:1/x", "database 'x'"},
      {"redis://h:1/-1", "database '-1'"},
      {"redis://h:1/2/3", "database '2/3'"},
      {"redis://@h:1", "user name before '@' is empty"},
      {"redis://ad min:hunter2@h:1", "user name contains"},
      {"redis://admin%zz:hunter2@h:1", "'%'"},
      {"redis://:@h:1", "password after ':' is empty"},
      {"redis://:hunter2%zz@h:1", "'%'"},
      {"redis://:hunter2%4@h:1", "'%'"},
      {"redis://[::1:1", "']'"},
      {"redis://[::1]x:1", "after the IPv6 host"},
      {"redis://h:hunter2", "port after ':'"},
      {"redis://h st:1", "space"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<Options> options = ParseUrl(c.url);
    ASSERT_FALSE(options.ok()) << c.url;
    EXPECT_EQ(options.status().code(), absl::StatusCode::kInvalidArgument) << c.url;
    EXPECT_THAT(options.status().message(), HasSubstr(c.reason)) << c.url;
    EXPECT_THAT(options.status().message(), Not(HasSubstr("hunter2"))) << c.url;
  }
}

// ---------------------------------------------------------------------------------------------
// Reply and Script

TEST(RedisReplyTest, DebugStringShowsTypeAndEscapesBytes) {
  const Reply reply = Reply::Array({Reply::Integer(3), Reply::String(std::string("a\0b", 3)),
                                    Reply::Status("OK"), Reply::Error("ERR x"), Reply::Nil()});
  EXPECT_EQ(reply.DebugString(), "[(integer) 3, \"a\\000b\", (status) OK, (error) ERR x, (nil)]");
  EXPECT_TRUE(Reply::Nil().is_nil());
  EXPECT_TRUE(Reply::Error("E").is_error());
  EXPECT_EQ(Reply::Integer(1), Reply::Integer(1));
  EXPECT_NE(Reply::String("1"), Reply::Integer(1));
}

TEST(RedisScriptTest, ComputesSha1Locally) {
  const Script script("return 1");
  EXPECT_EQ(script.sha1(), "e0e1f9fabfc9d4800c877a703b823ac0578ff8db");
  EXPECT_EQ(script.source(), "return 1");
}

// ---------------------------------------------------------------------------------------------
// Connection against a real redis-server

class RedisConnectionTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_OK(server_.Start()); }

  RedisServer server_;
};

TEST_F(RedisConnectionTest, ConnectsLazilyOnFirstUse) {
  Connection connection(OptionsFor(server_));
  EXPECT_FALSE(connection.connected());
  ASSERT_OK(connection.Ping());
  EXPECT_TRUE(connection.connected());
}

TEST_F(RedisConnectionTest, DecodesEveryReplyType) {
  Connection connection(OptionsFor(server_));

  absl::StatusOr<Reply> reply = connection.Command({"SET", "greeting", "hello"});
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(*reply, Reply::Status("OK"));

  reply = connection.Command({"GET", "greeting"});
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(*reply, Reply::String("hello"));

  reply = connection.Command({"INCRBY", "counter", "41"});
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(*reply, Reply::Integer(41));

  reply = connection.Command({"GET", "missing"});
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_TRUE(reply->is_nil());

  ASSERT_TRUE(connection.Command({"RPUSH", "list", "a", "b"}).ok());
  reply = connection.Command({"MGET", "list-missing", "greeting"});
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(*reply, Reply::Array({Reply::Nil(), Reply::String("hello")}));

  reply = connection.Command({"LRANGE", "list", "0", "-1"});
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(*reply, Reply::Array({Reply::String("a"), Reply::String("b")}));
}

TEST_F(RedisConnectionTest, KeysAndValuesAreBinarySafe) {
  Connection connection(OptionsFor(server_));
  const std::string key("key\0with\0nuls", 13);
  const std::string value("\0\r\n\xff payload \0 end\r\n", 20);

  ASSERT_TRUE(connection.Command({"SET", key, value}).ok());
  absl::StatusOr<Reply> reply = connection.Command({"GET", key});
  ASSERT_TRUE(reply.ok()) << reply.status();
  ASSERT_TRUE(reply->is_string()) << reply->DebugString();
  EXPECT_EQ(reply->str, value);

  reply = connection.Command({"STRLEN", key});
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->integer, static_cast<long long>(value.size()));

  // The prefix before the first NUL is a different key.
  reply = connection.Command({"EXISTS", "key"});
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->integer, 0);
}

TEST_F(RedisConnectionTest, PipelineReturnsOneReplyPerCommandInOrder) {
  Connection connection(OptionsFor(server_));
  const std::vector<std::vector<std::string>> commands(100, {"INCR", "pipelined"});
  absl::StatusOr<std::vector<Reply>> replies = connection.Pipeline(commands);
  ASSERT_TRUE(replies.ok()) << replies.status();
  ASSERT_EQ(replies->size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ((*replies)[i], Reply::Integer(i + 1));

  // An error reply in the middle affects only its own slot.
  replies = connection.Pipeline({{"SET", "s", "text"}, {"INCR", "s"}, {"GET", "s"}});
  ASSERT_TRUE(replies.ok()) << replies.status();
  ASSERT_EQ(replies->size(), 3u);
  EXPECT_EQ((*replies)[0], Reply::Status("OK"));
  EXPECT_TRUE((*replies)[1].is_error());
  EXPECT_EQ((*replies)[2], Reply::String("text"));

  replies = connection.Pipeline({});
  ASSERT_TRUE(replies.ok()) << replies.status();
  EXPECT_TRUE(replies->empty());
}

TEST_F(RedisConnectionTest, RejectsEmptyCommandsWithoutSendingAnything) {
  Connection connection(OptionsFor(server_));
  EXPECT_EQ(connection.Command({}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(connection.Pipeline({{"PING"}, {}}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(connection.connected());
}

TEST_F(RedisConnectionTest, ErrorRepliesAreDataNotFailures) {
  Connection connection(OptionsFor(server_));
  ASSERT_TRUE(connection.Command({"SET", "plain", "v"}).ok());

  absl::StatusOr<Reply> reply = connection.Command({"LPUSH", "plain", "x"});
  ASSERT_TRUE(reply.ok()) << reply.status();
  ASSERT_TRUE(reply->is_error()) << reply->DebugString();
  EXPECT_THAT(reply->str, StartsWith("WRONGTYPE"));

  reply = connection.Command({"NOSUCHCOMMAND"});
  ASSERT_TRUE(reply.ok()) << reply.status();
  ASSERT_TRUE(reply->is_error()) << reply->DebugString();
  EXPECT_THAT(reply->str, HasSubstr("unknown command"));

  // The connection is still good.
  EXPECT_TRUE(connection.connected());
  reply = connection.Command({"GET", "plain"});
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(*reply, Reply::String("v"));
}

TEST_F(RedisConnectionTest, EvalLoadsScriptsItselfAndSurvivesScriptFlush) {
  Connection connection(OptionsFor(server_));
  const Script incr_by("return redis.call('INCRBY', KEYS[1], ARGV[1])");

  // The server computes the same SHA1 as the client.
  absl::StatusOr<Reply> loaded = connection.Command({"SCRIPT", "LOAD", incr_by.source()});
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(*loaded, Reply::String(incr_by.sha1()));
  ASSERT_TRUE(connection.Command({"SCRIPT", "FLUSH"}).ok());

  // First run: NOSCRIPT, then EVAL.
  absl::StatusOr<Reply> reply = connection.Eval(incr_by, {"total"}, {"5"});
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(*reply, Reply::Integer(5));
  absl::StatusOr<Reply> exists = connection.Command({"SCRIPT", "EXISTS", incr_by.sha1()});
  ASSERT_TRUE(exists.ok()) << exists.status();
  EXPECT_EQ(*exists, Reply::Array({Reply::Integer(1)}));

  // Cached: EVALSHA alone.
  reply = connection.Eval(incr_by, {"total"}, {"5"});
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(*reply, Reply::Integer(10));

  // Flushed again (as after a server restart): still works, and runs exactly once.
  ASSERT_TRUE(connection.Command({"SCRIPT", "FLUSH"}).ok());
  reply = connection.Eval(incr_by, {"total"}, {"5"});
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(*reply, Reply::Integer(15));
}

TEST_F(RedisConnectionTest, EvalKeepsKeysAndArgsApart) {
  Connection connection(OptionsFor(server_));
  const Script echo("return {KEYS[1], KEYS[2], ARGV[1], #KEYS, #ARGV}");
  absl::StatusOr<Reply> reply = connection.Eval(echo, {"k1", "k2"}, {std::string("a\0b", 3)});
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(*reply, Reply::Array({Reply::String("k1"), Reply::String("k2"),
                                  Reply::String(std::string("a\0b", 3)), Reply::Integer(2),
                                  Reply::Integer(1)}));
}

TEST_F(RedisConnectionTest, EvalReturnsScriptErrorsAsErrorReplies) {
  Connection connection(OptionsFor(server_));
  const Script domain_error("return redis.error_reply('CONSENT_NOT_FOUND no consent for u1')");
  absl::StatusOr<Reply> reply = connection.Eval(domain_error, {}, {});
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(*reply, Reply::Error("CONSENT_NOT_FOUND no consent for u1"));

  const Script runtime_error("return redis.call('LPUSH', KEYS[1], 'x')");
  ASSERT_TRUE(connection.Command({"SET", "scalar", "1"}).ok());
  reply = connection.Eval(runtime_error, {"scalar"}, {});
  ASSERT_TRUE(reply.ok()) << reply.status();
  ASSERT_TRUE(reply->is_error()) << reply->DebugString();
  EXPECT_THAT(reply->str, HasSubstr("WRONGTYPE"));
  EXPECT_TRUE(connection.connected());
}

// A server that is not ready (LOADING while it replays its AOF after a restart, BUSY while a
// script runs) answers every command with such an error: that is UNAVAILABLE, retryable, not
// a reply the caller would report as INTERNAL. The replies here come from a script because a
// real LOADING window is too short to hit reliably.
TEST_F(RedisConnectionTest, ServerNotReadyErrorsAreUnavailable) {
  Connection connection(OptionsFor(server_));
  for (const char* error :
       {"LOADING Redis is loading the dataset in memory", "BUSY Redis is busy running a script",
        "TRYAGAIN multi-key", "CLUSTERDOWN The cluster is down",
        "MASTERDOWN Link with MASTER is down"}) {
    const Script script(absl::StrCat("return redis.error_reply('", error, "')"));
    absl::StatusOr<Reply> reply = connection.Eval(script, {}, {});
    ASSERT_FALSE(reply.ok()) << error << ": " << reply->DebugString();
    EXPECT_TRUE(absl::IsUnavailable(reply.status())) << reply.status();
    EXPECT_THAT(std::string(reply.status().message()), HasSubstr(error));
  }
  auto pipeline = connection.Pipeline(
      {{"SET", "p", "1"}, {"EVAL", "return redis.error_reply('LOADING not yet')", "0"}});
  ASSERT_FALSE(pipeline.ok());
  EXPECT_TRUE(absl::IsUnavailable(pipeline.status())) << pipeline.status();
  // Errors about the command itself stay replies, including look-alikes.
  const Script group_exists(
      "return redis.error_reply('BUSYGROUP Consumer Group name already exists')");
  absl::StatusOr<Reply> reply = connection.Eval(group_exists, {}, {});
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_TRUE(reply->is_error());
  EXPECT_TRUE(connection.connected());
}

TEST_F(RedisConnectionTest, FailsFastWhileBackingOffThenRecoversOnTheSameConnection) {
  Options options = OptionsFor(server_);
  options.connect_timeout = milliseconds(2000);
  options.backoff_initial = milliseconds(600);
  options.backoff_max = milliseconds(1000);
  Connection connection(options);
  ASSERT_OK(connection.Ping());

  ASSERT_OK(server_.Stop());
  const std::string where = absl::StrCat("127.0.0.1:", server_.port());

  // The open socket is found dead on use; nothing is retried behind the caller's back.
  absl::StatusOr<Reply> reply = connection.Command({"INCR", "n"});
  ASSERT_EQ(reply.status().code(), absl::StatusCode::kUnavailable) << reply.status();
  EXPECT_THAT(reply.status().message(), HasSubstr(where));
  EXPECT_FALSE(connection.connected());

  // The next call tries to connect, which is refused and opens the back-off window.
  reply = connection.Command({"INCR", "n"});
  ASSERT_EQ(reply.status().code(), absl::StatusCode::kUnavailable) << reply.status();
  EXPECT_TRUE(IsConnectAttempt(reply.status())) << reply.status();
  EXPECT_THAT(reply.status().message(), HasSubstr(where));

  // Inside the window: no connect attempt at all, so it returns at once.
  const auto start = steady_clock::now();
  reply = connection.Command({"INCR", "n"});
  const auto elapsed = steady_clock::now() - start;
  ASSERT_EQ(reply.status().code(), absl::StatusCode::kUnavailable) << reply.status();
  EXPECT_THAT(reply.status().message(), HasSubstr("backing off"));
  EXPECT_THAT(reply.status().message(), HasSubstr("Connection refused"));
  EXPECT_LT(elapsed, options.connect_timeout / 20);

  ASSERT_OK(server_.Start());
  EXPECT_TRUE(Eventually([&] { return connection.Ping().ok(); }));
  EXPECT_TRUE(connection.connected());
  reply = connection.Command({"INCR", "n"});
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(*reply, Reply::Integer(1));
}

TEST_F(RedisConnectionTest, SuccessfulConnectResetsTheBackoff) {
  Options options = OptionsFor(server_);
  options.backoff_initial = milliseconds(100);
  options.backoff_max = milliseconds(100000);
  Connection connection(options);

  // Several failed attempts grow the window well beyond backoff_initial...
  ASSERT_OK(server_.Stop());
  int attempts = 0;
  ASSERT_TRUE(Eventually(
      [&] {
        if (IsConnectAttempt(connection.Command({"PING"}).status())) ++attempts;
        return attempts >= 4;
      },
      milliseconds(20000)));
  ASSERT_OK(server_.Start());
  ASSERT_TRUE(Eventually([&] { return connection.Ping().ok(); }, milliseconds(20000)));

  // ...to at least 800 ms by now; after a success the first window is back to at most 100 ms.
  ASSERT_OK(server_.Stop());
  (void)connection.Command({"PING"});  // Finds the socket dead.
  absl::StatusOr<Reply> reply = connection.Command({"PING"});
  ASSERT_TRUE(IsConnectAttempt(reply.status())) << reply.status();
  const auto start = steady_clock::now();
  ASSERT_TRUE(Eventually([&] { return IsConnectAttempt(connection.Command({"PING"}).status()); },
                         milliseconds(5000)));
  EXPECT_LT(steady_clock::now() - start, milliseconds(500));
}

TEST(RedisDurabilityTest, DataSurvivesRestartAndCrashWithAppendOnly) {
  RedisServer durable(
      RedisServerOptions{.appendonly = true, .extra_args = {"--appendfsync", "always"}});
  ASSERT_OK(durable.Start());
  const int port = durable.port();
  {
    Connection connection(OptionsFor(durable));
    ASSERT_TRUE(connection.Command({"SET", "durable", "yes"}).ok());
  }
  ASSERT_OK(durable.Restart());
  EXPECT_EQ(durable.port(), port);
  {
    Connection connection(OptionsFor(durable));
    absl::StatusOr<Reply> reply = connection.Command({"GET", "durable"});
    ASSERT_TRUE(reply.ok()) << reply.status();
    EXPECT_EQ(*reply, Reply::String("yes"));
    ASSERT_TRUE(connection.Command({"SET", "after-restart", "also"}).ok());
  }
  ASSERT_OK(durable.Kill());
  ASSERT_OK(durable.Start());
  Connection connection(OptionsFor(durable));
  absl::StatusOr<Reply> reply = connection.Command({"MGET", "durable", "after-restart"});
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(*reply, Reply::Array({Reply::String("yes"), Reply::String("also")}));
}

TEST(RedisUrlTest, ParsesAclUsers) {
  absl::StatusOr<Options> both = ParseUrl("redis://content:s%40cret@h:1");
  ASSERT_TRUE(both.ok()) << both.status();
  EXPECT_EQ(both->username, "content");
  EXPECT_EQ(both->password, "s@cret");
  absl::StatusOr<Options> user_only = ParseUrl("redis://content@h:1");
  ASSERT_TRUE(user_only.ok()) << user_only.status();
  EXPECT_EQ(user_only->username, "content");
  EXPECT_EQ(user_only->password, "");
  absl::StatusOr<Options> password_only = ParseUrl("redis://:pw@h:1");
  ASSERT_TRUE(password_only.ok()) << password_only.status();
  EXPECT_EQ(password_only->username, "");
}

// A service's ACL user reaches its own keys and nothing else (the layout of issue 11: every key
// of a service starts with adv:<service>:), scripts included.
TEST(RedisAuthTest, AnAclUserIsConfinedToItsKeyPattern) {
  RedisServer secured(RedisServerOptions{
      // Each word its own argument: redis-server joins them into the config line.
      .extra_args = {"--user", "default", "off", "--user", "content", "on", ">pw-content",
                     "~adv:content:*", "+@all", "-@dangerous"}});
  ASSERT_OK(secured.Start());
  absl::StatusOr<Options> options =
      ParseUrl(absl::StrCat("redis://content:pw-content@127.0.0.1:", secured.port()));
  ASSERT_TRUE(options.ok()) << options.status();
  Connection content(*options);
  absl::StatusOr<Reply> own = content.Command({"SET", "adv:content:{t1}:x", "1"});
  ASSERT_TRUE(own.ok()) << own.status();
  EXPECT_FALSE(own->is_error()) << own->str;
  absl::StatusOr<Reply> foreign = content.Command({"GET", "adv:consent:{t1:e1}:s"});
  ASSERT_TRUE(foreign.ok()) << foreign.status();
  EXPECT_TRUE(foreign->is_error());
  EXPECT_THAT(foreign->str, HasSubstr("NOPERM"));
  absl::StatusOr<Reply> script = content.Command(
      {"EVAL", "return redis.call('SET', KEYS[1], '1')", "1", "adv:consent:{t1:e1}:s"});
  ASSERT_TRUE(script.ok()) << script.status();
  EXPECT_TRUE(script->is_error()) << "a script runs with the caller's permissions";

  Options wrong = *options;
  wrong.username = "consent";
  const absl::Status status = Connection(wrong).Ping();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_THAT(status.message(), Not(HasSubstr("pw-content")));
}

TEST(RedisAuthTest, AuthenticatesAndSelectsTheDatabase) {
  RedisServer secured(RedisServerOptions{.extra_args = {"--requirepass", "s3cret"}});
  ASSERT_OK(secured.Start());
  const std::string base = absl::StrCat("127.0.0.1:", secured.port());

  absl::StatusOr<Options> db3 = ParseUrl(absl::StrCat("redis://:s3cret@", base, "/3"));
  ASSERT_TRUE(db3.ok()) << db3.status();
  Connection in_db3(*db3);
  ASSERT_TRUE(in_db3.Command({"SET", "where", "db3"}).ok());

  absl::StatusOr<Options> db0 = ParseUrl(absl::StrCat("redis://:s3cret@", base));
  ASSERT_TRUE(db0.ok()) << db0.status();
  Connection in_db0(*db0);
  absl::StatusOr<Reply> reply = in_db0.Command({"GET", "where"});
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_TRUE(reply->is_nil());
  reply = in_db3.Command({"GET", "where"});
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(*reply, Reply::String("db3"));

  Options wrong = *db0;
  wrong.password = "hunter2";
  Connection rejected(wrong);
  absl::Status status = rejected.Ping();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_THAT(status.message(), HasSubstr("AUTH was rejected"));
  EXPECT_THAT(status.message(), HasSubstr(base));
  EXPECT_THAT(status.message(), Not(HasSubstr("hunter2")));
  EXPECT_FALSE(rejected.connected());

  Options no_password = *db0;
  no_password.password.clear();
  status = Connection(no_password).Ping();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_THAT(status.message(), HasSubstr("NOAUTH"));

  Options bad_db = *db0;
  bad_db.db = 999;
  status = Connection(bad_db).Ping();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_THAT(status.message(), HasSubstr("SELECT 999 was rejected"));
}

// ---------------------------------------------------------------------------------------------
// Transport failures without a real server

TEST(RedisTransportTest, ConnectRefusedIsUnavailableNamingHostAndPort) {
  int port = 0;
  {
    FakeServer closed;  // Reserve a port, then close it so nothing listens there.
    port = closed.port();
  }
  Options options;
  options.port = port;
  Connection connection(options);
  const absl::Status status = connection.Ping();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_THAT(status.message(), HasSubstr(absl::StrCat("127.0.0.1:", port)));
  EXPECT_THAT(status.message(), HasSubstr("Connection refused"));
}

TEST(RedisTransportTest, CommandTimeoutIsUnavailableAndDropsTheConnection) {
  FakeServer silent;
  Options options;
  options.port = silent.port();
  options.command_timeout = milliseconds(200);
  Connection connection(options);
  const auto start = steady_clock::now();
  absl::StatusOr<Reply> reply = connection.Command({"GET", "k"});
  const auto elapsed = steady_clock::now() - start;
  ASSERT_EQ(reply.status().code(), absl::StatusCode::kUnavailable) << reply.status();
  EXPECT_THAT(reply.status().message(), HasSubstr("command timeout of 200 ms"));
  EXPECT_GE(elapsed, milliseconds(150));
  EXPECT_LT(elapsed, milliseconds(2000));
  EXPECT_FALSE(connection.connected());
}

TEST(RedisTransportTest, ProtocolErrorIsUnavailableAndDropsTheConnection) {
  FakeServer not_redis("HTTP/1.1 400 Bad Request\r\n\r\n");
  Options options;
  options.port = not_redis.port();
  Connection connection(options);
  absl::StatusOr<Reply> reply = connection.Command({"GET", "k"});
  ASSERT_EQ(reply.status().code(), absl::StatusCode::kUnavailable) << reply.status();
  EXPECT_THAT(reply.status().message(), HasSubstr("protocol error"));
  EXPECT_FALSE(connection.connected());
}

// ---------------------------------------------------------------------------------------------
// Pool

class RedisPoolTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_OK(server_.Start()); }

  RedisServer server_;
};

TEST_F(RedisPoolTest, ConcurrentIncrementsAreAllCounted) {
  constexpr int kThreads = 8;
  constexpr int kIncrementsPerThread = 500;
  Pool pool(OptionsFor(server_), 4);  // Fewer connections than threads: Acquire contends too.
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kIncrementsPerThread; ++i) {
        absl::StatusOr<Pool::Lease> lease = pool.Acquire(milliseconds(10000));
        if (!lease.ok()) {
          ++failures;
          continue;
        }
        absl::StatusOr<Reply> reply = (*lease)->Command({"INCR", "shared-counter"});
        if (!reply.ok() || !reply->is_integer()) ++failures;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);

  absl::StatusOr<Pool::Lease> lease = pool.Acquire();
  ASSERT_TRUE(lease.ok()) << lease.status();
  absl::StatusOr<Reply> reply = (*lease)->Command({"GET", "shared-counter"});
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(*reply, Reply::String(absl::StrCat(kThreads * kIncrementsPerThread)));
}

TEST_F(RedisPoolTest, AcquireTimesOutWhenAllLeasesAreHeld) {
  Pool pool(OptionsFor(server_), 2);
  std::optional<Pool::Lease> first(*pool.Acquire());
  absl::StatusOr<Pool::Lease> second = pool.Acquire();
  ASSERT_TRUE(second.ok()) << second.status();

  const auto start = steady_clock::now();
  absl::StatusOr<Pool::Lease> third = pool.Acquire(milliseconds(100));
  const auto elapsed = steady_clock::now() - start;
  EXPECT_EQ(third.status().code(), absl::StatusCode::kDeadlineExceeded) << third.status();
  EXPECT_THAT(third.status().message(), HasSubstr("all 2 connections"));
  EXPECT_GE(elapsed, milliseconds(95));
  EXPECT_LT(elapsed, milliseconds(2000));

  first.reset();
  third = pool.Acquire(milliseconds(0));
  EXPECT_TRUE(third.ok()) << third.status();
}

TEST_F(RedisPoolTest, AcquireWakesUpWhenALeaseIsReturned) {
  Pool pool(OptionsFor(server_), 1);
  std::optional<Pool::Lease> held(*pool.Acquire());
  std::atomic<bool> waiting{false};
  std::atomic<bool> acquired{false};
  std::thread waiter([&] {
    waiting = true;
    absl::StatusOr<Pool::Lease> lease = pool.Acquire(milliseconds(30000));
    acquired = lease.ok();
  });
  ASSERT_TRUE(Eventually([&] { return waiting.load(); }));
  // Not a synchronisation: it only makes it likely that the waiter is already blocked, so the
  // wake-up path is what gets exercised. The test is correct either way.
  std::this_thread::sleep_for(milliseconds(50));
  held.reset();
  waiter.join();
  EXPECT_TRUE(acquired.load());
}

TEST_F(RedisPoolTest, MovedLeaseIsReturnedExactlyOnce) {
  Pool pool(OptionsFor(server_), 1);
  {
    absl::StatusOr<Pool::Lease> lease = pool.Acquire();
    ASSERT_TRUE(lease.ok()) << lease.status();
    Pool::Lease moved = *std::move(lease);
    ASSERT_OK(moved->Ping());
    EXPECT_EQ(pool.Acquire(milliseconds(0)).status().code(), absl::StatusCode::kDeadlineExceeded);
  }
  absl::StatusOr<Pool::Lease> again = pool.Acquire(milliseconds(0));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE((*again)->connected());  // The same connection, kept open between leases.
}

TEST_F(RedisPoolTest, PingReflectsTheServer) {
  Options options = OptionsFor(server_);
  options.backoff_initial = milliseconds(20);
  options.backoff_max = milliseconds(100);
  Pool pool(options, 2);
  ASSERT_OK(pool.Ping());
  ASSERT_OK(server_.Stop());
  const absl::Status down = pool.Ping();
  EXPECT_EQ(down.code(), absl::StatusCode::kUnavailable) << down;
  ASSERT_OK(server_.Start());
  EXPECT_TRUE(Eventually([&] { return pool.Ping().ok(); }));
}

// ---------------------------------------------------------------------------------------------
// The test helper itself

TEST_F(RedisPoolTest, RunAndEvalTurnErrorRepliesIntoStatuses) {
  Pool pool(OptionsFor(server_), 2);
  auto ok = pool.Run({"SET", "k", "v"});
  ASSERT_TRUE(ok.ok());
  EXPECT_TRUE(ok->is_status());
  auto wrong = pool.Run({"LPUSH", "k", "x"}, "a list write");
  EXPECT_EQ(wrong.status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(wrong.status().message(), HasSubstr("Redis refused a list write: "));
  EXPECT_THAT(wrong.status().message(), HasSubstr("WRONGTYPE"));
  // Without a description the command names itself.
  EXPECT_THAT(pool.Run({"INCR", "k"}).status().message(), HasSubstr("Redis refused INCR: "));

  const Script fails("return redis.error_reply('ERR no such thing')");
  auto refused = pool.Eval(fails, {}, {}, "the test script");
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(refused.status().message(), HasSubstr("Redis refused the test script"));
  const Script echo("return ARGV[1]");
  auto echoed = pool.Eval(echo, {}, {"hi"}, "the echo script");
  ASSERT_TRUE(echoed.ok());
  EXPECT_EQ(echoed->str, "hi");

  // A pipeline keeps per-command error replies as elements.
  auto piped = pool.Pipeline({{"GET", "k"}, {"LPUSH", "k", "x"}});
  ASSERT_TRUE(piped.ok());
  ASSERT_EQ(piped->size(), 2u);
  EXPECT_EQ((*piped)[0].str, "v");
  EXPECT_TRUE((*piped)[1].is_error());
  EXPECT_THAT(RefusedError((*piped)[1], "a pipelined write").message(),
              HasSubstr("Redis refused a pipelined write: "));
}

TEST(RedisServerHelperTest, StopsAndCleansUp) {
  std::string dir;
  int port = 0;
  {
    RedisServer server;
    ASSERT_OK(server.Start());
    EXPECT_TRUE(server.running());
    dir = server.dir();
    port = server.port();
    EXPECT_EQ(server.url(), absl::StrCat("redis://127.0.0.1:", port));
    EXPECT_EQ(server.Start().code(), absl::StatusCode::kFailedPrecondition);
  }
  EXPECT_NE(::access(dir.c_str(), F_OK), 0) << dir << " was not removed";
  Options options;
  options.port = port;
  EXPECT_EQ(Connection(options).Ping().code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace advocacy::redis

namespace advocacy::redis {
namespace {

// After a Redis restart every pooled connection is dead. The first caller that finds out pays
// with one error; the pool then reconnects the others before lending them, so the callers
// after it do not each find a stale connection.
TEST(RedisPoolEpochTest, OneBrokenConnectionRefreshesTheRestAfterARestart) {
  advocacy::testing::RedisServer server;
  ASSERT_TRUE(server.Start().ok());
  Options options;
  options.port = server.port();
  options.backoff_initial = std::chrono::milliseconds(1);
  options.backoff_max = std::chrono::milliseconds(1);
  Pool pool(options, 4);
  {
    // Connect all four.
    std::vector<Pool::Lease> leases;
    for (int i = 0; i < 4; ++i) {
      auto lease = pool.Acquire();
      ASSERT_TRUE(lease.ok());
      ASSERT_TRUE((*lease)->Ping().ok());
      leases.push_back(std::move(*lease));
    }
  }
  ASSERT_TRUE(server.Restart().ok());
  // The first use finds its connection dead.
  {
    auto lease = pool.Acquire();
    ASSERT_TRUE(lease.ok());
    EXPECT_FALSE((*lease)->Command({"PING"}).ok());
  }
  // Every connection lent after that works on the first try.
  std::vector<Pool::Lease> leases;
  for (int i = 0; i < 4; ++i) {
    auto lease = pool.Acquire();
    ASSERT_TRUE(lease.ok());
    auto reply = (*lease)->Command({"PING"});
    EXPECT_TRUE(reply.ok()) << "connection " << i << ": " << reply.status();
    leases.push_back(std::move(*lease));
  }
}

// ---------------------------------------------------------------------------------------------
// TLS (rediss://) against redis-server's own TLS port, with certificates made for each test

class RedisTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pki_.MakeCa("ca");
    pki_.MakeCa("other-ca");
    pki_.Issue("ca", "server");  // DNS:localhost, IP:127.0.0.1
    pki_.Issue("ca", "client");
    pki_.Issue("other-ca", "stranger");
  }

  // Starts redis-server with a TLS port next to its plain one (the helper's readiness check).
  void StartServer(const std::string& auth_clients, std::vector<std::string> extra = {}) {
    absl::StatusOr<int> port = ::advocacy::testing::PickFreePort();
    ASSERT_TRUE(port.ok()) << port.status();
    tls_port_ = *port;
    std::vector<std::string> args = {"--tls-port",         absl::StrCat(tls_port_),
                                     "--tls-cert-file",    pki_.Path("server.pem"),
                                     "--tls-key-file",     pki_.Path("server.key"),
                                     "--tls-ca-cert-file", pki_.Path("ca.pem"),
                                     "--tls-auth-clients", auth_clients};
    args.insert(args.end(), extra.begin(), extra.end());
    server_ = std::make_unique<RedisServer>(RedisServerOptions{.extra_args = args});
    ASSERT_OK(server_->Start());
  }

  Options TlsOptions(const std::string& user_info = "") const {
    absl::StatusOr<Options> options =
        ParseUrl(absl::StrCat("rediss://", user_info, "127.0.0.1:", tls_port_));
    EXPECT_TRUE(options.ok()) << options.status();
    Options o = options.value_or(Options{});
    o.tls_ca_file = pki_.Path("ca.pem");
    return o;
  }

  Pki pki_;
  int tls_port_ = 0;
  std::unique_ptr<RedisServer> server_;
};

TEST_F(RedisTlsTest, CommandsPipelinesScriptsAndLargeValuesTravelOverTls) {
  ASSERT_NO_FATAL_FAILURE(StartServer("no"));
  const Options options = TlsOptions();
  EXPECT_TRUE(options.tls);
  Connection connection(options);
  ASSERT_OK(connection.Ping());

  const std::string key("k\0tls", 5);
  const std::string big(3 * 1024 * 1024 + 7, '\xfe');  // Many TLS records each way.
  absl::StatusOr<Reply> reply = connection.Command({"SET", key, big});
  ASSERT_TRUE(reply.ok()) << reply.status();
  reply = connection.Command({"GET", key});
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->str, big);

  const std::vector<std::vector<std::string>> commands(2000, {"INCR", "n"});
  absl::StatusOr<std::vector<Reply>> replies = connection.Pipeline(commands);
  ASSERT_TRUE(replies.ok()) << replies.status();
  ASSERT_EQ(replies->size(), 2000u);
  EXPECT_EQ(replies->back(), Reply::Integer(2000));

  const Script script("return redis.call('INCRBY', KEYS[1], ARGV[1])");
  reply = connection.Eval(script, {"n"}, {"5"});
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(*reply, Reply::Integer(2005));

  // The plain port sees the same data: TLS is only the way there.
  Connection plain(OptionsFor(*server_));
  reply = plain.Command({"GET", "n"});
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(*reply, Reply::String("2005"));
}

TEST_F(RedisTlsTest, AclUsersAuthenticateOverTlsAndReconnectAfterARestart) {
  ASSERT_NO_FATAL_FAILURE(
      StartServer("no", {"--user", "content", "on", ">pw-content", "~adv:content:*", "+@all"}));
  Connection content(TlsOptions("content:pw-content@"));
  absl::StatusOr<Reply> reply = content.Command({"SET", "adv:content:{t}:x", "1"});
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_FALSE(reply->is_error()) << reply->str;
  reply = content.Command({"GET", "adv:consent:{t:e}:s"});
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_THAT(reply->str, HasSubstr("NOPERM"));

  ASSERT_OK(server_->Restart());
  EXPECT_TRUE(Eventually([&] { return content.Ping().ok(); }))
      << "the connection is dropped on the first failure and re-established with TLS";
}

TEST_F(RedisTlsTest, RefusesAServerItCannotTrustOrThatHasAnotherName) {
  ASSERT_NO_FATAL_FAILURE(StartServer("no"));
  Options untrusted = TlsOptions();
  untrusted.tls_ca_file = pki_.Path("other-ca.pem");
  absl::Status status = Connection(untrusted).Ping();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_THAT(status.message(), HasSubstr("certificate was refused"));
  EXPECT_THAT(status.message(), HasSubstr("ADVOCACY_REDIS_TLS_CA_FILE"));

  Options system_store = TlsOptions();
  system_store.tls_ca_file.clear();  // The system's CAs never signed the test CA.
  EXPECT_EQ(Connection(system_store).Ping().code(), absl::StatusCode::kUnavailable);

  Options wrong_name = TlsOptions();
  wrong_name.tls_server_name = "redis.example.org";
  status = Connection(wrong_name).Ping();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_THAT(status.message(), HasSubstr("redis.example.org"));

  Options by_name = TlsOptions();
  by_name.tls_server_name = "localhost";  // In the certificate: accepted.
  EXPECT_OK_STATUS(Connection(by_name).Ping());

  Options missing_ca = TlsOptions();
  missing_ca.tls_ca_file = pki_.Path("nonexistent.pem");
  status = Connection(missing_ca).Ping();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_THAT(status.message(), HasSubstr("cannot load the CA bundle"));
}

TEST_F(RedisTlsTest, AServerThatRequiresClientCertificatesGetsOne) {
  ASSERT_NO_FATAL_FAILURE(StartServer("yes"));
  const absl::Status without = Connection(TlsOptions()).Ping();
  EXPECT_EQ(without.code(), absl::StatusCode::kUnavailable) << without;

  Options stranger = TlsOptions();
  stranger.tls_cert_file = pki_.Path("stranger.pem");
  stranger.tls_key_file = pki_.Path("stranger.key");
  EXPECT_EQ(Connection(stranger).Ping().code(), absl::StatusCode::kUnavailable)
      << "a certificate from a CA the server does not trust is refused";

  Options client = TlsOptions();
  client.tls_cert_file = pki_.Path("client.pem");
  client.tls_key_file = pki_.Path("client.key");
  EXPECT_OK_STATUS(Connection(client).Ping());

  Options mismatched = client;
  mismatched.tls_key_file = pki_.Path("stranger.key");
  const absl::Status status = Connection(mismatched).Ping();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_THAT(status.message(), HasSubstr("does not belong to the certificate"));
}

TEST_F(RedisTlsTest, TlsToAPlainPortFailsClearlyAndInTime) {
  ASSERT_NO_FATAL_FAILURE(StartServer("no"));
  Options options = TlsOptions();
  options.port = server_->port();  // The plaintext port.
  options.command_timeout = milliseconds(500);
  const auto start = steady_clock::now();
  const absl::Status status = Connection(options).Ping();
  EXPECT_LT(steady_clock::now() - start, std::chrono::seconds(3));
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_THAT(status.message(), HasSubstr("TLS handshake"));
}

}  // namespace
}  // namespace advocacy::redis
