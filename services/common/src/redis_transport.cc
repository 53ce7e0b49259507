#include "redis_transport.h"

#include <arpa/inet.h>
#include <hiredis/hiredis.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstring>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace advocacy::redis {
namespace {

using std::chrono::milliseconds;

timeval ToTimeval(milliseconds duration) {
  const long long ms = std::max<long long>(duration.count(), 1);
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms % 1000) * 1000);
  return tv;
}

std::string TimeoutText(const Options& options) {
  return absl::StrCat("no reply within the command timeout of ", options.command_timeout.count(),
                      " ms");
}

// Why hiredis gave up on `context`, in words an operator can act on.
std::string DescribeContextError(const redisContext* context, int saved_errno,
                                 const Options& options) {
  if (context == nullptr) return "out of memory allocating the hiredis context";
  std::string cause(static_cast<const char*>(context->errstr));
  if (cause.empty()) cause = "unknown hiredis error";
  if (context->err == REDIS_ERR_IO && (saved_errno == EAGAIN || saved_errno == EWOULDBLOCK ||
                                       absl::StrContains(cause, "temporarily unavailable"))) {
    return TimeoutText(options);
  }
  if (context->err == REDIS_ERR_IO &&
      (saved_errno == ETIMEDOUT || absl::StrContains(cause, "timed out"))) {
    return absl::StrCat(cause, " (connect timeout ", options.connect_timeout.count(), " ms)");
  }
  if (context->err == REDIS_ERR_PROTOCOL) {
    return absl::StrCat("protocol error (is this port really a Redis server?): ", cause);
  }
  return cause;
}

struct ContextDeleter {
  void operator()(redisContext* context) const { redisFree(context); }
};
using ContextPtr = std::unique_ptr<redisContext, ContextDeleter>;

// ---------------------------------------------------------------------------------------------
// Plain TCP: hiredis' blocking context as it is.

class PlainTransport final : public Transport {
 public:
  explicit PlainTransport(ContextPtr context) : context_(std::move(context)) {}

  bool Append(int argc, const char** argv, const size_t* lengths) override {
    return redisAppendCommandArgv(context_.get(), argc, argv, lengths) == REDIS_OK;
  }
  bool GetReply(void** reply) override {
    *reply = nullptr;
    return redisGetReply(context_.get(), reply) == REDIS_OK && *reply != nullptr;
  }
  std::string Error(int saved_errno, const Options& options) const override {
    return DescribeContextError(context_.get(), saved_errno, options);
  }

 private:
  ContextPtr context_;
};

// ---------------------------------------------------------------------------------------------
// TLS: OpenSSL over the socket, hiredis' reader for the replies.

struct SslCtxDeleter {
  void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};
struct SslDeleter {
  void operator()(SSL* ssl) const { SSL_free(ssl); }
};
struct ReaderDeleter {
  void operator()(redisReader* reader) const { redisReaderFree(reader); }
};
using SslCtxPtr = std::unique_ptr<SSL_CTX, SslCtxDeleter>;
using SslPtr = std::unique_ptr<SSL, SslDeleter>;
using ReaderPtr = std::unique_ptr<redisReader, ReaderDeleter>;

// The first queued OpenSSL error in words, and the queue cleared; `fallback` when it is empty.
std::string TakeOpenSslError(const char* fallback) {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return fallback;
  std::array<char, 256> text{};
  ERR_error_string_n(code, text.data(), text.size());
  return text.data();
}

// Owns the socket: closes it last, after OpenSSL let go of it.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int Release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

class TlsTransport final : public Transport {
 public:
  TlsTransport(int fd, SslCtxPtr ctx, SslPtr ssl, ReaderPtr reader)
      : fd_(fd), ctx_(std::move(ctx)), ssl_(std::move(ssl)), reader_(std::move(reader)) {}

  // No close_notify: the peer may be gone, and a blocking shutdown would wait for it. The
  // members go in reverse order: reader, SSL, its context, then the socket.
  ~TlsTransport() override = default;

  bool Append(int argc, const char** argv, const size_t* lengths) override {
    char* command = nullptr;
    const int length = redisFormatCommandArgv(&command, argc, argv, lengths);
    if (length < 0 || command == nullptr) {
      error_ = "out of memory formatting a command";
      return false;
    }
    out_.append(command, static_cast<size_t>(length));
    redisFreeCommand(command);
    return true;
  }

