#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_replace.h"
#include "absl/time/civil_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "smtp_sender.h"

namespace advocacy::notifications {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

absl::Time Jan2() {
  return absl::FromCivil(absl::CivilSecond(2026, 1, 2, 3, 4, 5), absl::UTCTimeZone());
}

OutgoingMail Simple() {
  OutgoingMail m;
  m.from_address = "tips@advocacy.example";
  m.from_name = "Advocacy";
  m.to_address = "kari@example.com";
  m.to_name = "Kari Nordmann";
  m.subject = "Worth sharing today";
  m.text = "Hello Kari\nRead this: https://example.com/a?x=1\n";
  m.html = "<p>Hello Kari</p>";
  m.message_id = "job-42@advocacy.example";
  m.headers = {{"List-Unsubscribe", "<https://u.example/unsubscribe?token=abc>"},
               {"List-Unsubscribe-Post", "List-Unsubscribe=One-Click"}};
  return m;
}

std::vector<std::string> Lines(const std::string& s) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= s.size()) {
    const size_t eol = s.find("\r\n", pos);
    if (eol == std::string::npos) {
      out.push_back(s.substr(pos));
      break;
    }
    out.push_back(s.substr(pos, eol - pos));
    pos = eol + 2;
  }
  return out;
}

// RFC 2045 quoted-printable decoding, to check round trips.
std::string DecodeQp(const std::string& in) {
  std::string out;
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '=') {
      out += in[i];
    } else if (in.compare(i + 1, 2, "\r\n") == 0) {
      i += 2;
    } else {
      out += static_cast<char>(std::stoi(in.substr(i + 1, 2), nullptr, 16));
      i += 2;
    }
  }
  return out;
}

// The decoded text of an RFC 2047 header value made of B-encoded words.
std::string DecodeWords(std::string value) {
  std::string out;
  size_t pos = 0;
  while ((pos = value.find("=?UTF-8?B?", pos)) != std::string::npos) {
    const size_t end = value.find("?=", pos + 10);
    std::string chunk;
    EXPECT_TRUE(absl::Base64Unescape(value.substr(pos + 10, end - pos - 10), &chunk));
    out += chunk;
    pos = end + 2;
  }
  return out;
}

std::string Part(const std::string& message, const std::string& type) {
  const size_t start = message.find("Content-Type: " + type);
  const size_t body = message.find("\r\n\r\n", start) + 4;
  const size_t end = message.find("\r\n--=_advocacy_", body);
  return message.substr(body, end - body);
}

TEST(BuildMimeMessage, GoldenAsciiMessage) {
  auto m = BuildMimeMessage(Simple(), Jan2());
  ASSERT_TRUE(m.ok()) << m.status();
  // The boundary is "=_advocacy_" and the FNV-1a hash of the message id.
  const std::string boundary = "=_advocacy_f35e438223c3522f";
  const std::string golden = absl::StrReplaceAll(
      "Date: Fri, 02 Jan 2026 03:04:05 +0000\r\n"
      "From: \"Advocacy\" <tips@advocacy.example>\r\n"
      "To: \"Kari Nordmann\" <kari@example.com>\r\n"
      "Subject: Worth sharing today\r\n"
      "Message-ID: <job-42@advocacy.example>\r\n"
      "MIME-Version: 1.0\r\n"
      "Content-Type: multipart/alternative;\r\n"
      " boundary=\"{B}\"\r\n"
      "List-Unsubscribe: <https://u.example/unsubscribe?token=abc>\r\n"
      "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"
      "\r\n"
      "--{B}\r\n"
      "Content-Type: text/plain; charset=utf-8\r\n"
      "Content-Transfer-Encoding: quoted-printable\r\n"
      "\r\n"
      "Hello Kari\r\n"
      "Read this: https://example.com/a?x=3D1\r\n"
      "\r\n"
      "--{B}\r\n"
      "Content-Type: text/html; charset=utf-8\r\n"
      "Content-Transfer-Encoding: quoted-printable\r\n"
      "\r\n"
      "<p>Hello Kari</p>\r\n"
      "--{B}--\r\n",
      {{"{B}", boundary}});
  EXPECT_EQ(*m, golden);
  // Deterministic: the same mail at the same time gives the same bytes, and the boundary
  // depends on the message id only.
  EXPECT_EQ(*BuildMimeMessage(Simple(), Jan2()), *m);
  OutgoingMail other = Simple();
  other.message_id = "job-43@advocacy.example";
  EXPECT_THAT(*BuildMimeMessage(other, Jan2()), Not(HasSubstr(boundary)));
}

