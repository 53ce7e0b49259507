#include "static_site.h"

#include <array>
#include <utility>

#include "advocacy/common/digest.h"
#include "advocacy/common/strings.h"
#include "text.h"

namespace advocacy::gateway {
namespace {

constexpr std::string_view kNotFound =
    "Siden finnes ikke. Sjekk adressen, eller gå til forsiden.\n"
    "This page does not exist. Check the address, or go to the start page.\n";

std::string ETagOf(std::string_view content, std::string_view suffix) {
  return StrCat("\"", digest::Hex(digest::Sha256Bytes(content)).substr(0, 32), suffix, "\"");
}

// Whether an If-None-Match value names `etag` (a list, or "*").
bool Matches(std::string_view if_none_match, std::string_view etag) {
  for (std::string_view candidate : text::Split(if_none_match, ',')) {
    candidate = text::Trim(candidate);
    // Weak comparison is what If-None-Match uses (RFC 9110 13.1.2).
    if (candidate.starts_with("W/")) candidate.remove_prefix(2);
    if (candidate == "*" || candidate == etag) return true;
  }
  return false;
}

// Whether `accept` (an Accept-Encoding value) allows `coding` (q > 0).
bool Accepts(std::string_view accept, std::string_view coding) {
  for (std::string_view part : text::Split(accept, ',')) {
    const std::vector<std::string_view> fields = text::Split(part, ';');
    if (!text::EqualsIgnoreCase(text::Trim(fields[0]), coding)) continue;
    for (size_t i = 1; i < fields.size(); ++i) {
      std::string_view f = text::Trim(fields[i]);
      if (f.starts_with("q=") || f.starts_with("Q=")) {
        const std::string_view q = text::Trim(f.substr(2));
        if (q == "0" || q == "0." || q == "0.0" || q == "0.00" || q == "0.000") return false;
      }
    }
    return true;
  }
  return false;
}

// The path with %XX decoded, or "" when the encoding is broken or the result is no clean
// absolute path (NUL, backslash, empty or dot segments).
std::string DecodePath(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (c == '%') {
      if (i + 2 >= raw.size()) return "";
      const auto hex = [](char h) -> int {
        if (h >= '0' && h <= '9') return h - '0';
        if (h >= 'a' && h <= 'f') return h - 'a' + 10;
        if (h >= 'A' && h <= 'F') return h - 'A' + 10;
        return -1;
      };
      const int hi = hex(raw[i + 1]);
      const int lo = hex(raw[i + 2]);
      if (hi < 0 || lo < 0) return "";
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
    }
    if (c == '\0' || c == '\\') return "";
    out.push_back(c);
  }
  if (out.empty() || out[0] != '/') return "";
  for (std::string_view segment : text::Split(std::string_view(out).substr(1), '/')) {
    if (segment == "." || segment == "..") return "";
  }
  return out;
}

}  // namespace

std::string_view ContentTypeOf(std::string_view path) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 14> kTypes = {{
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".webmanifest", "application/manifest+json"},
      {".map", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".woff2", "font/woff2"},
      {".txt", "text/plain; charset=utf-8"},
      {".webp", "image/webp"},
      {".jpg", "image/jpeg"},
  }};
  for (const auto& [ext, type] : kTypes) {
    if (text::EndsWithIgnoreCase(path, ext)) return type;
  }
  return "application/octet-stream";
}

void StaticSite::Attach(const std::string& path, const std::string& encoding, std::string content) {
  File& file = files_.at(path);
  const std::string suffix = encoding == "br" ? "-br" : "-gz";
  Variant v{.body = std::move(content), .etag = ""};
  v.etag = StrCat(file.identity.etag.substr(0, file.identity.etag.size() - 1), suffix, "\"");
  file.encoded[encoding] = std::move(v);
}

void StaticSite::Add(const std::string& path, std::string content) {
  for (const auto& [ext, encoding] : std::array<std::pair<std::string_view, std::string_view>, 2>{
           {{".br", "br"}, {".gz", "gzip"}}}) {
    if (path.ends_with(ext)) {
      std::string base = path.substr(0, path.size() - ext.size());
      if (files_.count(base) != 0) {
        Attach(base, std::string(encoding), std::move(content));
      } else {
        pending_[StrCat(encoding, " ", base)] = std::move(content);
      }
      return;
    }
  }
  File file;
  file.content_type = std::string(ContentTypeOf(path));
  file.immutable = path.starts_with("/assets/");
  file.identity.etag = ETagOf(content, "");
  file.identity.body = std::move(content);
  files_[path] = std::move(file);
  for (std::string_view encoding : {"br", "gzip"}) {
    auto it = pending_.find(StrCat(encoding, " ", path));
    if (it == pending_.end()) continue;
    Attach(path, std::string(encoding), std::move(it->second));
    pending_.erase(it);
  }
}

http::Response StaticSite::Serve(const http::Request& request) const {
  std::string path = DecodePath(request.path);
  if (path == "/") path = "/index.html";
  auto it = path.empty() ? files_.end() : files_.find(path);
  if (it == files_.end() && !path.empty() && !path.starts_with("/assets/")) {
    const std::string_view last = std::string_view(path).substr(path.rfind('/') + 1);
    if (last.find('.') == std::string_view::npos) it = files_.find("/index.html");
  }
  if (it == files_.end()) return http::TextResponse(404, std::string(kNotFound));
  const File& file = it->second;

  const Variant* variant = &file.identity;
  std::string_view encoding;
  if (!file.encoded.empty()) {
    const std::string_view accept = request.Header("accept-encoding").value_or("");
    for (std::string_view coding : {"br", "gzip"}) {
      auto e = file.encoded.find(coding);
      if (e != file.encoded.end() && Accepts(accept, coding)) {
        variant = &e->second;
        encoding = coding;
        break;
      }
    }
  }
  http::Response r;
  r.content_type = file.content_type;
  r.headers.emplace_back("Cache-Control",
                         file.immutable ? "public, max-age=31536000, immutable" : "no-cache");
  r.headers.emplace_back("ETag", variant->etag);
  if (!file.encoded.empty()) r.headers.emplace_back("Vary", "Accept-Encoding");
  if (!encoding.empty()) r.headers.emplace_back("Content-Encoding", std::string(encoding));
  if (auto inm = request.Header("if-none-match"); inm && Matches(*inm, variant->etag)) {
    r.status = 304;
    return r;
  }
  r.status = 200;
  r.body = variant->body;
  return r;
}

}  // namespace advocacy::gateway
