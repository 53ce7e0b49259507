#include "jwks_source.h"

#include <arpa/inet.h>
#include <curl/curl.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "advocacy/common/status_macros.h"

namespace advocacy::auth::internal {
namespace {

struct CurlDeleter {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};
struct CurlSlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
struct CurluDeleter {
  void operator()(CURLU* url) const { curl_url_cleanup(url); }
};
struct CurlFree {
  void operator()(char* text) const { curl_free(text); }
};
using CurlPtr = std::unique_ptr<CURL, CurlDeleter>;
using CurlSlistPtr = std::unique_ptr<curl_slist, CurlSlistDeleter>;
using CurluPtr = std::unique_ptr<CURLU, CurluDeleter>;
using CurlString = std::unique_ptr<char, CurlFree>;

// libcurl's global state must be set up once, before the first handle, in a thread-safe way.
void InitCurlOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::optional<std::string> UrlPart(CURLU* url, CURLUPart part) {
  char* raw = nullptr;
  if (curl_url_get(url, part, &raw, 0) != CURLUE_OK || raw == nullptr) return std::nullopt;
  CurlString owner(raw);
  return std::string(raw);
}

bool IsLoopbackHost(const std::string& host) {
  if (absl::EqualsIgnoreCase(host, "localhost") || host == "[::1]") return true;
  in_addr v4{};
  return inet_pton(AF_INET, host.c_str(), &v4) == 1 && (ntohl(v4.s_addr) >> 24U) == 127U;
}

// What libcurl's callbacks of one GET share.
struct Transfer {
  size_t max_bytes = 0;
  const std::atomic<bool>* cancel = nullptr;
  std::string body;
  bool too_large = false;
  std::string cache_control;
};

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const size_t bytes = size * count;
  if (transfer->body.size() + bytes > transfer->max_bytes) {
    transfer->too_large = true;
    return 0;  // aborts the transfer (CURLE_WRITE_ERROR)
  }
  transfer->body.append(data, bytes);
  return bytes;
}

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const size_t bytes = size * count;
  const absl::string_view line(data, bytes);
  if (absl::StartsWith(line, "HTTP/")) transfer->cache_control.clear();  // a new response
  constexpr absl::string_view kName = "cache-control:";
  if (absl::StartsWithIgnoreCase(line, kName) && transfer->cache_control.size() < 1024) {
    absl::StrAppend(&transfer->cache_control, transfer->cache_control.empty() ? "" : ",",
                    absl::StripAsciiWhitespace(line.substr(kName.size())));
  }
  return bytes;
}

int OnProgress(void* user, curl_off_t /*dltotal*/, curl_off_t /*dlnow*/, curl_off_t /*ultotal*/,
               curl_off_t /*ulnow*/) {
  const auto* transfer = static_cast<const Transfer*>(user);
  return transfer->cancel->load() ? 1 : 0;  // non-zero aborts (CURLE_ABORTED_BY_CALLBACK)
}

class HttpsJwksSource final : public JwksSource {
 public:
  HttpsJwksSource(std::string uri, std::string ca_file, bool plain_http, JwksPolicy policy)
      : uri_(std::move(uri)),
        ca_file_(std::move(ca_file)),
        plain_http_(plain_http),
        policy_(policy) {}

  absl::StatusOr<JwksDocument> Load(const std::atomic<bool>& cancel) override {
    CurlPtr curl(curl_easy_init());
    CurlSlistPtr headers(
        curl_slist_append(nullptr, "Accept: application/jwk-set+json, application/json"));
    if (curl == nullptr || headers == nullptr) {
      return absl::ResourceExhaustedError("cannot create a libcurl handle");
    }
    Transfer transfer{.max_bytes = policy_.max_bytes, .cancel = &cancel};
    std::array<char, CURL_ERROR_SIZE> error{};
    CURL* c = curl.get();
    curl_easy_setopt(c, CURLOPT_URL, uri_.c_str());
    // Only the scheme that was checked at start; no redirects (a JWKS URI is fetched as given).
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, plain_http_ ? "http" : "https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(policy_.fetch_timeout.count()));
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(policy_.fetch_timeout.count()));
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(c, CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2));
    if (!ca_file_.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, ca_file_.c_str());
    // A loopback development provider is reached directly, never through an https_proxy.
    if (plain_http_) curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(policy_.max_bytes));
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(c, CURLOPT_USERAGENT, "advocacy-jwks/1");
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error.data());
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, OnBody);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &transfer);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, OnHeader);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &transfer);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, OnProgress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, &transfer);
    const CURLcode rc = curl_easy_perform(c);
    return Result(c, rc, error.data(), std::move(transfer));
  }

  std::string Describe() const override { return uri_; }

 private:
  absl::StatusOr<JwksDocument> Result(CURL* curl, CURLcode rc, const char* error,
                                      Transfer transfer) const {
    if (transfer.too_large || rc == CURLE_FILESIZE_EXCEEDED) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "GET ", uri_, ": the response is larger than ", policy_.max_bytes, " bytes"));
    }
    if (rc == CURLE_ABORTED_BY_CALLBACK) {
      return absl::CancelledError(absl::StrCat("GET ", uri_, ": cancelled (shutting down)"));
    }
    if (rc != CURLE_OK) {
      return absl::UnavailableError(absl::StrCat("GET ", uri_, ": ", curl_easy_strerror(rc),
                                                 *error != '\0' ? " (" : "", error,
                                                 *error != '\0' ? ")" : ""));
    }
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    if (status != 200) {
      return absl::UnavailableError(absl::StrCat("GET ", uri_, ": HTTP ", status));
    }
    return JwksDocument{.body = std::move(transfer.body),
                        .max_age = ParseCacheControlMaxAge(transfer.cache_control)};
  }

  const std::string uri_;
  const std::string ca_file_;
  const bool plain_http_;
  const JwksPolicy policy_;
};