  bool GetReply(void** reply) override {
    *reply = nullptr;
    if (!Flush()) return false;
    for (;;) {
      if (redisReaderGetReply(reader_.get(), reply) != REDIS_OK) {
        error_ = absl::StrCat("protocol error (is this port really a Redis server?): ",
                              static_cast<const char*>(reader_->errstr));
        timed_out_ = false;
        return false;
      }
      if (*reply != nullptr) return true;
      ERR_clear_error();
      errno = 0;
      const int n = SSL_read(ssl_.get(), in_.data(), static_cast<int>(in_.size()));
      if (n <= 0) return Failed(n, "reading");
      if (redisReaderFeed(reader_.get(), in_.data(), static_cast<size_t>(n)) != REDIS_OK) {
        error_ = "out of memory buffering a reply";
        timed_out_ = false;
        return false;
      }
    }
  }

  std::string Error(int /*saved_errno*/, const Options& options) const override {
    return timed_out_ ? TimeoutText(options) : error_;
  }

 private:
  bool Flush() {
    size_t written = 0;
    while (written < out_.size()) {
      const size_t chunk = std::min<size_t>(out_.size() - written, INT_MAX);
      ERR_clear_error();
      errno = 0;
      const int n = SSL_write(ssl_.get(), out_.data() + written, static_cast<int>(chunk));
      if (n <= 0) {
        out_.clear();
        return Failed(n, "writing");
      }
      written += static_cast<size_t>(n);
    }
    out_.clear();
    return true;
  }

  // Records why SSL_read/SSL_write returned `result` (<= 0); always false.
  bool Failed(int result, const char* during) {
    const int saved_errno = errno;
    timed_out_ = false;
    switch (SSL_get_error(ssl_.get(), result)) {
      case SSL_ERROR_WANT_READ:
      case SSL_ERROR_WANT_WRITE:
        // A blocking socket only says "again" when SO_RCVTIMEO/SO_SNDTIMEO ran out.
        timed_out_ = true;
        ERR_clear_error();
        break;
      case SSL_ERROR_ZERO_RETURN:
        error_ = "the server closed the TLS connection";
        break;
      case SSL_ERROR_SYSCALL:
        error_ = saved_errno != 0 ? absl::StrCat(during, " failed: ", std::strerror(saved_errno))
                                  : TakeOpenSslError("the server closed the connection");
        if (saved_errno == EAGAIN || saved_errno == EWOULDBLOCK) timed_out_ = true;
        break;
      default:
        error_ = absl::StrCat("TLS error while ", during, ": ",
                              TakeOpenSslError("unknown OpenSSL error"));
        break;
    }
    return false;
  }

  Fd fd_;  // First: destroyed last.
  SslCtxPtr ctx_;
  SslPtr ssl_;
  ReaderPtr reader_;
  std::string out_;  // Formatted commands not yet written.
  // Decrypted bytes on their way to the reader: one TLS record at most (16 KiB), allocated once.
  std::array<char, size_t{16} * 1024> in_{};
  std::string error_;
  bool timed_out_ = false;
};

bool IsIpAddress(const std::string& host) {
  std::array<unsigned char, 16> address{};
  return inet_pton(AF_INET, host.c_str(), address.data()) == 1 ||
         inet_pton(AF_INET6, host.c_str(), address.data()) == 1;
}

// The client's TLS context, made at every connect so a rotated CA bundle or client certificate
// is used by the next connection without a restart.
absl::StatusOr<SslCtxPtr> MakeContext(const Options& options) {
  SslCtxPtr ctx(SSL_CTX_new(TLS_client_method()));
  if (ctx == nullptr) return absl::InternalError(TakeOpenSslError("cannot create a TLS context"));
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_AUTO_RETRY);
  if (!options.tls_ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(ctx.get(), options.tls_ca_file.c_str(), nullptr) != 1) {
      return absl::FailedPreconditionError(absl::StrCat(
          "cannot load the CA bundle ", options.tls_ca_file,
          " (ADVOCACY_REDIS_TLS_CA_FILE): ", TakeOpenSslError("no certificate in it")));
    }
  } else if (SSL_CTX_set_default_verify_paths(ctx.get()) != 1) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot load the system's trusted CAs: ", TakeOpenSslError("unknown")));
  }
  if (options.tls_cert_file.empty() != options.tls_key_file.empty()) {
    return absl::FailedPreconditionError(
        "a client certificate needs both ADVOCACY_REDIS_TLS_CERT_FILE and "
        "ADVOCACY_REDIS_TLS_KEY_FILE");
  }
  if (!options.tls_cert_file.empty()) {
    if (SSL_CTX_use_certificate_chain_file(ctx.get(), options.tls_cert_file.c_str()) != 1) {
      return absl::FailedPreconditionError(absl::StrCat("cannot load the client certificate ",
                                                        options.tls_cert_file, ": ",
                                                        TakeOpenSslError("unknown")));
    }
    // The key file's path is named, never its content.
    if (SSL_CTX_use_PrivateKey_file(ctx.get(), options.tls_key_file.c_str(), SSL_FILETYPE_PEM) !=
            1 ||
        SSL_CTX_check_private_key(ctx.get()) != 1) {
      ERR_clear_error();
      return absl::FailedPreconditionError(
          absl::StrCat("cannot load the client key ", options.tls_key_file,
                       ", or it does not belong to the certificate ", options.tls_cert_file));
    }
  }
  return ctx;
}

