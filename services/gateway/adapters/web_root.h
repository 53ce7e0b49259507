#pragma once

#include <string>

#include "absl/status/status.h"
#include "static_site.h"

namespace advocacy::gateway {

// Reads every regular file under `dir` into `site` (paths relative to `dir`, with '/'); symbolic
// links and hidden files (a segment starting with '.') are skipped. At most 10,000 files and
// 64 MiB: a web app, not a file server. FAILED_PRECONDITION naming the directory when it cannot
// be read, holds no index.html or is over the bounds.
absl::Status LoadWebRoot(const std::string& dir, StaticSite* site);

}  // namespace advocacy::gateway
