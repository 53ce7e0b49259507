#include "templates.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace advocacy::notifications {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kUnsub[] = "https://example.test/unsubscribe?token=abc";

TEST(LanguageTest, NorwegianLocales) {
  EXPECT_EQ(LanguageForLocale("nb-NO"), Language::kNorwegian);
  EXPECT_EQ(LanguageForLocale("nn"), Language::kNorwegian);
  EXPECT_EQ(LanguageForLocale("no_NO"), Language::kNorwegian);
  EXPECT_EQ(LanguageForLocale("en-GB"), Language::kEnglish);
  EXPECT_EQ(LanguageForLocale(""), Language::kEnglish);
  EXPECT_EQ(LanguageForLocale("nbx"), Language::kEnglish);
}

TEST(SubstituteTest, EscapesOnlyForHtml) {
  const std::map<std::string, std::string> vars{{"x", "<b>&\"'"}};
  EXPECT_EQ(*Substitute("[{{x}}]", vars, false), "[<b>&\"']");
  EXPECT_EQ(*Substitute("[{{x}}]", vars, true), "[&lt;b&gt;&amp;&quot;&#39;]");
}

TEST(SubstituteTest, MissingOrUnclosedPlaceholderIsAnError) {
  auto missing = Substitute("Hi {{nmae}}", {{"name", "Kari"}}, false);
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(std::string(missing.status().message()), HasSubstr("{{nmae}}"));
  EXPECT_FALSE(Substitute("Hi {{name", {{"name", "Kari"}}, false).ok());
}

TEST(SubstituteTest, ValuesAreNotReExpanded) {
  EXPECT_EQ(*Substitute("{{a}}", {{"a", "{{b}}"}, {"b", "no"}}, false), "{{b}}");
}

TEST(RenderMailTest, EnglishSingleItem) {
  auto mail =
      RenderMail("en-GB", "Ola", {{"New campaign", "Worth a look", "https://x.test/1"}}, kUnsub);
  ASSERT_TRUE(mail.ok()) << mail.status();
  EXPECT_EQ(mail->subject, "New campaign");
  EXPECT_THAT(mail->text, HasSubstr("Hi Ola,"));
  EXPECT_THAT(mail->text, HasSubstr("https://x.test/1"));
  EXPECT_THAT(mail->text, HasSubstr(kUnsub));
  EXPECT_THAT(mail->html, HasSubstr("<a href=\"https://x.test/1\">Read more</a>"));
}

TEST(RenderMailTest, NorwegianDigest) {
  auto mail = RenderMail(
      "nb-NO", "Kari",
      {{"Kurs", "Nytt kurs", "https://x.test/1"}, {"Sending", "Direkte", "https://x.test/2"}},
      kUnsub);
  ASSERT_TRUE(mail.ok()) << mail.status();
  EXPECT_EQ(mail->subject, "2 nye ting verdt å dele");
  EXPECT_THAT(mail->text, HasSubstr("Hei Kari,"));
  EXPECT_THAT(mail->text, HasSubstr("Meld deg av: "));
  EXPECT_THAT(mail->html, HasSubstr("Les mer"));
  EXPECT_THAT(mail->html, HasSubstr("https://x.test/2"));
}

TEST(RenderMailTest, EveryInsertedValueIsEscapedInHtml) {
  auto mail = RenderMail("en", "<script>alert(1)</script>",
                         {{"A & B <i>", "\"quoted\" 'x'", "https://x.test/?a=1&b=\"2\""}},
                         "https://u.test/?t=<x>");
  ASSERT_TRUE(mail.ok()) << mail.status();
  EXPECT_THAT(mail->html, Not(HasSubstr("<script>")));
  EXPECT_THAT(mail->html, HasSubstr("&lt;script&gt;"));
  EXPECT_THAT(mail->html, HasSubstr("A &amp; B &lt;i&gt;"));
  EXPECT_THAT(mail->html, HasSubstr("&quot;quoted&quot; &#39;x&#39;"));
  EXPECT_THAT(mail->html, HasSubstr("href=\"https://x.test/?a=1&amp;b=&quot;2&quot;\""));
  EXPECT_THAT(mail->html, HasSubstr("https://u.test/?t=&lt;x&gt;"));
  // The text part is not HTML and keeps values as they are.
  EXPECT_THAT(mail->text, HasSubstr("A & B <i>"));
}

TEST(RenderMailTest, SubjectCannotInjectHeaders) {
  auto mail = RenderMail("en", "Ola", {{"Hi\r\nBcc: evil@x.test", "", "https://x.test/"}}, kUnsub);
  ASSERT_TRUE(mail.ok());
  EXPECT_THAT(mail->subject, Not(HasSubstr("\n")));
  EXPECT_THAT(mail->subject, Not(HasSubstr("\r")));
}

TEST(RenderMailTest, RejectsEmptyItemsAndNonHttpsLinks) {
  EXPECT_EQ(RenderMail("en", "Ola", {}, kUnsub).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(RenderMail("en", "Ola", {{"t", "s", "javascript:alert(1)"}}, kUnsub).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace advocacy::notifications
