#pragma once

// The built web app (web/dist), held in memory and served to browsers:
//  * Only the files given to Add are ever served, so no request path can reach anything else on
//    disk (no traversal to defend against at serving time). `x.gz` and `x.br` beside `x` are its
//    precompressed forms (the web build writes them), chosen by Accept-Encoding (br first) with
//    Vary: Accept-Encoding; they are not served under their own names.
//  * /assets/... (content-hashed names) are cached for a year as immutable; everything else
//    (index.html) is revalidated on every use (Cache-Control: no-cache) by its strong ETag, and
//    If-None-Match answers 304.
//  * A GET of a path that names no file and whose last segment has no dot is a page of the app
//    (/consent, /content/it-1): index.html, so links in mails and reloads work. Other misses are
//    404 with a short text in Norwegian and English.
//  * GET and HEAD only; HEAD gets the headers without the body.

#include <map>
#include <string>
#include <string_view>

#include "advocacy/common/http_server.h"

namespace advocacy::gateway {

class StaticSite {
 public:
  // `path` starts with '/', e.g. "/index.html", "/assets/app-3f2a.js", "/assets/app-3f2a.js.br".
  void Add(const std::string& path, std::string content);
  size_t files() const { return files_.size(); }
  bool has_index() const { return files_.count("/index.html") != 0; }

  http::Response Serve(const http::Request& request) const;

 private:
  struct Variant {
    std::string body;
    std::string etag;
  };
  struct File {
    std::string content_type;
    bool immutable = false;
    Variant identity;
    std::map<std::string, Variant, std::less<>> encoded;  // "br", "gzip"
  };
  std::map<std::string, File, std::less<>> files_;
  std::map<std::string, std::string, std::less<>> pending_;  // encodings whose file is not in yet

  void Attach(const std::string& path, const std::string& encoding, std::string content);
};

// The media type for a file name, by its extension; application/octet-stream when unknown.
std::string_view ContentTypeOf(std::string_view path);

}  // namespace advocacy::gateway
