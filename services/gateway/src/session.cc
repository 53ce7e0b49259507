#include "session.h"

#include <nlohmann/json.hpp>

namespace advocacy::gateway {

using nlohmann::json;

std::string EncodeSession(const Session& s) {
  json tokens = json::object();
  for (const auto& [upstream, t] : s.tokens) {
    tokens[upstream] = {{"value", t.value}, {"expires_at", t.expires_at}};
  }
  return json{{"v", 1},
              {"subject", s.subject},
              {"tenant", s.tenant},
              {"role", s.role},
              {"name", s.name},
              {"email", s.email},
              {"csrf", s.csrf_token},
              {"created_at", s.created_at},
              {"expires_at", s.expires_at},
              {"refresh_token", s.refresh_token},
              {"id_token", s.id_token},
              {"tokens", tokens}}
      .dump(-1, ' ', false, json::error_handler_t::replace);
}

absl::StatusOr<Session> DecodeSession(std::string_view text) {
  const json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || j.value("v", 0) != 1) {
    return absl::InternalError("a stored session is not a version 1 session record");
  }
  try {
    Session s;
    s.subject = j.at("subject").get<std::string>();
    s.tenant = j.at("tenant").get<std::string>();
    s.role = j.at("role").get<std::string>();
    s.name = j.at("name").get<std::string>();
    s.email = j.at("email").get<std::string>();
    s.csrf_token = j.at("csrf").get<std::string>();
    s.created_at = j.at("created_at").get<int64_t>();
    s.expires_at = j.at("expires_at").get<int64_t>();
    s.refresh_token = j.at("refresh_token").get<std::string>();
    s.id_token = j.at("id_token").get<std::string>();
    for (const auto& [upstream, t] : j.at("tokens").items()) {
      s.tokens[upstream] = {.value = t.at("value").get<std::string>(),
                            .expires_at = t.at("expires_at").get<int64_t>()};
    }
    return s;
  } catch (const json::exception&) {
    return absl::InternalError("a stored session record is incomplete");
  }
}

std::string EncodeLogin(const LoginState& l) {
  return json{
      {"v", 1}, {"verifier", l.code_verifier}, {"nonce", l.nonce}, {"return_to", l.return_to}}
      .dump();
}

absl::StatusOr<LoginState> DecodeLogin(std::string_view text) {
  const json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || j.value("v", 0) != 1 || !j.contains("verifier") ||
      !j["verifier"].is_string() || !j.contains("nonce") || !j["nonce"].is_string() ||
      !j.contains("return_to") || !j["return_to"].is_string()) {
    return absl::InternalError("a stored sign-in is not a version 1 record");
  }
  return LoginState{.code_verifier = j["verifier"].get<std::string>(),
                    .nonce = j["nonce"].get<std::string>(),
                    .return_to = j["return_to"].get<std::string>()};
}

}  // namespace advocacy::gateway
