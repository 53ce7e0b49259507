#include "advocacy/common/redis_client.h"

#include <hiredis/hiredis.h>
#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "advocacy/common/logging.h"
#include "advocacy/common/status_macros.h"
#include "redis_transport.h"

namespace advocacy::redis {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

struct ReplyDeleter {
  void operator()(void* reply) const { freeReplyObject(reply); }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

// Recursive over nested arrays; hiredis bounds the nesting (7 levels) while parsing.
Reply Convert(const redisReply& raw) {  // NOLINT(misc-no-recursion)
  switch (raw.type) {
    case REDIS_REPLY_NIL:
      return Reply::Nil();
    case REDIS_REPLY_INTEGER:
      return Reply::Integer(raw.integer);
    case REDIS_REPLY_STRING:
      return Reply::String(std::string(raw.str, raw.len));
    case REDIS_REPLY_STATUS:
      return Reply::Status(std::string(raw.str, raw.len));
    case REDIS_REPLY_ERROR:
      return Reply::Error(std::string(raw.str, raw.len));
    case REDIS_REPLY_ARRAY: {
      std::vector<Reply> elements;
      elements.reserve(raw.elements);
      for (size_t i = 0; i < raw.elements; ++i) {
        elements.push_back(raw.element[i] == nullptr ? Reply::Nil() : Convert(*raw.element[i]));
      }
      return Reply::Array(std::move(elements));
    }
    default:
      // hiredis 0.14 speaks RESP2 only, so this means a newer hiredis with a RESP3 type.
      return Reply::Error(absl::StrCat("unsupported hiredis reply type ", raw.type));
  }
}

// Argument vectors in the shape hiredis wants; they point into `args`, which must outlive them.
struct Argv {
  explicit Argv(const std::vector<std::string>& args) {
    pointers.reserve(args.size());
    lengths.reserve(args.size());
    for (const std::string& arg : args) {
      pointers.push_back(arg.data());
      lengths.push_back(arg.size());
    }
  }
  int count() const { return static_cast<int>(pointers.size()); }

  std::vector<const char*> pointers;
  std::vector<size_t> lengths;
};

// One blocking round trip. Null means a transport failure; `saved_errno` then helps explain it.
ReplyPtr SendCommand(Transport* transport, const std::vector<std::string>& args, int* saved_errno) {
  Argv argv(args);
  errno = 0;
  void* raw = nullptr;
  if (transport->Append(argv.count(), argv.pointers.data(), argv.lengths.data())) {
    transport->GetReply(&raw);
  }
  *saved_errno = errno;
  return ReplyPtr(static_cast<redisReply*>(raw));
}

// The command name is safe to put in an error message; its arguments may hold secrets.
std::string CommandName(const std::vector<std::string>& args) {
  if (args.empty()) return "(empty)";
  constexpr size_t kMaxName = 32;
  return absl::CHexEscape(args[0].substr(0, kMaxName));
}

// hiredis writes with write(2), so a server that reset the connection raises SIGPIPE, whose
// default action kills the whole service. Only the default is replaced: a handler the program
// installed itself is left alone.
void IgnoreSigpipeUnlessHandled() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction current {};
    if (::sigaction(SIGPIPE, nullptr, &current) != 0) return;
    if ((current.sa_flags & SA_SIGINFO) != 0 || current.sa_handler != SIG_DFL) return;
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    sigemptyset(&ignore.sa_mask);
    ::sigaction(SIGPIPE, &ignore, nullptr);
  });
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Reply

Reply Reply::Integer(long long value) {
  Reply r;
  r.type = Type::kInteger;
  r.integer = value;
  return r;
}

Reply Reply::String(std::string value) {
  Reply r;
  r.type = Type::kString;
  r.str = std::move(value);
  return r;
}

Reply Reply::Status(std::string value) {
  Reply r;
  r.type = Type::kStatus;
  r.str = std::move(value);
  return r;
}

Reply Reply::Error(std::string message) {
  Reply r;
  r.type = Type::kError;
  r.str = std::move(message);
  return r;
}

Reply Reply::Array(std::vector<Reply> elements) {
  Reply r;
  r.type = Type::kArray;
  r.elements = std::move(elements);
  return r;
}

// Recursive over nested arrays, as deep as the reply (bounded by hiredis, 7 levels).
// NOLINTNEXTLINE(misc-no-recursion)
std::string Reply::DebugString() const {
  switch (type) {
    case Type::kNil:
      return "(nil)";
    case Type::kInteger:
      return absl::StrCat("(integer) ", integer);
    case Type::kString:
      return absl::StrCat("\"", absl::CEscape(str), "\"");
    case Type::kStatus:
      return absl::StrCat("(status) ", absl::CEscape(str));
    case Type::kError:
      return absl::StrCat("(error) ", absl::CEscape(str));
    case Type::kArray: {
      std::string out = "[";
      for (const Reply& element : elements) {
        if (out.size() > 1) out.append(", ");
        out.append(element.DebugString());
      }
      return out.append("]");
    }
  }
  return "(invalid reply type)";
}

// ---------------------------------------------------------------------------------------------
// Script

