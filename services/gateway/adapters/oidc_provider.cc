#include "oidc_provider.h"

#include <nlohmann/json.hpp>

#include "advocacy/common/logging.h"
#include "advocacy/common/strings.h"
#include "text.h"

namespace advocacy::gateway {

using nlohmann::json;

absl::Status OidcProvider::Discover() {
  std::lock_guard lock(discover_mu_);
  if (discovered_.load()) return absl::OkStatus();
  const std::string url = StrCat(config_.issuer, "/.well-known/openid-configuration");
  absl::StatusOr<oidc::HttpAnswer> answer =
      oidc::HttpsGet({.url = url, .ca_file = config_.ca_file, .timeout = config_.timeout});
  if (!answer.ok()) return answer.status();
  if (answer->status != 200) {
    return absl::UnavailableError(StrCat(url, " answered HTTP ", answer->status));
  }
  const json j = json::parse(answer->body, nullptr, /*allow_exceptions=*/false);
  const auto str = [&j](const char* name) -> std::string {
    if (!j.is_object()) return "";
    auto it = j.find(name);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  if (str("issuer") != config_.issuer) {
    return absl::FailedPreconditionError(
        StrCat(url, " names the issuer '", str("issuer"), "', not '", config_.issuer, "'"));
  }
  Endpoints e{.authorization = str("authorization_endpoint"),
              .token = str("token_endpoint"),
              .end_session = str("end_session_endpoint"),
              .revocation = str("revocation_endpoint")};
  if (e.authorization.rfind("https://", 0) != 0 || e.token.rfind("https://", 0) != 0) {
    return absl::FailedPreconditionError(
        StrCat(url, " has no https authorization_endpoint and token_endpoint"));
  }
  endpoints_ = std::move(e);
  discovered_.store(true);
  return absl::OkStatus();
}

absl::StatusOr<TokenSet> OidcProvider::TokenRequest(
    const std::vector<std::pair<std::string, std::string>>& form, std::string_view grant) {
  if (!discovered_.load()) {
    return absl::UnavailableError("the identity provider has not been reached yet");
  }
  absl::StatusOr<oidc::HttpAnswer> answer = oidc::HttpsPostForm(
      {.url = endpoints_.token, .ca_file = config_.ca_file, .timeout = config_.timeout},
      config_.client_id, config_.client_secret, form);
  if (!answer.ok()) return absl::UnavailableError(answer.status().message());
  const json j = json::parse(answer->body, nullptr, /*allow_exceptions=*/false);
  const auto str = [&j](const char* name) -> std::string {
    if (!j.is_object()) return "";
    auto it = j.find(name);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  if (answer->status != 200) {
    const std::string error = str("error").substr(0, 64);
    const std::string text = StrCat("the identity provider refused the ", grant, " grant: HTTP ",
                                    answer->status, ", error ", error.empty() ? "(none)" : error);
    if (answer->status >= 500 || answer->status == 429) return absl::UnavailableError(text);
    if (error == "invalid_grant") return absl::UnauthenticatedError(text);
    return absl::FailedPreconditionError(text);  // the client's configuration at the provider
  }
  TokenSet t{.access_token = str("access_token"),
             .expires_in = 0,
             .refresh_token = str("refresh_token"),
             .id_token = str("id_token")};
  if (auto it = j.find("expires_in"); it != j.end() && it->is_number_integer()) {
    t.expires_in = it->get<int64_t>();
  }
  if (t.access_token.empty() || t.expires_in <= 0 || t.expires_in > 86400 ||
      AsciiLower(str("token_type")) != "bearer") {
    return absl::InternalError(StrCat("the identity provider's answer to the ", grant,
                                      " grant is not a bearer token with expires_in"));
  }
  return t;
}

absl::StatusOr<TokenSet> OidcProvider::ExchangeCode(const std::string& code,
                                                    const std::string& code_verifier,
                                                    const std::string& redirect_uri,
                                                    const std::string& resource) {
  return TokenRequest({{"grant_type", "authorization_code"},
                       {"code", code},
                       {"code_verifier", code_verifier},
                       {"redirect_uri", redirect_uri},
                       {"resource", resource}},
                      "authorization_code");
}

absl::StatusOr<TokenSet> OidcProvider::Refresh(const std::string& refresh_token,
                                               const std::string& resource) {
  return TokenRequest(
      {{"grant_type", "refresh_token"}, {"refresh_token", refresh_token}, {"resource", resource}},
      "refresh_token");
}

void OidcProvider::Revoke(const std::string& refresh_token) {
  if (!discovered_.load() || endpoints_.revocation.empty()) return;
  absl::StatusOr<oidc::HttpAnswer> answer = oidc::HttpsPostForm(
      {.url = endpoints_.revocation, .ca_file = config_.ca_file, .timeout = config_.timeout},
      config_.client_id, config_.client_secret,
      {{"token", refresh_token}, {"token_type_hint", "refresh_token"}});
  if (!answer.ok() || answer->status != 200) {
    log::Warning(
        "the identity provider did not confirm the revocation of a signed-out session's "
        "refresh token; it expires on its own",
        {{"error",
          answer.ok() ? StrCat("HTTP ", answer->status) : std::string(answer.status().message())}});
  }
}

}  // namespace advocacy::gateway