// Takes `socket` over: it is closed on failure, owned by the transport on success.
absl::StatusOr<std::unique_ptr<Transport>> StartTls(const Options& options, int socket) {
  Fd fd(socket);
  auto ctx = MakeContext(options);
  if (!ctx.ok()) return ctx.status();
  SslPtr ssl(SSL_new(ctx->get()));
  ReaderPtr reader(redisReaderCreate());
  if (ssl == nullptr || reader == nullptr) {
    return absl::ResourceExhaustedError("out of memory starting TLS");
  }
  if (SSL_set_fd(ssl.get(), fd.get()) != 1) {
    return absl::InternalError(TakeOpenSslError("cannot attach TLS to the socket"));
  }
  const std::string& name =
      options.tls_server_name.empty() ? options.host : options.tls_server_name;
  if (IsIpAddress(name)) {
    // An address is checked against the certificate's IP SANs (no SNI for addresses).
    if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl.get()), name.c_str()) != 1) {
      return absl::InternalError(absl::StrCat("cannot check the server's address ", name));
    }
  } else if (SSL_set_tlsext_host_name(ssl.get(), name.c_str()) != 1 ||
             SSL_set1_host(ssl.get(), name.c_str()) != 1) {
    return absl::InternalError(absl::StrCat("cannot check the server's name ", name));
  }
  ERR_clear_error();
  errno = 0;
  if (const int result = SSL_connect(ssl.get()); result != 1) {
    const int saved_errno = errno;
    const long verify = SSL_get_verify_result(ssl.get());
    if (verify != X509_V_OK) {
      ERR_clear_error();
      return absl::UnavailableError(
          absl::StrCat("the TLS handshake failed: the server's certificate was refused (",
                       X509_verify_cert_error_string(verify), "; expected name ", name,
                       "); check ADVOCACY_REDIS_TLS_CA_FILE and ADVOCACY_REDIS_TLS_SERVER_NAME"));
    }
    const int kind = SSL_get_error(ssl.get(), result);
    if (kind == SSL_ERROR_WANT_READ || kind == SSL_ERROR_WANT_WRITE ||
        (kind == SSL_ERROR_SYSCALL && (saved_errno == EAGAIN || saved_errno == EWOULDBLOCK))) {
      ERR_clear_error();
      return absl::UnavailableError(absl::StrCat("the TLS handshake got no answer within ",
                                                 options.command_timeout.count(),
                                                 " ms (is this port a TLS port?)"));
    }
    if (kind == SSL_ERROR_SYSCALL && saved_errno != 0) {
      return absl::UnavailableError(
          absl::StrCat("the TLS handshake failed: ", std::strerror(saved_errno)));
    }
    return absl::UnavailableError(absl::StrCat(
        "the TLS handshake failed (a plaintext port, or the server wants a client certificate?): ",
        TakeOpenSslError("the server closed the connection")));
  }
  return std::unique_ptr<Transport>(
      new TlsTransport(fd.Release(), *std::move(ctx), std::move(ssl), std::move(reader)));
}

}  // namespace

absl::StatusOr<std::unique_ptr<Transport>> ConnectTransport(const Options& options) {
  errno = 0;
  ContextPtr context(redisConnectWithTimeout(options.host.c_str(), options.port,
                                             ToTimeval(options.connect_timeout)));
  const int saved_errno = errno;
  if (context == nullptr || context->err != 0) {
    return absl::UnavailableError(absl::StrCat(
        "cannot connect: ", DescribeContextError(context.get(), saved_errno, options)));
  }
  if (redisSetTimeout(context.get(), ToTimeval(options.command_timeout)) != REDIS_OK) {
    return absl::UnavailableError(absl::StrCat("cannot set the command timeout: ",
                                               static_cast<const char*>(context->errstr)));
  }
  if (redisEnableKeepAlive(context.get()) != REDIS_OK) {
    return absl::UnavailableError(
        absl::StrCat("cannot enable TCP keepalive: ", static_cast<const char*>(context->errstr)));
  }
  if (!options.tls) return std::unique_ptr<Transport>(new PlainTransport(std::move(context)));
  // hiredis connected (name resolution, IPv6, connect timeout, TCP_NODELAY) and set the
  // timeouts and keepalive on the socket; TLS takes the socket over from here.
  return StartTls(options, redisFreeKeepFd(context.release()));
}

}  // namespace advocacy::redis