class FileJwksSource final : public JwksSource {
 public:
  FileJwksSource(std::string path, size_t max_bytes)
      : path_(std::move(path)), max_bytes_(max_bytes) {}

  absl::StatusOr<JwksDocument> Load(const std::atomic<bool>& /*cancel*/) override {
    std::ifstream in(path_, std::ios::binary);
    if (!in) {
      return absl::UnavailableError(absl::StrCat("cannot read the JWKS file ", path_));
    }
    std::string body(max_bytes_ + 1, '\0');
    in.read(body.data(), static_cast<std::streamsize>(body.size()));
    if (in.bad()) return absl::UnavailableError(absl::StrCat("cannot read the JWKS file ", path_));
    body.resize(static_cast<size_t>(in.gcount()));
    if (body.size() > max_bytes_) {
      return absl::ResourceExhaustedError(
          absl::StrCat("the JWKS file ", path_, " is larger than ", max_bytes_, " bytes"));
    }
    return JwksDocument{.body = std::move(body), .max_age = std::nullopt};
  }

  std::string Describe() const override { return absl::StrCat("file ", path_); }

 private:
  const std::string path_;
  const size_t max_bytes_;
};

}  // namespace

absl::Status CheckJwksUri(absl::string_view uri, bool allow_insecure_loopback_http) {
  InitCurlOnce();
  if (uri.size() > 2048 || std::any_of(uri.begin(), uri.end(), [](char c) {
        return static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7F;
      })) {
    return absl::InvalidArgumentError("is not a URL (at most 2048 visible ASCII characters)");
  }
  CurluPtr url(curl_url());
  if (url == nullptr) return absl::ResourceExhaustedError("cannot parse URLs (libcurl)");
  const std::string text(uri);
  if (curl_url_set(url.get(), CURLUPART_URL, text.c_str(), 0) != CURLUE_OK) {
    return absl::InvalidArgumentError("is not a valid absolute URL");
  }
  const std::string scheme =
      absl::AsciiStrToLower(UrlPart(url.get(), CURLUPART_SCHEME).value_or(""));
  const std::string host = UrlPart(url.get(), CURLUPART_HOST).value_or("");
  if (UrlPart(url.get(), CURLUPART_USER) || UrlPart(url.get(), CURLUPART_PASSWORD)) {
    return absl::InvalidArgumentError("must not carry credentials");
  }
  if (host.empty()) return absl::InvalidArgumentError("has no host");
  if (scheme == "https") return absl::OkStatus();
  if (scheme != "http") return absl::InvalidArgumentError("must be an https:// URL");
  if (!allow_insecure_loopback_http) {
    return absl::InvalidArgumentError(
        "must be an https:// URL (plain http only for a loopback development provider, with "
        "allow_insecure_loopback_http)");
  }
  if (!IsLoopbackHost(host)) {
    return absl::InvalidArgumentError(
        "is plain http to a host that is not loopback (localhost, 127.0.0.0/8, [::1]); use https");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<JwksSource>> MakeJwksSource(const KeySource& keys,
                                                           const JwksPolicy& policy) {
  if (!keys.jwks_file.empty()) {
    return std::make_unique<FileJwksSource>(keys.jwks_file, policy.max_bytes);
  }
  if (keys.jwks_uri.empty()) return std::unique_ptr<JwksSource>();
  RETURN_IF_ERROR(CheckJwksUri(keys.jwks_uri, keys.allow_insecure_loopback_http));
  if (!keys.ca_file.empty() && !std::ifstream(keys.ca_file)) {
    return absl::InvalidArgumentError(
        absl::StrCat("ca_file '", keys.ca_file, "' cannot be read: mount the CA bundle there"));
  }
  const bool plain_http = absl::StartsWithIgnoreCase(keys.jwks_uri, "http:");
  return std::make_unique<HttpsJwksSource>(keys.jwks_uri, keys.ca_file, plain_http, policy);
}

std::optional<std::chrono::seconds> ParseCacheControlMaxAge(absl::string_view value) {
  std::optional<std::chrono::seconds> max_age;
  const std::string lower = absl::AsciiStrToLower(value);
  for (absl::string_view directive : absl::StrSplit(lower, ',')) {
    directive = absl::StripAsciiWhitespace(directive);
    if (directive == "no-store" || directive == "no-cache") return std::chrono::seconds(0);
    if (!absl::ConsumePrefix(&directive, "max-age=")) continue;
    directive = absl::StripSuffix(absl::StripPrefix(directive, "\""), "\"");
    int64_t seconds = 0;
    if (absl::SimpleAtoi(directive, &seconds) && seconds >= 0) {
      max_age = std::chrono::seconds(std::min<int64_t>(seconds, int64_t{1} << 31));
    }
  }
  return max_age;
}

}  // namespace advocacy::auth::internal
