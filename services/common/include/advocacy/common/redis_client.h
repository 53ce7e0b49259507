#pragma once

// A small synchronous Redis client on top of hiredis.
//
// Guarantees:
// - A Redis error reply (WRONGTYPE, a Lua redis.error_reply(...), ...) is data, not a failure:
//   it comes back as an OK status holding a Reply of type kError, so callers can map domain
//   errors themselves.
// - Every failure to reach a usable server (connect refused or timed out, reset, command timeout,
//   protocol error, AUTH or SELECT rejected) is absl::UnavailableError naming host:port and the
//   cause. The broken connection is dropped and the next call reconnects.
// - Reconnects back off exponentially (with jitter) between failed connect attempts; while the
//   back-off window is open a call fails fast with Unavailable instead of blocking.
// - A command is never retried once it may have reached the server: the caller owns idempotency.
//   The only retry is Eval's EVALSHA -> EVAL after NOSCRIPT, where Redis ran nothing.
// - Error messages never contain the password.
// - hiredis writes with write(2): a reset connection raises SIGPIPE. Constructing the first
//   Connection sets SIGPIPE to ignored if it still has its default (fatal) action; a handler the
//   program installed is left alone.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace advocacy::redis {

class Transport;  // Plain TCP (hiredis) or TLS (OpenSSL + hiredis' reader); redis_transport.h

struct Options {
  std::string host = "127.0.0.1";
  int port = 6379;
  int db = 0;
  // Redis ACL user (AUTH <username> <password>); empty means the "default" user.
  std::string username;
  std::string password;  // Empty: no AUTH.
  // TLS (rediss://): OpenSSL over the TCP connection, TLS 1.2 or newer. The server's certificate
  // is checked against tls_ca_file (the system's trusted CAs when empty) and tls_server_name
  // (empty: host; an IP address is matched against the certificate's IP addresses). A client
  // certificate is sent when tls_cert_file and tls_key_file are set. The files are read at every
  // connect, so a rotated certificate is used from the next connection on.
  bool tls = false;
  std::string tls_ca_file;
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_server_name;
  std::chrono::milliseconds connect_timeout{1000};
  std::chrono::milliseconds command_timeout{2000};
  std::chrono::milliseconds backoff_initial{50};
  std::chrono::milliseconds backoff_max{2000};
};

// Parses redis://[[user]:password@]host[:port][/db] (also redis://user@host, the password then
// comes from elsewhere, e.g. a file); rediss:// is the same with tls = true. The port defaults to
// 6379 and the db to 0; user and password may be percent-encoded; an IPv6 host goes in brackets
// (redis://[::1]:6379). Anything else is InvalidArgument naming the part that is wrong (never
// echoing the password). Timeouts and back-off keep their defaults.
absl::StatusOr<Options> ParseUrl(std::string_view url);

// A decoded reply: plain C++, no hiredis types. `str` holds the payload of kString, kStatus and
// kError replies (binary-safe); `integer` that of kInteger; `elements` that of kArray.
struct Reply {
  enum class Type { kNil, kInteger, kString, kStatus, kArray, kError };

  Type type = Type::kNil;
  long long integer = 0;
  std::string str;
  std::vector<Reply> elements;

  bool is_nil() const { return type == Type::kNil; }
  bool is_integer() const { return type == Type::kInteger; }
  bool is_string() const { return type == Type::kString; }
  bool is_status() const { return type == Type::kStatus; }
  bool is_array() const { return type == Type::kArray; }
  bool is_error() const { return type == Type::kError; }

  // Builders, mostly for fakes in tests of code that consumes replies.
  static Reply Nil() { return Reply{}; }
  static Reply Integer(long long value);
  static Reply String(std::string value);
  static Reply Status(std::string value);
  static Reply Error(std::string message);
  static Reply Array(std::vector<Reply> elements);

  // Human-readable, for logs and test failures: "(integer) 3", "\"a\\x00b\"", "(error) ERR ...".
  std::string DebugString() const;

  friend bool operator==(const Reply& a, const Reply& b) = default;
};

// The status for an error reply to `what` ("a consent read", "the share script"): INTERNAL,
// "Redis refused <what>: <the reply>". Retryable server states never get here (Unavailable).
absl::Status RefusedError(const Reply& reply, std::string_view what);

// A Lua script identified by its SHA1, computed locally so EVALSHA needs no round trip.
class Script final {
 public:
  explicit Script(std::string source);

  const std::string& sha1() const { return sha1_; }  // 40 lowercase hex digits, as Redis has it.
  const std::string& source() const { return source_; }

 private:
  std::string source_;
  std::string sha1_;
};

// One TCP (or TLS) connection. Not thread-safe. Connects lazily on first use, and again after a
// failure.
class Connection final {
 public:
  explicit Connection(Options options);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  Connection(Connection&&) noexcept = default;
  Connection& operator=(Connection&&) noexcept = default;

