// SmtpMailSender against a real SMTP server: tests/integration/smtp_sink.py (aiosmtpd),
// started through the integration harness's SmtpSink.

#include "smtp_sender.h"

#include <atomic>
#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "harness.h"

namespace advocacy::notifications {
namespace {

using it::SmtpSink;
using it::SmtpSinkOptions;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr auto kWait = std::chrono::seconds(10);

std::unique_ptr<SmtpSink> StartSink(SmtpSinkOptions options = {}) {
  auto sink = SmtpSink::Start(std::move(options));
  if (absl::IsFailedPrecondition(sink.status())) return nullptr;  // no aiosmtpd: skipped
  EXPECT_TRUE(sink.ok()) << sink.status();
  return sink.ok() ? std::move(*sink) : nullptr;
}

#define START_SINK_OR_SKIP(var, ...) \
  auto var = StartSink(__VA_ARGS__); \
  if (!var) GTEST_SKIP() << "/usr/bin/python3 lacks aiosmtpd (python3-aiosmtpd)"

OutgoingMail Mail(const std::string& id, const std::string& to = "kari@example.com") {
  OutgoingMail m;
  m.from_address = "tips@advocacy.example";
  m.from_name = "Advocacy";
  m.to_address = to;
  m.to_name = "Kari";
  m.subject = "Verdt å dele: " + id;
  m.text = "Hello\n.a line that starts with a dot\n.\nend\n";
  m.html = "<p>Hello</p>";
  m.message_id = id + "@advocacy.example";
  m.headers = {{"List-Unsubscribe-Post", "List-Unsubscribe=One-Click"}};
  return m;
}

SmtpOptions Options(const SmtpSink& sink) {
  SmtpOptions o;
  o.url = sink.url();
  o.connect_timeout = std::chrono::milliseconds(2000);
  o.timeout = std::chrono::milliseconds(10000);
  return o;
}

// The message without its Date line (the only part that depends on the clock).
std::string WithoutDate(const std::string& message) {
  return message.substr(message.find("\r\n") + 2);
}

TEST(SmtpMailSender, DeliversExactlyTheBuiltMessage) {
  START_SINK_OR_SKIP(sink);
  SmtpMailSender sender(Options(*sink));
  const OutgoingMail mail = Mail("m1");
  ASSERT_TRUE(sender.Send(mail, {}).ok());
  ASSERT_TRUE(sink->WaitForCount(1, kWait));
  const auto mails = sink->Mails();
  ASSERT_EQ(mails.size(), 1u);
  EXPECT_EQ(mails[0].mail_from, "tips@advocacy.example");
  EXPECT_EQ(mails[0].rcpt_to, std::vector<std::string>{"kari@example.com"});
  // Dot-stuffing is undone by the relay: the bytes are exactly BuildMimeMessage's.
  EXPECT_EQ(WithoutDate(mails[0].data), WithoutDate(*BuildMimeMessage(mail, absl::Now())));
  EXPECT_EQ(mails[0].headers.at("message-id"), "<m1@advocacy.example>");
  EXPECT_EQ(mails[0].headers.at("list-unsubscribe-post"), "List-Unsubscribe=One-Click");
}

TEST(SmtpMailSender, RunsTheGuardOnceRightBeforeCommitting) {
  START_SINK_OR_SKIP(sink);
  SmtpMailSender sender(Options(*sink));
  std::atomic<int> calls{0};
  std::atomic<int64_t> guard_nanos{0};
  ASSERT_TRUE(sender
                  .Send(Mail("g1"),
                        [&] {
                          ++calls;
                          // Nothing is committed while the guard runs.
                          EXPECT_EQ(sink->Mails().size(), 0u);
                          guard_nanos = absl::ToUnixNanos(absl::Now());
                          return absl::OkStatus();
                        })
                  .ok());
  EXPECT_EQ(calls.load(), 1);
  ASSERT_TRUE(sink->WaitForCount(1, kWait));
  EXPECT_LT(guard_nanos.load(), sink->Mails()[0].received_unix_nanos);
}

TEST(SmtpMailSender, AFailedGuardAbortsWithoutDelivering) {
  START_SINK_OR_SKIP(sink);
  SmtpOptions o = Options(*sink);
  o.max_idle_connections = 1;
  SmtpMailSender sender(o);
  ASSERT_TRUE(sender.Send(Mail("before"), {}).ok());  // leaves a pooled connection to abort on
  const absl::Status withdrawn = absl::FailedPreconditionError("consent withdrawn meanwhile");
  EXPECT_EQ(sender.Send(Mail("aborted"), [&] { return withdrawn; }), withdrawn);
  EXPECT_EQ(sender.Send(Mail("aborted-too"), [&] { return withdrawn; }), withdrawn);
  ASSERT_TRUE(sender.Send(Mail("after"), [] { return absl::OkStatus(); }).ok());
  ASSERT_TRUE(sink->WaitForCount(2, kWait));
  const auto mails = sink->Mails();
  ASSERT_EQ(mails.size(), 2u);  // the aborted transactions never reached the relay's queue
  EXPECT_EQ(mails[0].headers.at("message-id"), "<before@advocacy.example>");
  EXPECT_EQ(mails[1].headers.at("message-id"), "<after@advocacy.example>");
}

TEST(SmtpMailSender, StartTlsWithAuth) {
  START_SINK_OR_SKIP(
      sink, SmtpSinkOptions{.starttls = true, .username = "relay-user", .password = "s3cret"});
  SmtpOptions o = Options(*sink);
  o.require_starttls = true;
  o.ca_file = sink->ca_file();
  o.username = "relay-user";
  o.password = "s3cret";
  {
    SmtpMailSender sender(o);
    ASSERT_TRUE(sender.Send(Mail("tls1"), {}).ok());
    ASSERT_TRUE(sender.Send(Mail("tls2"), {}).ok());  // over the pooled TLS session
    ASSERT_TRUE(sink->WaitForCount(2, kWait));
  }
  {
    SmtpOptions wrong = o;
    wrong.password = "guess";
    SmtpMailSender sender(wrong);
    const absl::Status st = sender.Send(Mail("bad-login"), {});
    EXPECT_TRUE(absl::IsUnavailable(st)) << st;  // an operator fixes the password; mails wait
    EXPECT_THAT(std::string(st.message()), HasSubstr("username and password"));
    EXPECT_THAT(std::string(st.message()), Not(HasSubstr("guess")));
  }
  {
    SmtpOptions untrusted = o;
    untrusted.ca_file.clear();  // the sink's self-signed certificate is not in the system store
    SmtpMailSender sender(untrusted);
    const absl::Status st = sender.Send(Mail("untrusted"), {});
    EXPECT_TRUE(absl::IsUnavailable(st)) << st;
  }
  EXPECT_EQ(sink->Mails().size(), 2u);
}

TEST(SmtpMailSender, RequireStartTlsRefusesAPlainRelay) {
  START_SINK_OR_SKIP(sink);
  SmtpOptions o = Options(*sink);
  o.require_starttls = true;
  SmtpMailSender sender(o);
  const absl::Status st = sender.Send(Mail("plain"), {});
  EXPECT_TRUE(absl::IsUnavailable(st)) << st;
  EXPECT_THAT(std::string(st.message()), HasSubstr("STARTTLS"));
  EXPECT_EQ(sink->Mails().size(), 0u);
}

TEST(SmtpMailSender, A4xxReplyIsUnavailable) {
  START_SINK_OR_SKIP(sink, SmtpSinkOptions{.fail_first = 1});
  SmtpMailSender sender(Options(*sink));
  const absl::Status st = sender.Send(Mail("deferred"), {});
  EXPECT_TRUE(absl::IsUnavailable(st)) << st;
  EXPECT_THAT(std::string(st.message()), HasSubstr("451 4.3.0 try again"));
  EXPECT_THAT(std::string(st.message()), HasSubstr("DATA"));
  ASSERT_TRUE(sender.Send(Mail("retried"), {}).ok());
  ASSERT_TRUE(sink->WaitForCount(1, kWait));
  ASSERT_EQ(sink->Mails().size(), 1u);
  EXPECT_EQ(sink->Mails()[0].headers.at("message-id"), "<retried@advocacy.example>");
}

TEST(SmtpMailSender, A5xxReplyIsFailedPrecondition) {
  START_SINK_OR_SKIP(sink, SmtpSinkOptions{.reject_rcpt_domain = "gone.example"});
  SmtpMailSender sender(Options(*sink));
  const absl::Status st = sender.Send(Mail("unknown", "ola@gone.example"), {});
  EXPECT_TRUE(absl::IsFailedPrecondition(st)) << st;
  EXPECT_THAT(std::string(st.message()), HasSubstr("RCPT TO"));
  EXPECT_THAT(std::string(st.message()), HasSubstr("550 5.1.1"));
  EXPECT_TRUE(sender.Send(Mail("known"), {}).ok());
}

TEST(SmtpMailSender, ARelayThatIsDownIsUnavailableAndPooledConnectionsRecover) {
  START_SINK_OR_SKIP(sink);
  SmtpOptions o = Options(*sink);
  o.max_idle_connections = 2;
  SmtpMailSender sender(o);
  ASSERT_TRUE(sender.Send(Mail("up"), {}).ok());
  sink->Stop();
  ASSERT_TRUE(sink->Restart().ok());
  // The pooled connection died with the old server; the sender must not trip over it.
  EXPECT_TRUE(sender.Send(Mail("after-restart"), {}).ok());
  sink->Stop();
  const absl::Status st = sender.Send(Mail("down"), {});
  EXPECT_TRUE(absl::IsUnavailable(st)) << st;
  EXPECT_THAT(std::string(st.message()), HasSubstr(sink->url()));
  ASSERT_TRUE(sink->Restart().ok());
  EXPECT_TRUE(sender.Send(Mail("up-again"), {}).ok());
  ASSERT_TRUE(sink->WaitForCount(3, kWait));
  EXPECT_EQ(sink->Mails().size(), 3u);
}

TEST(SmtpMailSender, RefusesMalformedMailWithoutConnecting) {
  START_SINK_OR_SKIP(sink);
  SmtpMailSender sender(Options(*sink));
  OutgoingMail m = Mail("bad");
  m.subject = "x\r\nBcc: all@example.com";
  bool guard_ran = false;
  EXPECT_TRUE(absl::IsInvalidArgument(sender.Send(m, [&] {
    guard_ran = true;
    return absl::OkStatus();
  })));
  EXPECT_FALSE(guard_ran);
  EXPECT_EQ(sink->Mails().size(), 0u);
}

TEST(SmtpMailSender, SendsFromManyThreads) {
  START_SINK_OR_SKIP(sink);
  SmtpMailSender sender(Options(*sink));
  constexpr int kThreads = 4;
  constexpr int kEach = 10;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        if (!sender.Send(Mail("t" + std::to_string(t) + "-" + std::to_string(i)), {}).ok()) {
          ++failures;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  ASSERT_TRUE(sink->WaitForCount(kThreads * kEach, kWait));
  std::set<std::string> ids;
  for (const auto& m : sink->Mails()) ids.insert(m.headers.at("message-id"));
  EXPECT_EQ(ids.size(), static_cast<size_t>(kThreads * kEach));
}

TEST(ValidateSmtpOptions, NamesTheProblem) {
  EXPECT_TRUE(ValidateSmtpOptions({.url = "smtp://relay.example:587"}).ok());
  EXPECT_TRUE(ValidateSmtpOptions({.url = "smtps://relay.example"}).ok());
  EXPECT_TRUE(absl::IsInvalidArgument(ValidateSmtpOptions({.url = "http://relay.example"})));
  EXPECT_TRUE(absl::IsInvalidArgument(ValidateSmtpOptions({.url = "smtp://"})));
  EXPECT_TRUE(absl::IsInvalidArgument(ValidateSmtpOptions({.url = "smtp://u:p@relay.example"})));
  EXPECT_TRUE(absl::IsInvalidArgument(
      ValidateSmtpOptions({.url = "smtp://relay.example", .password = "p"})));
  EXPECT_TRUE(absl::IsInvalidArgument(ValidateSmtpOptions(
      {.url = "smtp://relay.example", .timeout = std::chrono::milliseconds(0)})));
  SmtpMailSender misconfigured({.url = "relay.example"});
  const absl::Status st = misconfigured.Send(Mail("x"), {});
  EXPECT_TRUE(absl::IsUnavailable(st)) << st;
  EXPECT_THAT(std::string(st.message()), HasSubstr("misconfigured"));
}

}  // namespace
}  // namespace advocacy::notifications
