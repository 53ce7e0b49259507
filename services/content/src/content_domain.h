#pragma once

// Pure domain rules of the content service: validation, caption rotation, tracked-link codes,
// UTM parameters, caps and quiet hours, feed filtering. No Redis, no gRPC.

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "advocacy/consent/v1/consent.pb.h"
#include "advocacy/content/v1/content.pb.h"

namespace advocacy::content {

namespace cv1 = ::advocacy::consent::v1;

// The bounds of an item (also stated in content.proto and the README). Every string and every
// list has one; on top of them the whole item, serialized as submitted, has kMaxItemBytes, so
// that what one admin stores cannot exhaust a replica that reads a feed page of items.
inline constexpr size_t kMaxItemBytes = size_t{64} * 1024;
inline constexpr size_t kMaxUrlBytes = 2048;
inline constexpr size_t kMaxImageRefBytes = 2048;
inline constexpr size_t kMaxTitleChars = 200;
inline constexpr int kMaxCaptionVariants = 10;  // per network; each network at most once
inline constexpr int kMaxHashtags = 30;
inline constexpr size_t kMaxHashtagBytes = 100;
inline constexpr size_t kMaxDisclosureTagBytes = 50;
inline constexpr size_t kMaxLanguageBytes = 35;  // the longest BCP 47 tag in practical use
inline constexpr int kMaxTopics = 20;
inline constexpr size_t kMaxTopicBytes = 100;
inline constexpr int kMaxTargetGroups = 50;  // each an object id (advocacy/common/ids.h)
inline constexpr int kDefaultDailyCap = 5;
inline constexpr int kMaxDailyCap = 100;
inline constexpr size_t kLinkCodeLength = 16;  // base62: about 95 bits, unguessable

// Number of UTF-8 code points (invalid bytes count one each).
size_t Utf8Length(std::string_view text);
// A BCP 47 language tag as far as this service needs: 1 to kMaxLanguageBytes letters, digits and
// '-', starting with a letter ("en", "nb-NO", "zh-Hant-TW").
bool IsLanguageTag(std::string_view tag);

// http or https with a host, no spaces or control characters, at most kMaxUrlBytes.
absl::Status ValidateUrl(std::string_view url, std::string_view field);
// The whole item as an admin submits it; `required_disclosure` from the tenant settings.
// Errors are InvalidArgument starting with the field path ("item.captions[0].captions[1]: ...").
// Ids follow advocacy/common/ids.h. Checks the serialized size (kMaxItemBytes, unknown fields
// included) first, then every field against the bounds above; a caption alone against its
// network's limit as the network counts (post_text.h). Whether each caption still fits with the
// hashtags, the disclosure tag and the tracked link is PostComposer::FindOverlong's part.
absl::Status ValidateItem(const v1::Item& item, std::string_view required_disclosure);

// Caption rotation: the `counter`-th share of an item on a network (counting from 0) gets
// variant counter % n, so consecutive colleagues get different text.
std::string PickCaption(const v1::NetworkCaptions& captions, uint64_t counter);
// The caption variants of a network in an item, or nullptr when it may not be shared there.
const v1::NetworkCaptions* CaptionsFor(const v1::Item& item, cv1::Network network);

// A fresh random link code of kLinkCodeLength base62 characters from a CSPRNG.
std::string NewLinkCode();
// Exactly kLinkCodeLength base62 characters.
bool IsValidLinkCode(std::string_view code);
// The target with utm_source=<network>, utm_medium=employee_advocacy, utm_campaign=<item id>
// added to its query (before any fragment).
std::string WithUtm(std::string_view url, cv1::Network network, std::string_view item_id);
// "linkedin", "facebook", "instagram", "x".
std::string_view NetworkSlug(cv1::Network network);

// "YYYYMMDD" of a Unix time in ms (UTC).
std::string DayOf(int64_t unix_ms);
// True when the UTC hour of `unix_ms` is in [start, end) (wrapping past midnight when
// start > end); never when start == end.
bool InQuietHours(int64_t unix_ms, int start_hour, int end_hour);
// The cap that applies: the tenant's (or the default), lowered by the employee's own if set.
int EffectiveCap(int tenant_cap, int employee_cap);

// Feed filtering. `granted` holds the networks with PURPOSE_SHARE_CONTENT granted; `shared`
// holds "<item_id>|<network number>" for the employee's shares.
struct FeedQuery {
  std::vector<std::string> groups;
  std::string language;
  int64_t now_ms = 0;
  std::set<int> granted;
  std::set<std::string> shared;
};
// The networks of `item` the employee may share it on now; empty: the item is not in the feed.
std::vector<cv1::Network> FeedNetworks(const v1::Item& item, const FeedQuery& query);
std::string SharedKey(std::string_view item_id, cv1::Network network);

int64_t ToMs(const google::protobuf::Timestamp& ts);
google::protobuf::Timestamp FromMs(int64_t ms);

}  // namespace advocacy::content