  // Sends one command; arguments are binary-safe. An empty `args` is InvalidArgument.
  absl::StatusOr<Reply> Command(const std::vector<std::string>& args);

  // Sends all commands in one write, then reads one reply per command, in order. Per-command
  // error replies are kError elements. On a transport failure the whole call is Unavailable and
  // any prefix of the commands may have run.
  absl::StatusOr<std::vector<Reply>> Pipeline(
      const std::vector<std::vector<std::string>>& commands);

  // EVALSHA, falling back once to EVAL (which also caches the script) on NOSCRIPT.
  absl::StatusOr<Reply> Eval(const Script& script, const std::vector<std::string>& keys,
                             const std::vector<std::string>& args);

  // OK only if the server answered PONG.
  absl::Status Ping();

  // True while a live connection is held (it may still turn out broken on the next call).
  bool connected() const { return transport_ != nullptr; }

  // Closes the connection without error; the next call reconnects. The pool uses it to drop
  // connections that are likely stale after another connection saw the server go away.
  void Disconnect() { transport_.reset(); }

  const Options& options() const { return options_; }

 private:
  struct TransportDeleter {
    void operator()(Transport* transport) const;
  };

  absl::Status EnsureConnected();
  absl::Status Handshake();
  // Drops the transport and turns its error into an Unavailable status.
  absl::Status DropWithError(const std::string& during, int saved_errno);
  absl::Status Unavailable(const std::string& cause) const;
  absl::StatusOr<Reply> CommandOnLiveContext(const std::vector<std::string>& args);
  void OpenBackoffWindow();

  Options options_;
  std::unique_ptr<Transport, TransportDeleter> transport_;
  // Back-off state: no connect attempt before next_attempt_; backoff_ is the next window's cap.
  std::chrono::steady_clock::time_point next_attempt_{};
  std::chrono::milliseconds backoff_{0};
  std::string last_connect_error_;
  int failed_connects_ = 0;  // Since the last successful connect; for logging the recovery.
  std::minstd_rand rng_;
};

// A fixed-size, thread-safe pool of lazily connected Connections.
class Pool final {
 public:
  // `size` must be at least 1 (0 aborts: it is a configuration bug). No connection is opened
  // until first use. Destroying the pool while a lease is still out aborts.
  Pool(Options options, size_t size);
  ~Pool();
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;
  Pool(Pool&&) = delete;
  Pool& operator=(Pool&&) = delete;

  // Exclusive use of one connection; returns it to the pool on destruction. Must not outlive
  // the pool.
  class Lease final {
   public:
    Lease(Lease&& other) noexcept;
    Lease& operator=(Lease&& other) noexcept;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease();

    Connection* operator->() const { return connection_; }
    Connection& operator*() const { return *connection_; }
    Connection* get() const { return connection_; }

   private:
    friend class Pool;
    Lease(Pool* pool, Connection* connection) : pool_(pool), connection_(connection) {}
    void Release();

    Pool* pool_ = nullptr;
    Connection* connection_ = nullptr;
  };

  // Blocks up to `wait` for a free connection; DeadlineExceeded after that.
  absl::StatusOr<Lease> Acquire(std::chrono::milliseconds wait = std::chrono::milliseconds(1000));

  // PING through any connection: for readiness checks.
  absl::Status Ping();

  // One command on a leased connection. Unlike Connection::Command, an error reply is a status
  // here: RefusedError(reply, what) (INTERNAL: the command or the script is wrong, not the
  // server's state; those are already Unavailable). `what` names the operation for the message
  // ("a consent read"); empty means the command's name.
  absl::StatusOr<Reply> Run(const std::vector<std::string>& args, std::string_view what = {});
  // EVALSHA/EVAL of `script` on a leased connection; an error reply is RefusedError.
  absl::StatusOr<Reply> Eval(const Script& script, const std::vector<std::string>& keys,
                             const std::vector<std::string>& args, std::string_view what);
  // Connection::Pipeline on a leased connection. Per-command error replies stay kError elements
  // (a pipeline's callers decide per element); use RefusedError on them.
  absl::StatusOr<std::vector<Reply>> Pipeline(
      const std::vector<std::vector<std::string>>& commands);

  size_t size() const { return connections_.size(); }
  const Options& options() const { return options_; }

 private:
  void Return(Connection* connection);

  Options options_;
  std::vector<std::unique_ptr<Connection>> connections_;
  std::mutex mu_;
  std::condition_variable available_;
  std::vector<Connection*> free_;  // Guarded by mu_.
  // Bumped when a leased connection comes back broken (the server went away). Connections
  // last used in an older epoch are reconnected before they are lent again, so one crash of
  // Redis costs each caller at most the failure that revealed it, not one per idle connection.
  uint64_t epoch_ = 0;                                      // Guarded by mu_.
  std::unordered_map<const Connection*, uint64_t> epochs_;  // Guarded by mu_.
};

}  // namespace advocacy::redis
