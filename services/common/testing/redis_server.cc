#include "testing/redis_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "advocacy/common/logging.h"

namespace advocacy::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

constexpr int kPortAttempts = 5;
constexpr milliseconds kPollInterval(5);
constexpr milliseconds kStopTimeout(10000);
constexpr size_t kLogTailBytes = 2000;

std::string ErrnoText(int error) { return std::strerror(error); }

// Owns a file descriptor; closes it on destruction.
class Fd final {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() { Reset(); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd(Fd&&) = delete;
  Fd& operator=(Fd&&) = delete;
  int get() const { return fd_; }
  void Reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

// True if the server on `port` answered PING: PONG, or NOAUTH when it has a password (it is up,
// it just wants AUTH first). LOADING (AOF replay in progress) is not ready.
bool AnswersPing(int port) {
  Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return false;
  timeval tv{};
  tv.tv_sec = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  ::setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) return false;
  constexpr absl::string_view kPing = "PING\r\n";
  if (::send(fd.get(), kPing.data(), kPing.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(kPing.size())) {
    return false;
  }
  std::array<char, 128> buffer{};
  const ssize_t n = ::recv(fd.get(), buffer.data(), buffer.size(), 0);
  if (n <= 0) return false;
  const absl::string_view reply(buffer.data(), static_cast<size_t>(n));
  return absl::StartsWith(reply, "+PONG") || absl::StartsWith(reply, "-NOAUTH");
}

long FileSize(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return 0;
  return static_cast<long>(st.st_size);
}

}  // namespace

// Asks the kernel for a free loopback port. Someone else may take it before redis-server binds
// it; Start() notices ("Address already in use") and tries another.
absl::StatusOr<int> PickFreePort() {
  Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return absl::InternalError(absl::StrCat("socket: ", ErrnoText(errno)));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    return absl::InternalError(absl::StrCat("bind 127.0.0.1:0: ", ErrnoText(errno)));
  }
  socklen_t len = sizeof(addr);
  if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return absl::InternalError(absl::StrCat("getsockname: ", ErrnoText(errno)));
  }
  return static_cast<int>(ntohs(addr.sin_port));
}

RedisServer::RedisServer(RedisServerOptions options) : options_(std::move(options)) {}

RedisServer::~RedisServer() {
  if (absl::Status status = Stop(); !status.ok()) {
    log::Warning("Could not stop the test redis-server cleanly",
                 {{"error", std::string(status.message())}});
  }
  if (!dir_.empty()) {
    std::error_code error;
    std::filesystem::remove_all(dir_, error);
    if (error) {
      log::Warning("Could not remove the test redis-server directory",
                   {{"dir", dir_}, {"error", error.message()}});
    }
  }
}

std::string RedisServer::url() const { return absl::StrCat("redis://127.0.0.1:", port_); }

std::string RedisServer::log_path() const { return absl::StrCat(dir_, "/redis.log"); }

std::string RedisServer::LogSince(long offset) const {
  std::ifstream in(log_path(), std::ios::binary);
  if (!in) return "";
  in.seekg(offset);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

absl::Status RedisServer::Start() {
  if (running()) {
    return absl::FailedPreconditionError(
        absl::StrCat("redis-server is already running on port ", port_));
  }
  if (dir_.empty()) {
    std::error_code error;
    std::filesystem::path base = std::filesystem::temp_directory_path(error);
    if (error) base = "/tmp";
    std::string pattern = (base / "advocacy-redis-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      return absl::InternalError(absl::StrCat("cannot create a directory for redis-server from ",
                                              pattern, ": ", ErrnoText(errno)));
    }
    dir_ = pattern;
  }
  if (port_ != 0) {
    bool port_in_use = false;
    return SpawnAndWait(&port_in_use);
  }
  absl::Status last = absl::OkStatus();
  for (int attempt = 0; attempt < kPortAttempts; ++attempt) {
    absl::StatusOr<int> port = PickFreePort();
    if (!port.ok()) return port.status();
    port_ = *port;
    bool port_in_use = false;
    last = SpawnAndWait(&port_in_use);
    if (last.ok() || !port_in_use) break;
  }
  if (!last.ok()) port_ = 0;
  return last;
}