Script::Script(std::string source) : source_(std::move(source)) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int digest_size = 0;
  if (EVP_Digest(source_.data(), source_.size(), digest.data(), &digest_size, EVP_sha1(),
                 nullptr) != 1) {
    // Only possible if OpenSSL itself is broken (e.g. FIPS mode forbidding SHA1); EVALSHA would
    // then always miss, so fail loudly rather than degrade silently.
    log::Error(
        "OpenSSL could not compute SHA1 for a Redis Lua script; is SHA1 disabled by policy?");
    std::abort();
  }
  sha1_ = absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest.data()), digest_size));
}

// ---------------------------------------------------------------------------------------------
// Connection

void Connection::TransportDeleter::operator()(Transport* transport) const { delete transport; }

Connection::Connection(Options options)
    : options_(std::move(options)), rng_(std::random_device{}()) {
  IgnoreSigpipeUnlessHandled();
}

Connection::~Connection() = default;

absl::Status Connection::Unavailable(const std::string& cause) const {
  return absl::UnavailableError(
      absl::StrCat("Redis at ", options_.host, ":", options_.port, " is unavailable: ", cause));
}

absl::Status Connection::DropWithError(const std::string& during, int saved_errno) {
  const std::string cause =
      transport_ != nullptr ? transport_->Error(saved_errno, options_) : "not connected";
  transport_.reset();
  log::Warning("Dropped Redis connection after a transport failure; the next call reconnects",
               {{"redis", absl::StrCat(options_.host, ":", options_.port)},
                {"during", during},
                {"cause", cause}});
  return Unavailable(absl::StrCat(cause, " (while ", during, ")"));
}

void Connection::OpenBackoffWindow() {
  const milliseconds cap = std::max(options_.backoff_max, milliseconds(0));
  if (backoff_ <= milliseconds(0)) backoff_ = std::min(options_.backoff_initial, cap);
  // Equal jitter: wait between half and all of the current step, so clients that lost the server
  // together do not reconnect in lockstep, and the wait never exceeds backoff_max.
  const milliseconds half = backoff_ / 2;
  std::uniform_int_distribution<long long> extra(0,
                                                 std::max<long long>((backoff_ - half).count(), 0));
  next_attempt_ = steady_clock::now() + half + milliseconds(extra(rng_));
  backoff_ = std::min(backoff_ * 2, cap);
}

absl::Status Connection::EnsureConnected() {
  if (transport_ != nullptr) return absl::OkStatus();

  const auto now = steady_clock::now();
  if (now < next_attempt_) {
    const auto remaining = std::chrono::ceil<milliseconds>(next_attempt_ - now);
    return Unavailable(absl::StrCat("not connected; the last connect attempt failed (",
                                    last_connect_error_, "), backing off for another ",
                                    remaining.count(), " ms before the next attempt"));
  }

  std::string cause;
  if (auto transport = ConnectTransport(options_); !transport.ok()) {
    cause = std::string(transport.status().message());
  } else {
    transport_.reset(transport->release());
    if (absl::Status handshake = Handshake(); !handshake.ok()) {
      transport_.reset();
      cause = std::string(handshake.message());
    }
  }

  if (cause.empty()) {
    if (failed_connects_ > 0) {
      log::Info("Reconnected to Redis", {{"redis", absl::StrCat(options_.host, ":", options_.port)},
                                         {"failed_attempts", absl::StrCat(failed_connects_)}});
    }
    failed_connects_ = 0;
    backoff_ = milliseconds(0);
    next_attempt_ = {};
    last_connect_error_.clear();
    return absl::OkStatus();
  }

  // Logged once per outage, not per attempt: a pool of dead connections would flood the log.
  if (failed_connects_ == 0) {
    log::Warning("Cannot connect to Redis; retrying with exponential back-off",
                 {{"redis", absl::StrCat(options_.host, ":", options_.port)}, {"cause", cause}});
  }
  ++failed_connects_;
  last_connect_error_ = cause;
  OpenBackoffWindow();
  return Unavailable(cause);
}

absl::Status Connection::Handshake() {
  // Failures here are reported as the connect cause, so messages are phrased without host:port.
  auto run = [this](const std::vector<std::string>& args) -> absl::StatusOr<Reply> {
    int saved_errno = 0;
    const ReplyPtr reply = SendCommand(transport_.get(), args, &saved_errno);
    if (reply == nullptr) {
      return absl::UnavailableError(absl::StrCat(transport_->Error(saved_errno, options_),
                                                 " (while ", CommandName(args),
                                                 " after connecting)"));
    }
    return Convert(*reply);
  };

  if (!options_.password.empty()) {
    std::vector<std::string> auth_args = {"AUTH"};
    if (!options_.username.empty()) auth_args.push_back(options_.username);
    auth_args.push_back(options_.password);
    ASSIGN_OR_RETURN(const Reply auth, run(auth_args));
    if (auth.is_error()) {
      // The reply says WRONGPASS or similar; it never contains the password.
      return absl::UnavailableError(absl::StrCat(
          "AUTH was rejected (", auth.str,
          "); check the Redis user and password (ADVOCACY_REDIS_URL, ADVOCACY_REDIS_USERNAME, "
          "ADVOCACY_REDIS_PASSWORD_FILE)"));
    }
  }
  if (options_.db != 0) {
    ASSIGN_OR_RETURN(const Reply select, run({"SELECT", absl::StrCat(options_.db)}));
    if (select.is_error()) {
      return absl::UnavailableError(absl::StrCat("SELECT ", options_.db, " was rejected (",
                                                 select.str,
                                                 "); check the database number in the Redis URL"));
    }
  }
  return absl::OkStatus();
}

