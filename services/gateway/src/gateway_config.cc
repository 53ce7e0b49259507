#include "gateway_config.h"

#include "advocacy/common/strings.h"

namespace advocacy::gateway {

GatewayConfig ReadGatewayConfig(config::EnvReader& env) {
  GatewayConfig c;
  c.runtime = config::ReadRuntimeConfig(env, "gateway", {.kafka = false});
  c.http = config::ReadHttpServerOptions(env, "GATEWAY_HTTP", "0.0.0.0:8080");
  if (env.Optional("GATEWAY_HTTP_WORKERS", "").empty()) c.http.workers = 32;
  c.http.max_body_bytes =
      static_cast<size_t>(env.Int("GATEWAY_MAX_BODY_BYTES", 256 * 1024, 1024, 4 * 1024 * 1024));
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
  return c;
}

}  // namespace advocacy::gateway