absl::Status RedisServer::SpawnAndWait(bool* port_in_use) {
  *port_in_use = false;
  // clang-format off
  std::vector<std::string> args = {"redis-server",
                                   "--port", absl::StrCat(port_),
                                   "--bind", "127.0.0.1",
                                   "--save", "",
                                   "--appendonly", options_.appendonly ? "yes" : "no",
                                   "--dir", dir_,
                                   "--logfile", "",
                                   "--daemonize", "no"};
  // clang-format on
  args.insert(args.end(), options_.extra_args.begin(), options_.extra_args.end());
  // Built before fork: between fork and exec only async-signal-safe calls are allowed.
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);

  const std::string log = log_path();
  const long log_offset = FileSize(log);
  Fd log_fd(::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
  if (log_fd.get() < 0) {
    return absl::InternalError(absl::StrCat("cannot open ", log, ": ", ErrnoText(errno)));
  }
  Fd null_fd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  // The child writes errno here if exec fails; a successful exec closes it (O_CLOEXEC) unwritten.
  std::array<int, 2> pipe_fds{};
  if (::pipe2(pipe_fds.data(), O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("pipe2: ", ErrnoText(errno)));
  }
  Fd exec_error_read(pipe_fds[0]);
  Fd exec_error_write(pipe_fds[1]);

  const pid_t parent = ::getpid();
  const pid_t child = ::fork();
  if (child < 0) return absl::InternalError(absl::StrCat("fork: ", ErrnoText(errno)));
  if (child == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(126);
    if (null_fd.get() >= 0) ::dup2(null_fd.get(), STDIN_FILENO);
    ::dup2(log_fd.get(), STDOUT_FILENO);
    ::dup2(log_fd.get(), STDERR_FILENO);
    // Keep the test's sockets and files out of redis-server.
    ::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
    ::execvp(argv[0], argv.data());
    const int error = errno;
    [[maybe_unused]] const ssize_t written = ::write(exec_error_write.get(), &error, sizeof(error));
    ::_exit(127);
  }
  pid_ = child;
  exec_error_write.Reset();

  int exec_errno = 0;
  ssize_t n = 0;
  do {
    n = ::read(exec_error_read.get(), &exec_errno, sizeof(exec_errno));
  } while (n < 0 && errno == EINTR);
  if (n == static_cast<ssize_t>(sizeof(exec_errno))) {
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
    return absl::FailedPreconditionError(
        absl::StrCat("cannot run redis-server: ", ErrnoText(exec_errno),
                     "; install it (apt-get install redis-server) and put it on PATH"));
  }

  // Ready means: this process logged that it listens (so a PONG is not from some other server
  // that grabbed the port) and it answers PING (so it finished loading the AOF).
  const auto deadline = steady_clock::now() + options_.ready_timeout;
  while (true) {
    int wait_status = 0;
    const pid_t reaped = ::waitpid(pid_, &wait_status, WNOHANG);
    if (reaped == pid_) {
      pid_ = -1;
      const std::string output = LogSince(log_offset);
      *port_in_use = absl::StrContains(output, "Address already in use");
      const std::string tail =
          output.size() > kLogTailBytes ? output.substr(output.size() - kLogTailBytes) : output;
      return absl::InternalError(absl::StrCat("redis-server on port ", port_,
                                              " exited during start-up (wait status ", wait_status,
                                              "); its log says:\n", tail));
    }
    if (absl::StrContains(LogSince(log_offset), "Ready to accept connections") &&
        AnswersPing(port_)) {
      return absl::OkStatus();
    }
    if (steady_clock::now() > deadline) {
      const std::string output = LogSince(log_offset);
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
      pid_ = -1;
      return absl::DeadlineExceededError(absl::StrCat(
          "redis-server on port ", port_, " did not answer PING within ",
          options_.ready_timeout.count(), " ms; its log says:\n",
          output.size() > kLogTailBytes ? output.substr(output.size() - kLogTailBytes) : output));
    }
    std::this_thread::sleep_for(kPollInterval);
  }
}

absl::Status RedisServer::WaitForExit(milliseconds timeout, bool* exited) {
  *exited = false;
  const auto deadline = steady_clock::now() + timeout;
  while (true) {
    const pid_t reaped = ::waitpid(pid_, nullptr, WNOHANG);
    if (reaped == pid_) {
      *exited = true;
      pid_ = -1;
      return absl::OkStatus();
    }
    if (reaped < 0 && errno != EINTR) {
      const int error = errno;
      pid_ = -1;
      return absl::InternalError(absl::StrCat("waitpid: ", ErrnoText(error)));
    }
    if (steady_clock::now() > deadline) return absl::OkStatus();
    std::this_thread::sleep_for(kPollInterval);
  }
}

absl::Status RedisServer::Stop() {
  if (!running()) return absl::OkStatus();
  ::kill(pid_, SIGTERM);
  bool exited = false;
  if (absl::Status status = WaitForExit(kStopTimeout, &exited); !status.ok()) return status;
  if (exited) return absl::OkStatus();
  const pid_t pid = pid_;
  if (absl::Status status = Kill(); !status.ok()) return status;
  return absl::DeadlineExceededError(absl::StrCat("redis-server (pid ", pid,
                                                  ") ignored SIGTERM for ", kStopTimeout.count(),
                                                  " ms and was killed"));
}

absl::Status RedisServer::Kill() {
  if (!running()) return absl::OkStatus();
  ::kill(pid_, SIGKILL);
  pid_t reaped = 0;
  do {
    reaped = ::waitpid(pid_, nullptr, 0);
  } while (reaped < 0 && errno == EINTR);
  const int error = errno;
  pid_ = -1;
  if (reaped < 0) return absl::InternalError(absl::StrCat("waitpid: ", ErrnoText(error)));
  return absl::OkStatus();
}

absl::Status RedisServer::Restart() {
  if (absl::Status status = Stop(); !status.ok()) return status;
  return Start();
}

}  // namespace advocacy::testing
