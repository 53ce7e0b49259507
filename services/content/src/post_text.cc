#include "post_text.h"

#include <algorithm>
#include <cctype>
#include <set>
#include <vector>

#include "advocacy/common/strings.h"
#include "content_domain.h"
#include "graphemes.h"

namespace advocacy::content {
namespace {

constexpr size_t kXLimit = 280;
constexpr size_t kLinkedInLimit = 3000;
constexpr size_t kFacebookLimit = 63206;
constexpr size_t kInstagramLimit = 2200;
// t.co: every URL counts this much on X, whatever its own length.
constexpr size_t kXUrlLength = 23;

// twitter-text v3: the code points of weight 1 (scaled); every other one weighs 2.
bool XWeighsOne(char32_t cp) {
  return cp <= 0x10FF || (cp >= 0x2000 && cp <= 0x200D) || (cp >= 0x2010 && cp <= 0x201F) ||
         (cp >= 0x2032 && cp <= 0x2037);
}

bool IsAsciiAlnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

// The characters a URL is written with (RFC 3986 unreserved, reserved and '%').
bool IsUrlChar(char c) {
  return IsAsciiAlnum(c) ||
         std::string_view("-._~:/?#[]@!$&'()*+,;=%").find(c) != std::string_view::npos;
}

bool IsDomainChar(char c) { return IsAsciiAlnum(c) || c == '.' || c == '-'; }

// Top-level domains of three or more letters that X links without a scheme, the common ones;
// every two-letter one is taken for a country code.
bool IsKnownTopLevelDomain(std::string_view tld) {
  static const auto* known = new std::set<std::string_view>{
      "academy", "agency", "app",      "art",       "bank",   "biz",     "blog",     "business",
      "careers", "center", "cloud",    "club",      "com",    "company", "design",   "dev",
      "digital", "eco",    "edu",      "email",     "energy", "events",  "finance",  "global",
      "gov",     "green",  "group",    "health",    "info",   "int",     "jobs",     "law",
      "legal",   "live",   "media",    "mil",       "mobi",   "museum",  "name",     "net",
      "network", "news",   "online",   "org",       "page",   "pro",     "services", "shop",
      "site",    "social", "software", "solutions", "store",  "studio",  "systems",  "team",
      "tech",    "today",  "travel",   "website",   "work",   "world",   "xyz",      "zone"};
  if (tld.size() == 2) return true;
  return known->count(tld) != 0;
}

// "acme.no", "www.example.com": dot-separated labels of letters, digits and '-', the last one a
// known top-level domain.
bool IsDomainName(std::string_view host) {
  const std::string h = AsciiLower(host);
  const size_t dot = h.rfind('.');
  if (dot == std::string::npos || dot == 0) return false;
  const std::string_view tld = std::string_view(h).substr(dot + 1);
  if (tld.size() < 2 ||
      !std::all_of(tld.begin(), tld.end(), [](char c) { return c >= 'a' && c <= 'z'; })) {
    return false;
  }
  size_t start = 0;
  while (start <= dot) {
    const size_t end = h.find('.', start);
    if (end == start) return false;  // an empty label
    for (size_t i = start; i < end; ++i) {
      if (!IsAsciiAlnum(h[i]) && h[i] != '-') return false;
    }
    start = end + 1;
  }
  return IsKnownTopLevelDomain(tld);
}

// A URL without the punctuation that ends the sentence around it: X ends a URL on a letter,
// digit or one of "/=_#+-".
std::string_view TrimUrlEnd(std::string_view url) {
  while (!url.empty()) {
    const char c = url.back();
    if (IsAsciiAlnum(c) || std::string_view("/=_#+-").find(c) != std::string_view::npos) break;
    url.remove_suffix(1);
  }
  return url;
}

// A part of the text that X counts as one URL, and what it costs.
struct UrlSpan {
  size_t begin = 0;
  size_t end = 0;
  size_t cost = 0;
};

// Words of `segment` (at `offset` in the text) that look like domain names, with what follows
// them up to the end of the segment when that is a path, query or port.
void AddBareDomains(std::string_view segment, size_t offset, std::vector<UrlSpan>& out) {
  size_t i = 0;
  while (i < segment.size()) {
    if (!IsDomainChar(segment[i]) || segment[i] == '.' || segment[i] == '-') {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < segment.size() && IsDomainChar(segment[j])) ++j;
    std::string_view host = segment.substr(i, j - i);
    while (!host.empty() && (host.back() == '.' || host.back() == '-')) host.remove_suffix(1);
    if (!IsDomainName(host)) {
      i = j;
      continue;
    }
    size_t end = i + host.size();
    if (end < segment.size() &&
        std::string_view("/?#:").find(segment[end]) != std::string_view::npos) {
      end = i + TrimUrlEnd(segment.substr(i)).size();
    }
    // X may or may not link it: counted as the longer of the two.
    out.push_back({offset + i, offset + end, std::max(kXUrlLength, end - i)});
    i = end;
  }
}

size_t FindScheme(std::string_view run, size_t from) {
  const std::string lower = AsciiLower(run);
  const size_t http = lower.find("http://", from);
  const size_t https = lower.find("https://", from);
  return std::min(http, https);
}

// The URLs X finds in one run of URL characters at `offset` of the text.
void AddUrls(std::string_view run, size_t offset, std::vector<UrlSpan>& out) {
  size_t at = 0;
  while (at < run.size()) {
    const size_t scheme = FindScheme(run, at);
    AddBareDomains(
        run.substr(at, scheme == std::string_view::npos ? std::string_view::npos : scheme - at),
        offset + at, out);
    if (scheme == std::string_view::npos) return;
    const std::string_view url = TrimUrlEnd(run.substr(scheme));
    const size_t host_start = url.find("://") + 3;
    if (url.size() <= host_start) {  // a bare "https://": text, not a link
      at = scheme + host_start;
      continue;
    }
    std::string_view host = url.substr(host_start);
    host = host.substr(0, host.find_first_of("/?#"));
    if (const size_t user = host.rfind('@'); user != std::string_view::npos) {
      host = host.substr(user + 1);
    }
    host = host.substr(0, host.find(':'));
    const size_t cost = IsDomainName(host) ? kXUrlLength : std::max(kXUrlLength, url.size());
    out.push_back({offset + scheme, offset + scheme + url.size(), cost});
    at = scheme + url.size();
  }
}

std::vector<UrlSpan> FindUrls(std::string_view text) {
  std::vector<UrlSpan> out;
  size_t i = 0;
  while (i < text.size()) {
    if (!IsUrlChar(text[i])) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < text.size() && IsUrlChar(text[j])) ++j;
    AddUrls(text.substr(i, j - i), i, out);
    i = j;
  }
  return out;
}

bool IsHangulL(char32_t cp) {
  return (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0xA960 && cp <= 0xA97C);
}
bool IsHangulV(char32_t cp) {
  return (cp >= 0x1160 && cp <= 0x11A7) || (cp >= 0xD7B0 && cp <= 0xD7C6);
}
bool IsHangulT(char32_t cp) {
  return (cp >= 0x11A8 && cp <= 0x11FF) || (cp >= 0xD7CB && cp <= 0xD7FB);
}
bool IsHangulLv(char32_t cp) { return cp >= 0xAC00 && cp <= 0xD7A3 && (cp - 0xAC00) % 28 == 0; }

// X's weight of one grapheme cluster outside URLs. An emoji (a pictograph with its modifiers
// and ZWJ sequence, a flag, a keycap) is one entity of weight 2. Other clusters weigh each code
// point, as X does after NFC normalization: so the first combining diacritic (U+0300-U+036F) of a
// base letter, and Hangul jamo that compose into a syllable, add nothing.
size_t XClusterWeight(std::string_view cluster) {
  std::vector<char32_t> cps;
  for (size_t at = 0; at < cluster.size();) {
    const CodePoint c = DecodeUtf8(cluster, at);
    cps.push_back(c.value);
    at += c.length;
  }
  const char32_t first = cps.front();
  const bool keycap = std::find(cps.begin(), cps.end(), char32_t{0x20E3}) != cps.end();
  if (IsExtendedPictographic(first) || IsRegionalIndicator(first) || keycap) return 2;
  size_t weight = 0;
  bool syllable_lv = false;  // the previous code point is, or composed into, an LV syllable
  for (size_t i = 0; i < cps.size(); ++i) {
    const char32_t cp = cps[i];
    if (i == 1 && cp >= 0x0300 && cp <= 0x036F) continue;
    if (i > 0 && IsHangulV(cp) && IsHangulL(cps[i - 1])) {
      syllable_lv = true;
      continue;
    }
    if (i > 0 && IsHangulT(cp) && syllable_lv) {
      syllable_lv = false;
      continue;
    }
    syllable_lv = IsHangulLv(cp);
    weight += XWeighsOne(cp) ? 1 : 2;
  }
  return weight;
}

std::string_view TrimAsciiSpace(std::string_view s) {
  const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

// Case folding for finding a tag in a caption: ASCII and the Latin-1 capitals (Æ, Ø, Å, ...).
std::string Fold(std::string_view s) {
  std::string out = AsciiLower(s);
  for (size_t i = 0; i + 1 < out.size(); ++i) {
    const auto lead = static_cast<unsigned char>(out[i]);
    const auto next = static_cast<unsigned char>(out[i + 1]);
    if (lead == 0xC3 && next >= 0x80 && next <= 0x9E && next != 0x97) {
      out[i + 1] = static_cast<char>(next + 0x20);
    }
  }
  return out;
}

// A letter, digit or '_' of a word (any non-ASCII byte counts as a letter).
bool IsWordByte(char c) {
  return IsAsciiAlnum(c) || c == '_' || static_cast<unsigned char>(c) >= 0x80;
}

// `tag` stands in `text` as a whole: not inside a longer word or hashtag ("#ad" is not in
// "#advertising"). Both already folded.
bool ContainsTag(std::string_view text, std::string_view tag) {
  if (tag.empty()) return false;
  for (size_t at = text.find(tag); at != std::string_view::npos; at = text.find(tag, at + 1)) {
    const size_t end = at + tag.size();
    const bool starts = !IsWordByte(tag.front()) || at == 0 || !IsWordByte(text[at - 1]);
    const bool ends = !IsWordByte(tag.back()) || end == text.size() || !IsWordByte(text[end]);
    if (starts && ends) return true;
  }
  return false;
}

// A stored item whose post cannot be shared: what the employee's client shows and an admin does.
absl::Status StoredPostTooLong(const v1::Item& item, cv1::Network network, size_t length,
                               size_t limit) {
  return absl::FailedPreconditionError(advocacy::StrCat(
      "item '", item.item_id(), "': its post on ", cv1::Network_Name(network), " would be ", length,
      " characters as the network counts them, over the network's limit of ", limit,
      " (the item was saved before posts were checked at save time); an admin must start a new "
      "item from it with a shorter caption or fewer hashtags, and archive this one"));
}

}  // namespace

size_t PostLimit(cv1::Network network) {
  switch (network) {
    case cv1::NETWORK_X:
      return kXLimit;
    case cv1::NETWORK_LINKEDIN:
      return kLinkedInLimit;
    case cv1::NETWORK_FACEBOOK:
      return kFacebookLimit;
    case cv1::NETWORK_INSTAGRAM:
      return kInstagramLimit;
    default:
      return 0;
  }
}

size_t XWeightedLength(std::string_view text) {
  const std::vector<UrlSpan> urls = FindUrls(text);
  size_t total = 0;
  size_t k = 0;
  size_t charged = urls.size();  // the URL already counted
  size_t begin = 0;
  for (const std::string_view cluster : Graphemes(text)) {
    const size_t end = begin + cluster.size();
    while (k < urls.size() && urls[k].end <= begin) ++k;
    if (k < urls.size() && begin < urls[k].end && end > urls[k].begin) {
      if (charged != k) {
        total += urls[k].cost;
        charged = k;
      }
      if (begin < urls[k].begin) total += XClusterWeight(cluster);
    } else {
      total += XClusterWeight(cluster);
    }
    begin = end;
  }
  return total;
}

size_t NetworkLength(cv1::Network network, std::string_view text) {
  return network == cv1::NETWORK_X ? XWeightedLength(text) : GraphemeCount(text);
}

std::string ComposePostText(std::string_view caption, const v1::Item& item) {
  const std::string_view text = TrimAsciiSpace(caption);
  const std::string folded = Fold(text);
  std::string tags;
  std::set<std::string> seen;
  for (const std::string& h : item.hashtags()) {
    const std::string tag = advocacy::StrCat("#", h);
    const std::string key = Fold(tag);
    if (!seen.insert(key).second || ContainsTag(folded, key)) continue;
    if (!tags.empty()) tags.push_back(' ');
    tags += tag;
  }
  std::string out(text);
  const auto add = [&out](std::string_view part) {
    if (part.empty()) return;
    if (!out.empty()) out += "\n\n";
    out += part;
  };
  add(tags);
  const std::string_view disclosure = TrimAsciiSpace(item.disclosure_tag());
  if (!ContainsTag(folded, Fold(disclosure))) add(disclosure);
  return out;
}

std::string ShareIntentUrl(cv1::Network network, std::string_view post_text,
                           std::string_view tracked_url) {
  switch (network) {
    case cv1::NETWORK_LINKEDIN:
      return advocacy::StrCat("https://www.linkedin.com/sharing/share-offsite/?url=",
                              PercentEncode(tracked_url));
    case cv1::NETWORK_FACEBOOK:
      return advocacy::StrCat("https://www.facebook.com/sharer/sharer.php?u=",
                              PercentEncode(tracked_url));
    case cv1::NETWORK_X:
      return advocacy::StrCat("https://twitter.com/intent/tweet?text=", PercentEncode(post_text),
                              "&url=", PercentEncode(tracked_url));
    default:
      return "";
  }
}

std::string PostedText(cv1::Network network, std::string_view post_text,
                       std::string_view tracked_url) {
  switch (network) {
    case cv1::NETWORK_X:
      return advocacy::StrCat(post_text, " ", tracked_url);
    case cv1::NETWORK_INSTAGRAM:
      return advocacy::StrCat(post_text, "\n\n", tracked_url);
    default:
      return std::string(post_text);
  }
}

PostComposer::PostComposer(std::string_view link_base_url)
    : sample_link_(advocacy::StrCat(link_base_url, std::string(kLinkCodeLength, 'A'))) {}

size_t PostComposer::PostLength(const v1::Item& item, cv1::Network network,
                                std::string_view caption) const {
  return NetworkLength(network, PostedText(network, ComposePostText(caption, item), sample_link_));
}

absl::StatusOr<v1::SharePost> PostComposer::Compose(const v1::Item& item, cv1::Network network,
                                                    std::string_view caption,
                                                    std::string_view tracked_url) const {
  std::string text = ComposePostText(caption, item);
  const std::string_view link = tracked_url.empty() ? std::string_view(sample_link_) : tracked_url;
  const size_t length = NetworkLength(network, PostedText(network, text, link));
  const size_t limit = PostLimit(network);
  if (length > limit) return StoredPostTooLong(item, network, length, limit);
  v1::SharePost post;
  post.set_length(static_cast<int32_t>(length));
  post.set_limit(static_cast<int32_t>(limit));
  if (network == cv1::NETWORK_INSTAGRAM) post.set_app_url(std::string(kInstagramAppUrl));
  if (!tracked_url.empty()) {
    post.set_share_intent_url(ShareIntentUrl(network, text, tracked_url));
    post.set_copy_text(PostedText(network, text, tracked_url));
  } else if (network != cv1::NETWORK_X && network != cv1::NETWORK_INSTAGRAM) {
    post.set_copy_text(text);
  }
  post.set_post_text(std::move(text));
  return post;
}

absl::Status PostComposer::CheckForSave(const v1::Item& item) const {
  const std::optional<OverlongPost> over = FindOverlong(item, std::nullopt);
  if (!over.has_value()) return absl::OkStatus();
  const bool link_counts =
      over->network == cv1::NETWORK_X || over->network == cv1::NETWORK_INSTAGRAM;
  return absl::InvalidArgumentError(advocacy::StrCat(
      "item.captions[", over->captions_index, "].captions[", over->variant_index,
      "]: with the hashtags and the disclosure tag", link_counts ? " and the tracked link" : "",
      " the post is ", over->length, " characters as ", cv1::Network_Name(over->network),
      " counts them; at most ", over->limit, " (shorten the caption or use fewer hashtags)"));
}

absl::Status PostComposer::CheckForShare(const v1::Item& item, cv1::Network network) const {
  const std::optional<OverlongPost> over = FindOverlong(item, network);
  if (!over.has_value()) return absl::OkStatus();
  return StoredPostTooLong(item, network, over->length, over->limit);
}

std::optional<OverlongPost> PostComposer::FindOverlong(const v1::Item& item,
                                                       std::optional<cv1::Network> network) const {
  for (int i = 0; i < item.captions_size(); ++i) {
    const v1::NetworkCaptions& nc = item.captions(i);
    if (network.has_value() && nc.network() != *network) continue;
    const size_t limit = PostLimit(nc.network());
    for (int j = 0; j < nc.captions_size(); ++j) {
      const size_t length = PostLength(item, nc.network(), nc.captions(j));
      if (length > limit) {
        return OverlongPost{.captions_index = i,
                            .variant_index = j,
                            .network = nc.network(),
                            .length = length,
                            .limit = limit};
      }
    }
  }
  return std::nullopt;
}

}  // namespace advocacy::content