// Error replies that describe the server's state, not the command: the same command succeeds
// once the server is ready again (LOADING: replaying its AOF after a restart; BUSY: a script is
// running; TRYAGAIN, CLUSTERDOWN, MASTERDOWN: a cluster or replica in transition).
// (With the space: BUSYGROUP and BUSYKEY are about the command and stay error replies.)
namespace {
bool IsTransientServerError(const Reply& reply) {
  if (!reply.is_error()) return false;
  for (const char* prefix : {"LOADING ", "BUSY ", "TRYAGAIN ", "CLUSTERDOWN ", "MASTERDOWN "}) {
    if (reply.str.rfind(prefix, 0) == 0) return true;
  }
  return false;
}
}  // namespace

absl::StatusOr<Reply> Connection::CommandOnLiveContext(const std::vector<std::string>& args) {
  int saved_errno = 0;
  const ReplyPtr reply = SendCommand(transport_.get(), args, &saved_errno);
  if (reply == nullptr) return DropWithError(CommandName(args), saved_errno);
  Reply converted = Convert(*reply);
  if (IsTransientServerError(converted)) {
    return Unavailable(
        absl::StrCat("Redis cannot serve ", CommandName(args), " right now: ", converted.str));
  }
  return converted;
}

absl::StatusOr<Reply> Connection::Command(const std::vector<std::string>& args) {
  if (args.empty()) return absl::InvalidArgumentError("a Redis command needs at least a name");
  RETURN_IF_ERROR(EnsureConnected());
  return CommandOnLiveContext(args);
}

absl::StatusOr<std::vector<Reply>> Connection::Pipeline(
    const std::vector<std::vector<std::string>>& commands) {
  std::vector<Reply> replies;
  if (commands.empty()) return replies;
  for (size_t i = 0; i < commands.size(); ++i) {
    if (commands[i].empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("pipeline command ", i + 1, " of ", commands.size(), " has no name"));
    }
  }
  RETURN_IF_ERROR(EnsureConnected());

  for (const std::vector<std::string>& args : commands) {
    Argv argv(args);
    errno = 0;
    if (!transport_->Append(argv.count(), argv.pointers.data(), argv.lengths.data())) {
      const int saved_errno = errno;
      return DropWithError(absl::StrCat("queuing a pipeline of ", commands.size(), " commands"),
                           saved_errno);
    }
  }

  replies.reserve(commands.size());
  for (size_t i = 0; i < commands.size(); ++i) {
    void* raw = nullptr;
    errno = 0;
    if (!transport_->GetReply(&raw)) {
      const int saved_errno = errno;
      if (raw != nullptr) freeReplyObject(raw);
      return DropWithError(absl::StrCat("reading reply ", i + 1, " of ", commands.size(),
                                        " in a pipeline (", CommandName(commands[i]), ")"),
                           saved_errno);
    }
    replies.push_back(Convert(*ReplyPtr(static_cast<redisReply*>(raw))));
  }
  for (size_t i = 0; i < replies.size(); ++i) {
    if (IsTransientServerError(replies[i])) {
      return Unavailable(absl::StrCat("Redis cannot serve ", CommandName(commands[i]),
                                      " right now: ", replies[i].str));
    }
  }
  return replies;
}

absl::StatusOr<Reply> Connection::Eval(const Script& script, const std::vector<std::string>& keys,
                                       const std::vector<std::string>& args) {
  std::vector<std::string> command;
  command.reserve(3 + keys.size() + args.size());
  command.emplace_back("EVALSHA");
  command.push_back(script.sha1());
  command.push_back(absl::StrCat(keys.size()));
  command.insert(command.end(), keys.begin(), keys.end());
  command.insert(command.end(), args.begin(), args.end());

  absl::StatusOr<Reply> reply = Command(command);
  if (!reply.ok() || !reply->is_error() || !absl::StartsWith(reply->str, "NOSCRIPT")) {
    return reply;
  }
  // NOSCRIPT means nothing ran (the script cache was flushed, or the server restarted), so one
  // retry is safe. EVAL both runs and caches the script, saving a SCRIPT LOAD round trip.
  command[0] = "EVAL";
  command[1] = script.source();
  return Command(command);
}

absl::Status Connection::Ping() {
  ASSIGN_OR_RETURN(const Reply reply, Command({"PING"}));
  if (reply.is_status() && reply.str == "PONG") return absl::OkStatus();
  // E.g. LOADING while the server replays its AOF, or NOAUTH when a password is missing.
  return Unavailable(absl::StrCat("PING was answered with ", reply.DebugString()));
}

}  // namespace advocacy::redis
