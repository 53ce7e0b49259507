#pragma once

// The issuers a VerifierOptions describes. Private to the auth code.

#include <vector>

#include "advocacy/common/auth.h"

namespace advocacy::auth::internal {

// options.issuers, plus the shorthand (public_key_pem, issuer, audience) as an issuer of its own
// when any of the three is set.
std::vector<IssuerOptions> ExpandedIssuers(const VerifierOptions& options);

}  // namespace advocacy::auth::internal
