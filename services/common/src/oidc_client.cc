#include "advocacy/common/oidc_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string_view>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace advocacy::oidc {
namespace {

struct CurlDeleter {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};
struct CurlFree {
  void operator()(char* text) const { curl_free(text); }
};
using CurlPtr = std::unique_ptr<CURL, CurlDeleter>;
using CurlString = std::unique_ptr<char, CurlFree>;

constexpr std::chrono::seconds kMaxExpiresIn{86400};
constexpr size_t kMaxSecretBytes = 4096;

void InitCurlOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct Transfer {
  std::string body;
  size_t max_bytes = 0;
  bool too_large = false;
};

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t bytes = size * count;
  if (t->body.size() + bytes > t->max_bytes) {
    t->too_large = true;
    return 0;  // aborts the transfer
  }
  t->body.append(data, bytes);
  return bytes;
}

// application/x-www-form-urlencoded (RFC 6749 2.3.1 and appendix B: the client id and secret
// are form-encoded before they go into Basic authentication too).
std::string FormEncode(CURL* curl, std::string_view value) {
  CurlString out(curl_easy_escape(curl, value.data(), static_cast<int>(value.size())));
  return out == nullptr ? std::string() : std::string(out.get());
}

std::string Describe(const ClientCredentials& c) {
  return absl::StrCat("token request to ", c.token_url, " as client '", c.client_id, "'",
                      c.resource.empty() ? "" : absl::StrCat(" for ", c.resource));
}

// The provider's refusal (RFC 6749 5.2) as a status: who must act is in the code.
absl::Status Refusal(const ClientCredentials& c, long http_status, const std::string& body) {
  std::string error = "(no error code)";
  const auto j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_object() && j.contains("error") && j["error"].is_string()) {
    error = j["error"].get<std::string>().substr(0, 64);
  }
  const std::string text = absl::StrCat(Describe(c), ": HTTP ", http_status, ", error ", error);
  if (http_status >= 500 || http_status == 429) return absl::UnavailableError(text);
  if (error == "invalid_client" || http_status == 401) return absl::UnauthenticatedError(text);
  if (error == "invalid_scope" || error == "invalid_target" || error == "unauthorized_client") {
    return absl::PermissionDeniedError(text);
  }
  return absl::InternalError(text);
}

absl::StatusOr<AccessToken> ParseTokenResponse(const ClientCredentials& c,
                                               const std::string& body) {
  const auto j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("access_token") || !j["access_token"].is_string() ||
      !j.contains("expires_in") || !j["expires_in"].is_number_integer()) {
    return absl::InternalError(
        absl::StrCat(Describe(c), ": the answer has no access_token and expires_in"));
  }
  if (!j.contains("token_type") || !j["token_type"].is_string() ||
      !absl::EqualsIgnoreCase(j["token_type"].get<std::string>(), "Bearer")) {
    return absl::InternalError(absl::StrCat(Describe(c), ": the token is not a bearer token"));
  }
  const auto expires_in = std::chrono::seconds(j["expires_in"].get<int64_t>());
  if (expires_in <= std::chrono::seconds(0) || expires_in > kMaxExpiresIn) {
    return absl::InternalError(
        absl::StrCat(Describe(c), ": expires_in ", expires_in.count(), " is not 1 s..24 h"));
  }
  std::string token = j["access_token"].get<std::string>();
  if (token.empty() || token.size() > c.max_bytes) {
    return absl::InternalError(absl::StrCat(Describe(c), ": empty or oversized access_token"));
  }
  return AccessToken{.value = std::move(token),
                     .expires_at = std::chrono::system_clock::now() + expires_in};
}

}  // namespace

absl::Status ValidateClientCredentials(const ClientCredentials& c) {
  if (!absl::StartsWith(c.token_url, "https://") || c.token_url.size() > 2048 ||
      c.token_url.find('@') != std::string::npos) {
    return absl::InvalidArgumentError("token_url must be an https URL without credentials in it");
  }
  if (c.client_id.empty() || c.client_id.size() > 256) {
    return absl::InvalidArgumentError("client_id must be 1..256 bytes");
  }
  if (c.client_secret.empty()) return absl::InvalidArgumentError("client_secret is empty");
  if (c.timeout < std::chrono::milliseconds(100) || c.timeout > std::chrono::seconds(60)) {
    return absl::InvalidArgumentError("timeout must be 100 ms..60 s");
  }
  return absl::OkStatus();
}

