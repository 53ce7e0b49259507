#include "checklist_seed.h"

#include <algorithm>
#include <initializer_list>
#include <string>

namespace advocacy::courses {
namespace {

struct SeedItem {
  const char* id;
  const char* text;
  const char* details;
};

v1::Checklist Make(const char* id, const char* title, const char* description,
                   std::initializer_list<SeedItem> items) {
  v1::Checklist c;
  c.set_checklist_id(id);
  c.set_revision(1);
  c.set_welcome(true);
  auto* content = c.mutable_content();
  content->set_title(title);
  content->set_description(description);
  content->set_language("en");
  for (const auto& i : items) {
    auto* item = content->add_items();
    item->set_item_id(i.id);
    item->set_text(i.text);
    item->set_details(i.details);
  }
  return c;
}

std::vector<v1::Checklist> Build() {
  std::vector<v1::Checklist> all;
  all.push_back(Make(
      "welcome-facebook", "Welcome checklist: Facebook",
      "Get your Facebook profile ready for sharing work news now and then, on your own terms. "
      "Everything here is optional: share only what you are comfortable sharing.",
      {
          {"workplace", "Add your current workplace and job title to your profile",
           "Intro > Edit details > Work. It tells friends what you do when you share a work "
           "story, and you decide who can see it."},
          {"privacy-review", "Review who can see your posts and your friend list",
           "Settings & privacy > Privacy Checkup. Choose Friends or Public deliberately for "
           "future posts; you can change the audience of every post you share."},
          {"follow-page", "Follow the company page",
           "Following lets you see the posts worth sharing first. Following is not a promise "
           "to share anything."},
          {"own-words", "Add a line in your own words when you share",
           "A sentence on why the post matters to you gets far more attention from your "
           "network than a bare share, and keeps your feed personal."},
          {"mark-affiliation", "Make clear that you work for the company",
           "When you share about your employer, say so (\"my team launched...\"). It is honest, "
           "and in many countries required for endorsements."},
          {"frequency", "Decide how often you want to share work posts",
           "Most people's friends enjoy an occasional work post; a stream of them feels like "
           "advertising. Pick a pace that feels right to you."},
          {"confidential", "Know what must not be shared",
           "Never post customer data, unreleased plans, internal documents or photos of "
           "screens and whiteboards. When in doubt, ask before you post."},
      }));
  all.push_back(Make(
      "welcome-instagram", "Welcome checklist: Instagram",
      "Share glimpses of your work life on Instagram in a way that fits your own profile. "
      "Everything here is optional.",
      {
          {"bio", "Mention your role or workplace in your bio, if you want to",
           "Edit profile > Bio. One short line is enough; leave it out if your account is "
           "purely private."},
          {"public-or-private", "Decide whether your account is public or private",
           "Settings > Account privacy. A private account limits work posts to the followers "
           "you approved."},
          {"follow-account", "Follow the company account",
           "You will see posts and stories you can share to your story with one tap."},
          {"story-sharing", "Try sharing a company post to your story",
           "Tap the paper-plane icon > Add to story. Add a sticker or a line of your own so it "
           "sounds like you."},
          {"tag-and-hashtags", "Tag the company and use a few relevant hashtags",
           "Tag the company account so the team sees it. Three to five specific hashtags work "
           "better than thirty generic ones."},
          {"alt-text", "Add alt text to the pictures you post",
           "Advanced settings > Accessibility > Write alt text. It helps people using screen "
           "readers and helps the picture be found."},
          {"people-consent", "Ask colleagues before posting photos of them",
           "Not everyone wants to be on social media. Ask first, and take a post down if "
           "someone asks you to."},
          {"confidential", "Check the background before you post a workplace photo",
           "Screens, whiteboards, badges and documents in the background can reveal more than "
           "intended."},
      }));
  all.push_back(Make(
      "welcome-seo", "Welcome checklist: SEO for your professional profile",
      "Help the right people find you and the things you write: a few search-engine basics for "
      "your profiles, posts and articles.",
      {
          {"consistent-name", "Use the same name and photo on all your professional profiles",
           "Search engines and people connect your profiles more easily when name, photo and "
           "title match."},
          {"headline-keywords", "Put the words people search for in your headline",
           "Describe what you do in plain terms (\"Payroll specialist for retail\") rather than "
           "only an internal title."},
          {"custom-url", "Claim a short custom profile URL",
           "For example linkedin.com/in/your-name: it is easier to share and ranks better than "
           "a generated one."},
          {"descriptive-titles", "Give articles and posts a descriptive title",
           "Say what the reader will learn in the title; put the most important words first."},
          {"links", "Link to the original source when you share",
           "Link to the company's own page for a story instead of a copy; it helps readers and "
           "the page's ranking."},
          {"image-text", "Name image files and add alt text",
           "\"team-workshop-oslo.jpg\" with a short alt text says more to a search engine than "
           "\"IMG_0042.jpg\"."},
          {"readable", "Write short paragraphs and plain language",
           "Readable text keeps people on the page, which search engines notice."},
          {"profile-links", "Link your profiles to each other",
           "Add your professional profile to your other profiles and your email signature, if "
           "you want to be found there."},
      }));
  std::sort(all.begin(), all.end(), [](const v1::Checklist& a, const v1::Checklist& b) {
    return a.checklist_id() < b.checklist_id();
  });
  return all;
}

}  // namespace

const std::vector<v1::Checklist>& WelcomeChecklists() {
  static const std::vector<v1::Checklist>* const kAll = new std::vector<v1::Checklist>(Build());
  return *kAll;
}

const v1::Checklist* FindWelcomeChecklist(std::string_view checklist_id) {
  for (const auto& c : WelcomeChecklists()) {
    if (c.checklist_id() == checklist_id) return &c;
  }
  return nullptr;
}

}  // namespace advocacy::courses
