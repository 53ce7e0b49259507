#pragma once

// Mail bodies from templates, in Norwegian and English, as a text part and an HTML part.
// Every value inserted into HTML is escaped, so an item title can never inject markup.

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace advocacy::notifications {

// The template language for a BCP 47 locale: "nb", "nn", "no" and their regional forms map to
// Norwegian; anything else (including empty) to English.
enum class Language { kEnglish, kNorwegian };
Language LanguageForLocale(std::string_view locale);

// Escapes & < > " ' for HTML text and attribute values.
std::string HtmlEscape(std::string_view in);

// Replaces each {{name}} in `tmpl` with vars[name], HTML-escaped when `html` is true.
// INVALID_ARGUMENT naming the placeholder when a variable is missing or a brace is unclosed,
// so a template typo fails loudly instead of mailing "{{nmae}}" to thousands.
absl::StatusOr<std::string> Substitute(std::string_view tmpl,
                                       const std::map<std::string, std::string>& vars, bool html);

// One item in a mail.
struct MailItem {
  std::string title;
  std::string summary;
  std::string link;
};

// A rendered mail: subject (plain text) and the two bodies of a multipart/alternative.
struct RenderedMail {
  std::string subject;
  std::string text;
  std::string html;
};

// Renders a single-item mail (one item) or a digest (several) for `display_name` in the
// language of `locale`. `unsubscribe_url` is shown in the footer of both parts.
// INVALID_ARGUMENT when `items` is empty or a link is not https://.
absl::StatusOr<RenderedMail> RenderMail(std::string_view locale, std::string_view display_name,
                                        const std::vector<MailItem>& items,
                                        std::string_view unsubscribe_url);

}  // namespace advocacy::notifications