namespace {

// The shared transfer of HttpsGet and HttpsPostForm; `form` empty: GET.
absl::StatusOr<HttpAnswer> Perform(const Endpoint& e, const std::string& user,
                                   const std::string& password, const std::string* form) {
  if (!absl::StartsWith(e.url, "https://") || e.url.size() > 2048) {
    return absl::InvalidArgumentError("the provider's endpoint must be an https URL");
  }
  InitCurlOnce();
  CurlPtr curl(curl_easy_init());
  if (curl == nullptr) return absl::ResourceExhaustedError("cannot create a libcurl handle");
  CURL* h = curl.get();
  Transfer transfer{.max_bytes = e.max_bytes};
  std::array<char, CURL_ERROR_SIZE> error{};
  curl_easy_setopt(h, CURLOPT_URL, e.url.c_str());
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https");
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(e.timeout.count()));
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(e.timeout.count()));
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(h, CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2));
  if (!e.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, e.ca_file.c_str());
  if (!user.empty()) {
    curl_easy_setopt(h, CURLOPT_HTTPAUTH, static_cast<long>(CURLAUTH_BASIC));
    curl_easy_setopt(h, CURLOPT_USERNAME, user.c_str());
    curl_easy_setopt(h, CURLOPT_PASSWORD, password.c_str());
  }
  if (form != nullptr) {
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, form->c_str());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, static_cast<long>(form->size()));
  }
  curl_easy_setopt(h, CURLOPT_USERAGENT, "advocacy-oidc/1");
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error.data());
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &transfer);
  const CURLcode rc = curl_easy_perform(h);
  if (transfer.too_large) {
    return absl::UnavailableError(
        absl::StrCat(e.url, ": the answer is larger than ", e.max_bytes, " bytes"));
  }
  if (rc != CURLE_OK) {
    return absl::UnavailableError(absl::StrCat(e.url, ": ", curl_easy_strerror(rc),
                                               error[0] != '\0' ? " (" : "", error.data(),
                                               error[0] != '\0' ? ")" : ""));
  }
  HttpAnswer answer;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &answer.status);
  answer.body = std::move(transfer.body);
  return answer;
}

}  // namespace

absl::StatusOr<HttpAnswer> HttpsGet(const Endpoint& endpoint) {
  return Perform(endpoint, "", "", nullptr);
}

absl::StatusOr<HttpAnswer> HttpsPostForm(
    const Endpoint& endpoint, const std::string& client_id, const std::string& client_secret,
    const std::vector<std::pair<std::string, std::string>>& form) {
  InitCurlOnce();
  CurlPtr curl(curl_easy_init());
  if (curl == nullptr) return absl::ResourceExhaustedError("cannot create a libcurl handle");
  std::string body;
  for (const auto& [name, value] : form) {
    absl::StrAppend(&body, body.empty() ? "" : "&", FormEncode(curl.get(), name), "=",
                    FormEncode(curl.get(), value));
  }
  if (client_secret.empty()) {
    absl::StrAppend(&body, body.empty() ? "" : "&",
                    "client_id=", FormEncode(curl.get(), client_id));
    return Perform(endpoint, "", "", &body);
  }
  return Perform(endpoint, FormEncode(curl.get(), client_id), FormEncode(curl.get(), client_secret),
                 &body);
}

absl::StatusOr<AccessToken> RequestToken(const ClientCredentials& c) {
  if (absl::Status valid = ValidateClientCredentials(c); !valid.ok()) return valid;
  std::vector<std::pair<std::string, std::string>> form = {{"grant_type", "client_credentials"}};
  if (!c.resource.empty()) form.emplace_back("resource", c.resource);
  if (!c.scope.empty()) form.emplace_back("scope", c.scope);
  for (const auto& [name, value] : c.extra_params) form.emplace_back(name, value);
  absl::StatusOr<HttpAnswer> answer = HttpsPostForm(
      {.url = c.token_url, .ca_file = c.ca_file, .timeout = c.timeout, .max_bytes = c.max_bytes},
      c.client_id, c.client_secret, form);
  if (!answer.ok()) {
    return absl::Status(answer.status().code(),
                        absl::StrCat(Describe(c), ": ", answer.status().message()));
  }
  if (answer->status != 200) return Refusal(c, answer->status, answer->body);
  return ParseTokenResponse(c, answer->body);
}

TokenSource::TokenSource(ClientCredentials credentials, std::chrono::seconds refresh_before,
                         std::chrono::milliseconds retry_after)
    : credentials_(std::move(credentials)),
      refresh_before_(refresh_before),
      retry_after_(retry_after) {}

absl::StatusOr<std::string> TokenSource::Get() {
  std::lock_guard lock(mu_);
  const auto now = std::chrono::system_clock::now();
  const bool have = !cached_.value.empty() && now < cached_.expires_at;
  if (have && now < refresh_at_) return cached_.value;
  if (std::chrono::steady_clock::now() < next_attempt_) {
    if (have) return cached_.value;
    return last_status_;
  }
  ++stats_.requests;
  absl::StatusOr<AccessToken> fresh = RequestToken(credentials_);
  if (!fresh.ok()) {
    ++stats_.failures;
    stats_.last_error = std::string(fresh.status().message());
    last_status_ = fresh.status();
    next_attempt_ = std::chrono::steady_clock::now() + retry_after_;
    if (have) return cached_.value;
    return last_status_;
  }
  cached_ = *std::move(fresh);
  const auto life = cached_.expires_at - now;
  refresh_at_ =
      cached_.expires_at - std::min<std::chrono::system_clock::duration>(refresh_before_, life / 3);
  last_status_ = absl::OkStatus();
  next_attempt_ = {};
  stats_.last_error.clear();
  stats_.expires_at_unix =
      std::chrono::duration_cast<std::chrono::seconds>(cached_.expires_at.time_since_epoch())
          .count();
  return cached_.value;
}

TokenSource::Stats TokenSource::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

absl::StatusOr<std::string> ReadClientSecretFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(absl::StrCat("cannot read the secret file ", path));
  std::string text(kMaxSecretBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  if (text.size() > kMaxSecretBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("the secret file ", path, " is larger than 4 KiB"));
  }
  const size_t eol = text.find('\n');
  std::string secret(absl::StripAsciiWhitespace(text.substr(0, eol)));
  if (secret.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("the secret file ", path, " is empty"));
  }
  return secret;
}

}  // namespace advocacy::oidc
