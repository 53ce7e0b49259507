#include "templates.h"

#include "advocacy/common/status_macros.h"
#include "advocacy/common/strings.h"

namespace advocacy::notifications {
namespace {

struct Texts {
  std::string_view subject_single;  // {{title}}
  std::string_view subject_digest;  // {{count}}
  std::string_view greeting;        // {{name}}
  std::string_view intro_single;
  std::string_view intro_digest;
  std::string_view read_more;
  std::string_view footer;  // {{unsubscribe_url}}
};

constexpr Texts kEnglish{
    "{{title}}",
    "{{count}} new things worth sharing",
    "Hi {{name}},",
    "Here is something worth sharing:",
    "Here is what is worth sharing since last time:",
    "Read more",
    "You get this mail because you asked for tips. Unsubscribe: {{unsubscribe_url}}",
};

constexpr Texts kNorwegian{
    "{{title}}",
    "{{count}} nye ting verdt å dele",
    "Hei {{name}},",
    "Her er noe som er verdt å dele:",
    "Her er det som er verdt å dele siden sist:",
    "Les mer",
    "Du får denne e-posten fordi du har bedt om tips. Meld deg av: {{unsubscribe_url}}",
};

constexpr std::string_view kTextItem = "* {{title}}\n  {{summary}}\n  {{link}}\n";
constexpr std::string_view kHtmlItem =
    "<li><strong>{{title}}</strong><br>{{summary}}<br><a href=\"{{link}}\">{{read_more}}</a></li>";

}  // namespace

Language LanguageForLocale(std::string_view locale) {
  const std::string_view lang = locale.substr(0, locale.find_first_of("-_"));
  if (lang == "nb" || lang == "nn" || lang == "no") return Language::kNorwegian;
  return Language::kEnglish;
}

std::string HtmlEscape(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (const char c : in) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

absl::StatusOr<std::string> Substitute(std::string_view tmpl,
                                       const std::map<std::string, std::string>& vars, bool html) {
  std::string out;
  size_t pos = 0;
  while (pos < tmpl.size()) {
    const size_t open = tmpl.find("{{", pos);
    if (open == std::string_view::npos) {
      out.append(tmpl.substr(pos));
      break;
    }
    out.append(tmpl.substr(pos, open - pos));
    const size_t close = tmpl.find("}}", open + 2);
    if (close == std::string_view::npos) {
      return absl::InvalidArgumentError(StrCat("template: unclosed placeholder at offset ", open));
    }
    const std::string name(tmpl.substr(open + 2, close - open - 2));
    const auto it = vars.find(name);
    if (it == vars.end()) {
      return absl::InvalidArgumentError(StrCat("template: no value for {{", name, "}}"));
    }
    out += html ? HtmlEscape(it->second) : it->second;
    pos = close + 2;
  }
  return out;
}

absl::StatusOr<RenderedMail> RenderMail(std::string_view locale, std::string_view display_name,
                                        const std::vector<MailItem>& items,
                                        std::string_view unsubscribe_url) {
  if (items.empty()) return absl::InvalidArgumentError("items: a mail needs at least one item");
  const Texts& t = LanguageForLocale(locale) == Language::kNorwegian ? kNorwegian : kEnglish;
  const bool digest = items.size() > 1;
  const std::map<std::string, std::string> common{
      {"name", std::string(display_name)},
      {"unsubscribe_url", std::string(unsubscribe_url)},
      {"title", items.front().title},
      {"count", std::to_string(items.size())},
  };

  RenderedMail mail;
  ASSIGN_OR_RETURN(std::string subject,
                   Substitute(digest ? t.subject_digest : t.subject_single, common, false));
  // A subject is a header: a newline in a title must not start a new header.
  for (char& c : subject) {
    if (c == '\r' || c == '\n') c = ' ';
  }
  mail.subject = std::move(subject);

  std::string text_items;
  std::string html_items;
  for (const MailItem& item : items) {
    // Only https links: a "javascript:" href survives HTML escaping.
    if (!item.link.starts_with("https://")) {
      return absl::InvalidArgumentError(
          StrCat("items.link: must be an https:// URL, got \"", item.link, "\""));
    }
    const std::map<std::string, std::string> vars{{"title", item.title},
                                                  {"summary", item.summary},
                                                  {"link", item.link},
                                                  {"read_more", std::string(t.read_more)}};
    ASSIGN_OR_RETURN(const std::string text_item, Substitute(kTextItem, vars, false));
    text_items += text_item;
    ASSIGN_OR_RETURN(const std::string html_item, Substitute(kHtmlItem, vars, true));
    html_items += html_item;
  }

  auto greeting_text = Substitute(t.greeting, common, false);
  auto greeting_html = Substitute(t.greeting, common, true);
  auto footer_text = Substitute(t.footer, common, false);
  auto footer_html = Substitute(t.footer, common, true);
  for (const auto* s : {&greeting_text, &greeting_html, &footer_text, &footer_html}) {
    if (!s->ok()) return s->status();
  }
  const std::string_view intro = digest ? t.intro_digest : t.intro_single;
  mail.text =
      StrCat(*greeting_text, "\n\n", intro, "\n\n", text_items, "\n-- \n", *footer_text, "\n");
  mail.html = StrCat("<!DOCTYPE html><html><body><p>", *greeting_html, "</p><p>", HtmlEscape(intro),
                     "</p><ul>", html_items, "</ul><hr><p><small>", *footer_html,
                     "</small></p></body></html>");
  return mail;
}

}  // namespace advocacy::notifications
