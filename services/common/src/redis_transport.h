#pragma once

// How a Connection's commands reach Redis (internal to advocacy_redis).
//
// Plain TCP is hiredis' own blocking context. TLS is OpenSSL over a socket hiredis connected,
// with hiredis' reply reader parsing what OpenSSL decrypts: Debian 12's hiredis 0.14 has no TLS
// of its own, and a TLS proxy in front of every client (stunnel) costs a process hop per round
// trip (bench/README.md, "run_security_bench.sh").

#include <cstddef>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "advocacy/common/redis_client.h"

namespace advocacy::redis {

class Transport {
 public:
  virtual ~Transport() = default;

  // Queues one command; nothing is written before GetReply. False only when out of memory.
  virtual bool Append(int argc, const char** argv, const size_t* lengths) = 0;

  // Writes everything queued, then reads one reply: a redisReply* the caller frees with
  // freeReplyObject. False when the transport broke (it must then be dropped); Error says why.
  virtual bool GetReply(void** reply) = 0;

  // Why the last call failed, in words an operator can act on; `saved_errno` is errno right
  // after that call.
  virtual std::string Error(int saved_errno, const Options& options) const = 0;
};

// Connects to options.host:options.port within options.connect_timeout (then the TLS handshake
// when options.tls), sets the command timeout and TCP keepalive. A failure's message is the
// cause, phrased without host:port (the caller adds them) and never holding a secret.
absl::StatusOr<std::unique_ptr<Transport>> ConnectTransport(const Options& options);

}  // namespace advocacy::redis