TEST(BuildMimeMessage, UsesCrlfEverywhereAndShortLines) {
  OutgoingMail mail = Simple();
  mail.text = std::string(500, 'a') + "\nline two\rline three\r\n" + std::string(300, '=') + "\n";
  mail.html = "<p>" + std::string(2000, 'x') + "</p>";
  auto m = BuildMimeMessage(mail, Jan2());
  ASSERT_TRUE(m.ok());
  for (size_t i = 0; i < m->size(); ++i) {
    if ((*m)[i] == '\n') {
      ASSERT_TRUE(i > 0 && (*m)[i - 1] == '\r') << "bare LF at " << i;
    }
    if ((*m)[i] == '\r') {
      ASSERT_TRUE(i + 1 < m->size() && (*m)[i + 1] == '\n') << "bare CR at " << i;
    }
  }
  for (const auto& line : Lines(*m)) EXPECT_LE(line.size(), 78u) << line;
  EXPECT_EQ(
      DecodeQp(Part(*m, "text/plain")),
      std::string(500, 'a') + "\r\nline two\r\nline three\r\n" + std::string(300, '=') + "\r\n");
  EXPECT_EQ(DecodeQp(Part(*m, "text/html")), mail.html);
}

TEST(BuildMimeMessage, EncodesUtf8BodiesAsQuotedPrintable) {
  OutgoingMail mail = Simple();
  mail.text = "Hei Åse, blåbærsyltetøy! \ttrailing blank \nneste";
  auto m = BuildMimeMessage(mail, Jan2());
  ASSERT_TRUE(m.ok());
  const std::string qp = Part(*m, "text/plain");
  EXPECT_THAT(qp, HasSubstr("Hei =C3=85se, bl=C3=A5b=C3=A6rsyltet=C3=B8y!"));
  EXPECT_THAT(qp, HasSubstr("trailing blank=20\r\nneste"));  // no blank before a line break
  EXPECT_EQ(DecodeQp(qp), "Hei Åse, blåbærsyltetøy! \ttrailing blank \r\nneste");
  for (char c : *m) EXPECT_LT(static_cast<unsigned char>(c), 0x80);  // 7-bit clean
}

TEST(BuildMimeMessage, EncodesNonAsciiSubjectsAndNames) {
  OutgoingMail mail = Simple();
  mail.subject = "Nytt kurs: Ærlig deling på LinkedIn — " + std::string(60, 'x') + " ø";
  mail.to_name = "Åse Ødegård";
  mail.from_name = "Say \"hi\" \\ now";
  auto m = BuildMimeMessage(mail, Jan2());
  ASSERT_TRUE(m.ok()) << m.status();
  const size_t s = m->find("Subject: ");
  const std::string subject = m->substr(s, m->find("\r\nMessage-ID:") - s);
  EXPECT_THAT(subject, HasSubstr("=?UTF-8?B?"));
  EXPECT_THAT(subject, HasSubstr("\r\n =?UTF-8?B?"));  // folded into several encoded words
  EXPECT_EQ(DecodeWords(subject), mail.subject);
  for (const auto& line : Lines(subject)) EXPECT_LE(line.size(), 78u);
  EXPECT_THAT(*m, HasSubstr("To: =?UTF-8?B?"));
  const size_t t = m->find("To: ");
  EXPECT_EQ(DecodeWords(m->substr(t, m->find("\r\n", t) - t)), "Åse Ødegård");
  EXPECT_THAT(*m, HasSubstr("From: \"Say \\\"hi\\\" \\\\ now\" <tips@advocacy.example>\r\n"));
}

TEST(BuildMimeMessage, FoldsLongAsciiSubjectsAtBlanks) {
  OutgoingMail mail = Simple();
  std::string words;
  for (int i = 0; i < 30; ++i) words += "word" + std::to_string(i) + " ";
  words.pop_back();
  mail.subject = words;
  auto m = BuildMimeMessage(mail, Jan2());
  ASSERT_TRUE(m.ok());
  const size_t s = m->find("Subject: ");
  std::string subject = m->substr(s + 9, m->find("\r\nMessage-ID:") - s - 9);
  EXPECT_THAT(subject, HasSubstr("\r\n word"));
  for (const auto& line : Lines(subject)) EXPECT_LE(line.size(), 78u);
  std::string unfolded;
  for (const auto& line : Lines(subject)) unfolded += line;
  EXPECT_EQ(unfolded, words);
  // Text that looks like an encoded word is encoded, so no reader decodes it by mistake.
  mail.subject = "=?UTF-8?B?aGk=?=";
  m = BuildMimeMessage(mail, Jan2());
  ASSERT_TRUE(m.ok());
  EXPECT_THAT(*m, Not(HasSubstr("Subject: =?UTF-8?B?aGk=?=\r\n")));
}

