#include "static_site.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace advocacy::gateway {
namespace {

http::Request Get(std::string path, std::vector<std::pair<std::string, std::string>> headers = {}) {
  http::Request r;
  r.method = "GET";
  r.path = path;
  r.target = std::move(path);
  r.headers = std::move(headers);
  return r;
}

std::string HeaderOf(const http::Response& r, std::string_view name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "";
}

class StaticSiteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    site_.Add("/assets/app-1a2b.js.br", "BR");  // before its file: attached when it arrives
    site_.Add("/index.html", "<!doctype html><title>Advocacy</title>");
    site_.Add("/assets/app-1a2b.js", "console.log(1)");
    site_.Add("/assets/app-1a2b.js.gz", "GZ");
    site_.Add("/robots.txt", "User-agent: *\n");
  }
  StaticSite site_;
};

TEST_F(StaticSiteTest, PagesOfTheAppAreIndexHtmlRevalidatedEveryTime) {
  for (const char* path : {"/", "/index.html", "/consent", "/content/item-1", "/admin/items"}) {
    const http::Response r = site_.Serve(Get(path));
    EXPECT_EQ(r.status, 200) << path;
    EXPECT_EQ(r.body, "<!doctype html><title>Advocacy</title>") << path;
    EXPECT_EQ(r.content_type, "text/html; charset=utf-8");
    EXPECT_EQ(HeaderOf(r, "Cache-Control"), "no-cache");
    EXPECT_FALSE(HeaderOf(r, "ETag").empty());
  }
  EXPECT_EQ(site_.files(), 3u);  // the .br and .gz are forms of the script, not files
}

TEST_F(StaticSiteTest, HashedAssetsAreImmutableAndPrecompressedFormsAreChosen) {
  http::Response r = site_.Serve(Get("/assets/app-1a2b.js", {{"accept-encoding", "gzip, br"}}));
  EXPECT_EQ(r.body, "BR");
  EXPECT_EQ(HeaderOf(r, "Content-Encoding"), "br");
  EXPECT_EQ(HeaderOf(r, "Vary"), "Accept-Encoding");
  EXPECT_EQ(HeaderOf(r, "Cache-Control"), "public, max-age=31536000, immutable");
  EXPECT_EQ(r.content_type, "text/javascript; charset=utf-8");
  r = site_.Serve(Get("/assets/app-1a2b.js", {{"accept-encoding", "gzip, br;q=0"}}));
  EXPECT_EQ(r.body, "GZ");
  EXPECT_EQ(HeaderOf(r, "Content-Encoding"), "gzip");
  r = site_.Serve(Get("/assets/app-1a2b.js"));
  EXPECT_EQ(r.body, "console.log(1)");
  EXPECT_EQ(HeaderOf(r, "Content-Encoding"), "");
  // Each form has its own validator.
  const std::string identity = HeaderOf(r, "ETag");
  const std::string br =
      HeaderOf(site_.Serve(Get("/assets/app-1a2b.js", {{"accept-encoding", "br"}})), "ETag");
  EXPECT_NE(identity, br);
}

TEST_F(StaticSiteTest, IfNoneMatchAnswers304WithoutBody) {
  const std::string etag = HeaderOf(site_.Serve(Get("/consent")), "ETag");
  const http::Response r = site_.Serve(Get("/feed", {{"if-none-match", "\"x\", " + etag}}));
  EXPECT_EQ(r.status, 304);
  EXPECT_TRUE(r.body.empty());
  EXPECT_EQ(site_.Serve(Get("/feed", {{"if-none-match", "\"other\""}})).status, 200);
}

TEST_F(StaticSiteTest, MissesAndTraversalAre404) {
  for (const char* path : {"/assets/app-0000.js", "/assets/missing", "/favicon.ico",
                           "/../etc/passwd", "/%2e%2e/etc/passwd", "/a/%2E%2E/index.html", "/x%00",
                           "/a\\b", "/bad%zz", "/assets/app-1a2b.js.br", "/trailing%"}) {
    const http::Response r = site_.Serve(Get(path));
    EXPECT_EQ(r.status, 404) << path;
    EXPECT_NE(r.body.find("This page does not exist"), std::string::npos);
    EXPECT_NE(r.body.find("Siden finnes ikke"), std::string::npos);
  }
  EXPECT_EQ(site_.Serve(Get("/robots.txt")).content_type, "text/plain; charset=utf-8");
}

}  // namespace
}  // namespace advocacy::gateway
