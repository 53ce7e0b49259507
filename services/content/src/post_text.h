#pragma once

// The post of one share, made on the server so that every client posts the same words and every
// post fits its network: the caption variant, the item's hashtags and its disclosure tag; the
// network's share dialog carrying the tracked link; and the length as the network counts it.
// Plain C++ on the content messages; no gRPC, no Redis.
//
// The networks' limits and how they count (each network may change them):
//   X          280, weighted as X's own twitter-text library does (config/v3.json of
//              github.com/twitter/twitter-text: scale 100, defaultWeight 200,
//              transformedURLLength 23, weight 100 for U+0000-U+10FF, U+2000-U+200D,
//              U+2010-U+201F, U+2032-U+2037; emoji parsed as one entity of defaultWeight):
//              Latin, Cyrillic, Greek, Hebrew, Arabic, Indic text 1 per code point, CJK and
//              everything else 2, an emoji (with its modifiers, a ZWJ sequence, a flag) 2, every
//              URL 23 (t.co); counted on the text NFC-normalized, so a letter and one combining
//              diacritic count as one (docs.x.com "Counting characters").
//   LinkedIn   3000 characters of post commentary (LinkedIn's posting API and help pages).
//   Facebook   63206 characters (Meta publishes no figure; the long-standing, widely reported
//              limit of the composer).
//   Instagram  2200 characters of caption (Meta's Instagram Graph API, IG User Media: "caption
//              ... maximum 2200 characters").
// LinkedIn, Facebook and Instagram are counted in extended grapheme clusters (graphemes.h):
// what a reader sees as one character, never bytes or code points.
//
// Where the tracked link is part of what is posted, it is counted as the network counts it:
// X's dialog appends it to the text after a space (url= of the intent), Instagram's text to copy
// ends with it after a blank line. LinkedIn's and Facebook's dialogs take only the link and show
// it as a card beside the text, so it is not part of their count.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "advocacy/consent/v1/consent.pb.h"
#include "advocacy/content/v1/content.pb.h"

namespace advocacy::content {

namespace cv1 = ::advocacy::consent::v1;

// Instagram has no web share dialog; this opens its app (on a phone) at the camera, where a new
// post starts. From Instagram's documented URL scheme (instagram://app, camera, library, user,
// media, tag, location); instagram://library needs an AssetPath of a file on the device, which a
// web page cannot name, so the camera is the entry point.
inline constexpr std::string_view kInstagramAppUrl = "instagram://camera";

// The longest post a network accepts, in the network's own count (above); 0 for unknown networks.
size_t PostLimit(cv1::Network network);
// How long `text` is as `network` counts it: X's weighted length, otherwise grapheme clusters.
size_t NetworkLength(cv1::Network network, std::string_view text);
// X's weighted length of `text` (see the top of this file). Where X's own count is not known
// here it errs long, never short: a URL whose host has no known top-level domain (an IP address,
// localhost) counts its full length if that is more than 23; a word that looks like a domain
// name ("acme.no", "Node.js") counts at least 23, since X may link it.
size_t XWeightedLength(std::string_view text);

// The caption (trimmed), then the item's hashtags as "#tag" except those the caption carries
// already (as a whole tag, case-insensitive for ASCII and Latin-1 letters), then the disclosure
// tag unless the caption carries it; the three parts separated by a blank line.
std::string ComposePostText(std::string_view caption, const v1::Item& item);

// The network's share dialog for a tracked link (query values percent-encoded per RFC 3986):
// LinkedIn https://www.linkedin.com/sharing/share-offsite/?url=<link>, Facebook
// https://www.facebook.com/sharer/sharer.php?u=<link>, X
// https://twitter.com/intent/tweet?text=<post text>&url=<link>; empty for Instagram.
std::string ShareIntentUrl(cv1::Network network, std::string_view post_text,
                           std::string_view tracked_url);

// What is posted on `network`: the post text, with the tracked link where it is part of the post
// (X: after a space; Instagram: after a blank line).
std::string PostedText(cv1::Network network, std::string_view post_text,
                       std::string_view tracked_url);

// A caption variant whose post does not fit its network: where it is and by how much.
struct OverlongPost {
  int captions_index = 0;  // item.captions[captions_index]
  int variant_index = 0;   // .captions[variant_index]
  cv1::Network network = cv1::NETWORK_UNSPECIFIED;
  size_t length = 0;
  size_t limit = 0;
};

// Makes the posts of one service: every tracked link is the configured base URL plus a code of
// a fixed length, so how long a link is, and so how long a post will be, is known before any
// code is drawn (at save time, in a preview).
class PostComposer final {
 public:
  // `link_base_url`: the prefix of tracked links (ContentOptions::link_base_url).
  explicit PostComposer(std::string_view link_base_url);

  // The post of `caption` of `item` on `network` with `tracked_url`. Without a tracked link (a
  // preview before any share) share_intent_url is empty, and so is copy_text where the link is
  // part of it (X, Instagram); the length counts a tracked link all the same. FailedPrecondition
  // when the post exceeds the network's limit (an item stored before posts were checked at save
  // time): never truncated.
  absl::StatusOr<v1::SharePost> Compose(const v1::Item& item, cv1::Network network,
                                        std::string_view caption,
                                        std::string_view tracked_url) const;

  // Every caption variant of an item being saved makes a post within its network's limit:
  // InvalidArgument naming the first that does not ("item.captions[1].captions[0]: ...").
  absl::Status CheckForSave(const v1::Item& item) const;
  // Every caption variant of a stored item on `network` makes a post within the limit (items
  // saved before posts were checked at save time may not): FailedPrecondition saying what an
  // admin can do otherwise. Checked before anything of a share is recorded.
  absl::Status CheckForShare(const v1::Item& item, cv1::Network network) const;

  // The first caption variant of `item` (of `network` only, when given) whose post, with the
  // hashtags, the disclosure tag and the tracked link, exceeds its network's limit.
  std::optional<OverlongPost> FindOverlong(const v1::Item& item,
                                           std::optional<cv1::Network> network) const;
  // The length of the post of `caption` of `item` on `network`, as the network counts it.
  size_t PostLength(const v1::Item& item, cv1::Network network, std::string_view caption) const;

 private:
  // A tracked link of the configured length, for counting before a code exists.
  std::string sample_link_;
};

}  // namespace advocacy::content
