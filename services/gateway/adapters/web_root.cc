#include "web_root.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "advocacy/common/strings.h"

namespace advocacy::gateway {
namespace {

constexpr size_t kMaxFiles = 10000;
constexpr uintmax_t kMaxBytes = uintmax_t{64} * 1024 * 1024;

}  // namespace

absl::Status LoadWebRoot(const std::string& dir, StaticSite* site) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path root = fs::path(dir);
  fs::recursive_directory_iterator it(root, fs::directory_options::none, ec);
  if (ec) {
    return absl::FailedPreconditionError(
        StrCat("the web app directory '", dir, "' cannot be read: ", ec.message()));
  }
  size_t files = 0;
  uintmax_t bytes = 0;
  for (const fs::recursive_directory_iterator end; it != end; it.increment(ec)) {
    if (ec) {
      return absl::FailedPreconditionError(
          StrCat("the web app directory '", dir, "' cannot be read: ", ec.message()));
    }
    const fs::directory_entry& entry = *it;
    const std::string name = entry.path().filename().string();
    if (!name.empty() && name[0] == '.') {
      if (entry.is_directory()) it.disable_recursion_pending();
      continue;
    }
    if (entry.is_symlink() || !entry.is_regular_file()) continue;
    if (++files > kMaxFiles) {
      return absl::FailedPreconditionError(
          StrCat("the web app directory '", dir, "' holds more than ", kMaxFiles, " files"));
    }
    bytes += entry.file_size();
    if (bytes > kMaxBytes) {
      return absl::FailedPreconditionError(
          StrCat("the web app directory '", dir, "' holds more than 64 MiB"));
    }
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream content;
    content << in.rdbuf();
    if (!in) {
      return absl::FailedPreconditionError(
          StrCat("the web app file '", entry.path().string(), "' cannot be read"));
    }
    site->Add(StrCat("/", fs::relative(entry.path(), root).generic_string()), content.str());
  }
  if (!site->has_index()) {
    return absl::FailedPreconditionError(
        StrCat("the web app directory '", dir,
               "' has no index.html: build the app (web/build.sh) and set GATEWAY_WEB_ROOT to "
               "its dist directory"));
  }
  return absl::OkStatus();
}

}  // namespace advocacy::gateway
