#pragma once

// A real redis-server for tests: started from PATH on a free loopback port, in a fresh temporary
// directory, and cleaned up (process and directory) when the object is destroyed. If the test
// process dies, the kernel sends redis-server SIGTERM (PR_SET_PDEATHSIG), so no orphan outlives
// the test; this is tied to the thread that called Start(), so call it from a thread that lives
// as long as the server is needed (the test's main thread, typically).
//
// Not thread-safe: drive one RedisServer from one thread.

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace advocacy::testing {

struct RedisServerOptions {
  // --appendonly yes|no. With yes, data written before Stop() (or even Kill()) is back after
  // Start()/Restart(), since both keep the port and the directory.
  bool appendonly = false;
  // Appended to the command line, e.g. {"--requirepass", "secret"}. Must not override --port,
  // --bind, --dir or --logfile: the helper relies on them.
  std::vector<std::string> extra_args;
  // How long Start() waits for the server to answer PING.
  std::chrono::milliseconds ready_timeout{15000};
};

// Asks the kernel for a free loopback port (e.g. for redis-server's --tls-port). Someone else
// may take it before it is bound.
absl::StatusOr<int> PickFreePort();

class RedisServer final {
 public:
  explicit RedisServer(RedisServerOptions options = {});
  ~RedisServer();  // Stop() if running, then remove the directory.
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;
  RedisServer(RedisServer&&) = delete;
  RedisServer& operator=(RedisServer&&) = delete;

  // Starts redis-server and returns once it answers PING (or NOAUTH when a password is set). The
  // first call picks a free port and creates the directory; later calls reuse both.
  absl::Status Start();
  // SIGTERM, then waits for the process to exit (SIGKILL if it takes over 10 s). OK if not running.
  absl::Status Stop();
  // SIGKILL and reap: a crash, with no chance to flush anything.
  absl::Status Kill();
  // Stop() then Start(): same port, same directory.
  absl::Status Restart();

  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  int port() const { return port_; }  // 0 before the first Start().
  std::string url() const;            // redis://127.0.0.1:<port>
  const std::string& dir() const { return dir_; }
  std::string log_path() const;  // redis-server's stdout and stderr.

 private:
  // Spawns on port_ and waits until ready. `port_in_use` is set if the bind failed.
  absl::Status SpawnAndWait(bool* port_in_use);
  absl::Status WaitForExit(std::chrono::milliseconds timeout, bool* exited);
  std::string LogSince(long offset) const;

  RedisServerOptions options_;
  std::string dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace advocacy::testing
