#pragma once

// The headers every gateway response carries, whatever it is (the app, an RPC's answer, an
// error):
//   Content-Security-Policy: default-src 'none'; script-src 'self'; style-src 'self';
//       img-src 'self' data:; font-src 'self'; connect-src 'self'; manifest-src 'self';
//       base-uri 'none'; form-action 'self'; frame-ancestors 'none'
//     no inline script or style and no eval anywhere (the web build emits none), nothing from
//     another origin, and no page of ours inside anybody's frame;
//   X-Content-Type-Options: nosniff; X-Frame-Options: DENY (for browsers without
//   frame-ancestors); Referrer-Policy: no-referrer; Cross-Origin-Opener-Policy: same-origin;
//   Cross-Origin-Resource-Policy: same-origin; Permissions-Policy denying camera, microphone,
//   geolocation, payment and USB;
//   Strict-Transport-Security: max-age=63072000; includeSubDomains, when the gateway's public
//   address is https (behind TLS only: HSTS over plain http is ignored by browsers and would
//   only mislead).

#include <string>
#include <utility>
#include <vector>

namespace advocacy::gateway {

std::vector<std::pair<std::string, std::string>> SecurityHeaders(bool https);

}  // namespace advocacy::gateway
