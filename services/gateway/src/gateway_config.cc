#include "gateway_config.h"

#include "advocacy/common/oidc_client.h"
#include "advocacy/common/strings.h"

namespace advocacy::gateway {

GatewayConfig ReadGatewayConfig(config::EnvReader& env) {
  GatewayConfig c;
  c.runtime = config::ReadRuntimeConfig(env, "gateway", {.kafka = false});
  http::ServerOptions defaults;
  defaults.workers = 32;  // each waits on one upstream call
  // Keep-alive, longer than the 60 s idle timeouts of the usual proxies in front (ingress-nginx's
  // upstream keepalive, cloud load balancers), so that the proxy, not the gateway, closes an idle
  // connection and never sends a request on one the gateway is closing.
  defaults.idle_timeout = std::chrono::milliseconds(65000);
  c.http = config::ReadHttpServerOptions(env, "GATEWAY_HTTP", "0.0.0.0:8080", defaults);
  c.http.max_body_bytes = static_cast<size_t>(
      env.Int("GATEWAY_MAX_BODY_BYTES", int64_t{256} * 1024, 1024, int64_t{4} * 1024 * 1024));
  c.http.name = "gateway";
  c.public_url = env.Required("GATEWAY_PUBLIC_URL");
  if (!c.public_url.empty() && !c.public_url.starts_with("https://") &&
      !c.public_url.starts_with("http://")) {
    env.AddError(StrCat("GATEWAY_PUBLIC_URL='", c.public_url,
                        "' must be an absolute http(s) URL, e.g. https://advocacy.example"));
  }
  while (c.public_url.ends_with('/')) c.public_url.pop_back();
  c.web_root = env.Optional("GATEWAY_WEB_ROOT", "/usr/share/advocacy/web");
  for (const char* service : {"consent", "content", "courses", "notifications"}) {
    std::string upper;
    for (const char* p = service; *p != '\0'; ++p) upper.push_back(static_cast<char>(*p - 32));
    c.upstreams[service] = env.Required(StrCat("GATEWAY_", upper, "_ADDR"));
  }
  c.upstream_deadline =
      env.Millis("GATEWAY_UPSTREAM_DEADLINE_MS", std::chrono::milliseconds(10000),
                 std::chrono::milliseconds(100), std::chrono::milliseconds(60000));
  c.oidc_issuer = env.Optional("GATEWAY_OIDC_ISSUER", "");
  while (c.oidc_issuer.ends_with('/')) c.oidc_issuer.pop_back();
  if (!c.oidc_issuer.empty() && !c.oidc_issuer.starts_with("https://")) {
    env.AddError(StrCat("GATEWAY_OIDC_ISSUER='", c.oidc_issuer, "' must be an https URL"));
  }
  c.oidc_client_id = env.Optional("GATEWAY_OIDC_CLIENT_ID", "advocacy-web");
  if (const std::string path = env.Optional("GATEWAY_OIDC_CLIENT_SECRET_FILE", ""); !path.empty()) {
    absl::StatusOr<std::string> secret = oidc::ReadClientSecretFile(path);
    if (secret.ok()) {
      c.oidc_client_secret = *std::move(secret);
    } else {
      env.AddError(StrCat("GATEWAY_OIDC_CLIENT_SECRET_FILE: ", secret.status().message()));
    }
  }
  c.oidc_ca_file = env.Optional("GATEWAY_OIDC_CA_FILE", "");
  c.oidc_scope = env.Optional("GATEWAY_OIDC_SCOPE", "openid profile email offline_access");
  c.oidc_resource_prefix = env.Optional("GATEWAY_OIDC_RESOURCE_PREFIX", "urn:advocacy:");
  c.session_idle = std::chrono::seconds(env.Int("GATEWAY_SESSION_IDLE_S", 1800, 10, 86400));
  c.session_max = std::chrono::seconds(
      env.Int("GATEWAY_SESSION_MAX_S", int64_t{8} * 3600, 300, int64_t{7} * 86400));
  c.session_rate = static_cast<double>(env.Int("GATEWAY_SESSION_RATE", 20, 1, 10000));
  c.session_burst = static_cast<double>(env.Int("GATEWAY_SESSION_BURST", 60, 1, 100000));
  c.login_rate = static_cast<double>(env.Int("GATEWAY_LOGIN_RATE", 50, 1, 100000));
  c.anonymous_client_id = env.Optional("GATEWAY_ANONYMOUS_CLIENT_ID", "advocacy-gateway");
  if (const std::string path = env.Optional("GATEWAY_ANONYMOUS_CLIENT_SECRET_FILE", "");
      !path.empty()) {
    absl::StatusOr<std::string> secret = oidc::ReadClientSecretFile(path);
    if (secret.ok()) {
      c.anonymous_client_secret = *std::move(secret);
    } else {
      env.AddError(StrCat("GATEWAY_ANONYMOUS_CLIENT_SECRET_FILE: ", secret.status().message()));
    }
    if (c.oidc_issuer.empty()) {
      env.AddError("GATEWAY_ANONYMOUS_CLIENT_SECRET_FILE needs GATEWAY_OIDC_ISSUER (the provider)");
    }
  }
  c.anonymous_rate = static_cast<double>(env.Int("GATEWAY_ANONYMOUS_RATE", 20, 1, 100000));
  return c;
}

}  // namespace advocacy::gateway
