#pragma once

// Helpers shared by the HTTP message functions (http_message.cc) and the server
// (http_server.cc). Not part of the public interface.

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "advocacy/common/http_server.h"

namespace advocacy::http::internal {

// RFC 9110 token: one or more of ALPHA, DIGIT and !#$%&'*+-.^_`|~.
bool IsToken(std::string_view s);
bool HasLineBreak(std::string_view s);

// The checks every request passes before a handler sees it, whoever parsed it:
// INVALID_ARGUMENT for a method that is not a token, a target that does not start with '/'
// or holds anything but visible ASCII, a header name that is not a token or a value with a
// control character other than HTAB; then UNIMPLEMENTED for a method other than GET, HEAD and
// POST. The version is the parser's business.
absl::Status CheckRequest(const Request& request);

// Splits request.target into path and query.
void SplitTarget(Request& request);

}  // namespace advocacy::http::internal