TEST(BuildMimeMessage, CompletesAMessageIdWithoutDomain) {
  OutgoingMail mail = Simple();
  mail.message_id = "digest-2026-01-02-kari";
  auto m = BuildMimeMessage(mail, Jan2());
  ASSERT_TRUE(m.ok());
  EXPECT_THAT(*m, HasSubstr("Message-ID: <digest-2026-01-02-kari@advocacy.example>\r\n"));
  mail.from_name.clear();
  mail.to_name.clear();
  m = BuildMimeMessage(mail, Jan2());
  ASSERT_TRUE(m.ok());
  EXPECT_THAT(*m, HasSubstr("From: tips@advocacy.example\r\nTo: kari@example.com\r\n"));
}

TEST(BuildMimeMessage, RejectsHeaderInjection) {
  auto invalid = [](const OutgoingMail& m) {
    return absl::IsInvalidArgument(BuildMimeMessage(m, Jan2()).status());
  };
  OutgoingMail m = Simple();
  m.subject = "Hi\r\nBcc: everyone@example.com";
  EXPECT_TRUE(invalid(m));
  m = Simple();
  m.subject = "Hi\nthere";
  EXPECT_TRUE(invalid(m));
  m = Simple();
  m.to_name = "Kari\r\nBcc: x@example.com";
  EXPECT_TRUE(invalid(m));
  m = Simple();
  m.from_name = "A\rB";
  EXPECT_TRUE(invalid(m));
  m = Simple();
  m.headers.emplace_back("X-Test", "a\r\nBcc: x@example.com");
  EXPECT_TRUE(invalid(m));
  m = Simple();
  m.headers.emplace_back("X-Test\r\nBcc", "x@example.com");
  EXPECT_TRUE(invalid(m));
  m = Simple();
  m.headers.emplace_back("X Test", "1");
  EXPECT_TRUE(invalid(m));
  m = Simple();
  m.headers.emplace_back("X:Test", "1");
  EXPECT_TRUE(invalid(m));
  m = Simple();
  m.headers.emplace_back("X-Test", "blåbær");
  EXPECT_TRUE(invalid(m));
  m = Simple();
  m.headers.emplace_back("X-Test", std::string(1000, 'a'));
  EXPECT_TRUE(invalid(m));
  for (const char* own : {"From", "to", "SUBJECT", "Message-ID", "Content-Type", "Date",
                          "MIME-Version", "Content-Transfer-Encoding"}) {
    m = Simple();
    m.headers.emplace_back(own, "x");
    EXPECT_TRUE(invalid(m)) << own;
  }
  m = Simple();
  m.message_id = "a>\r\nBcc: x@example.com";
  EXPECT_TRUE(invalid(m));
  for (const char* id : {"", "a b", "<a@b>", "a@", "@b", "a@b@c"}) {
    m = Simple();
    m.message_id = id;
    EXPECT_TRUE(invalid(m)) << id;
  }
  m = Simple();
  m.html = std::string("bad \xC3\x28 utf-8");
  EXPECT_TRUE(invalid(m));
  m = Simple();
  m.subject = std::string("\xED\xA0\x80");  // a UTF-16 surrogate
  EXPECT_TRUE(invalid(m));
  m = Simple();
  m.subject = "bell\x07";
  EXPECT_TRUE(invalid(m));
}

TEST(BuildMimeMessage, RejectsStringsThatAreNotAddresses) {
  for (const char* bad : {"",
                          "not an address",
                          "kari",
                          "@example.com",
                          "kari@",
                          "kari@@example.com",
                          "a@b@example.com",
                          "<kari@example.com>",
                          "kari@example.com\r\nBcc: x@y.z",
                          "kari nordmann@example.com",
                          "kari@-example.com",
                          "kari@example-.com",
                          "kari@example.",
                          "kari@.example.com",
                          ".kari@example.com",
                          "kari.@example.com",
                          "ka..ri@example.com",
                          "\"kari\"@example.com",
                          "kari@[127.0.0.1]",
                          "kåri@example.com",
                          "kari@exämple.com",
                          "kari,ola@example.com"}) {
    OutgoingMail m = Simple();
    m.to_address = bad;
    EXPECT_TRUE(absl::IsInvalidArgument(BuildMimeMessage(m, Jan2()).status())) << bad;
    EXPECT_FALSE(IsValidMailAddress(bad)) << bad;
    m = Simple();
    m.from_address = bad;
    EXPECT_TRUE(absl::IsInvalidArgument(BuildMimeMessage(m, Jan2()).status())) << bad;
  }
  for (const char* good : {"kari@example.com", "kari.nordmann+tips@mail.example.co.uk",
                           "a@localhost", "o'brien@example.com", "x_y-z@a-b.example"}) {
    EXPECT_TRUE(IsValidMailAddress(good)) << good;
  }
  EXPECT_FALSE(IsValidMailAddress(std::string(65, 'a') + "@example.com"));
  EXPECT_FALSE(IsValidMailAddress("a@" + std::string(64, 'b') + ".com"));
}

}  // namespace
}  // namespace advocacy::notifications
