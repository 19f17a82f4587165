// PrepassHtml on its own: what it writes for each construct, on hostile input too, and that its
// time is linear. The rules here are the test's own (a small table like the reader's).
#include "parser/html_prepass.h"

#include <gtest/gtest.h>

#include <array>
#include <string>

#include "tests/parser/test_util.h"

namespace nianbao::parser {
namespace {

constexpr std::array<PrepassAttribute, 5> kAttributes = {{
    {"", "class", PrepassValue::kNameWords},
    {"", "style", PrepassValue::kStyleWords},
    {"", "colspan", PrepassValue::kAlways},
    {"meta", "content", PrepassValue::kAlways},
    {"input", "type", PrepassValue::kAlways},
}};
constexpr std::array<std::string_view, 1> kVerbatim = {"a"};
constexpr std::array<std::string_view, 2> kEmptied = {"script", "style"};
constexpr std::array<std::string_view, 2> kNameWords = {"nav", "trs_editor"};
constexpr std::array<std::string_view, 1> kStyleWords = {"display:none"};
const PrepassRules kRules = {kAttributes, kVerbatim, kEmptied, kNameWords, kStyleWords};

std::string Pass(std::string_view html) {
  std::string out = "left over";
  PrepassHtml(html, kRules, &out);
  EXPECT_LE(out.size(), html.size()) << html;
  return out;
}

TEST(HtmlPrepass, TextAndPlainTagsPassThrough) {
  EXPECT_EQ(Pass(""), "");
  EXPECT_EQ(Pass("no markup"), "no markup");
  EXPECT_EQ(Pass("<p>一</p><br/><td>二"), "<p>一</p><br/><td>二");
  EXPECT_EQ(Pass("a < b <3 <"), "a < b <3 <");
}

TEST(HtmlPrepass, AttributesKeptOnlyWhereRead) {
  EXPECT_EQ(Pass("<p class=MsoNormal style='mso-x:1'>x</p>"), "<p>x</p>");
  EXPECT_EQ(Pass("<div CLASS=\"Top-NAV\" id=a>x</div>"), "<div CLASS=\"Top-NAV\">x</div>");
  EXPECT_EQ(Pass("<p style=\"Display : None\">x</p>"), "<p style=\"Display : None\">x</p>");
  EXPECT_EQ(Pass("<td colspan=2 width=10 rowspan=3>"), "<td colspan=2>");
  EXPECT_EQ(Pass("<meta name=x content=\"2021\"><p content=1>"), "<meta content=\"2021\"><p>");
  EXPECT_EQ(Pass("<input type=hidden value=1>"), "<input type=hidden>");
  // A character reference or a NUL could spell a word once decoded: kept.
  EXPECT_EQ(Pass("<p class=\"&#110;av\">"), "<p class=\"&#110;av\">");
  EXPECT_EQ(Pass(std::string("<p class=\"n\0v\">", 15)), std::string("<p class=\"n\0v\">", 15));
  // Verbatim elements keep everything.
  EXPECT_EQ(Pass("<a href=\"/x\" target=_blank>"), "<a href=\"/x\" target=_blank>");
}

TEST(HtmlPrepass, RepeatedAttributeOnlyTheFirstCounts) {
  EXPECT_EQ(Pass("<div class=x class=nav>"), "<div>");
  EXPECT_EQ(Pass("<div class=nav class=x>"), "<div class=nav>");
}

TEST(HtmlPrepass, AttributeSyntax) {
  // '>' inside quotes does not end the tag; quotes inside unquoted values are text.
  EXPECT_EQ(Pass("<div title=\"a>b\" class='nav'>x"), "<div class='nav'>x");
  EXPECT_EQ(Pass("<div title='a>b\"' class=nav>x"), "<div class=nav>x");
  EXPECT_EQ(Pass("<div x=a\"b class=nav>"), "<div class=nav>");
  // No space after a quoted value: none is added after a kept one, one after a dropped one.
  EXPECT_EQ(Pass("<td colspan=\"2\"class=\"nav\">"), "<td colspan=\"2\"class=\"nav\">");
  EXPECT_EQ(Pass("<td x=\"2\"colspan=\"2\">"), "<td colspan=\"2\">");
  // '/' between attributes, a self-closing tag, "name=>" and an attribute without value.
  EXPECT_EQ(Pass("<td/colspan=2/>"), "<td colspan=2/>");
  EXPECT_EQ(Pass("<br / >"), "<br>");
  EXPECT_EQ(Pass("<td colspan=>x"), "<td colspan=>x");
  EXPECT_EQ(Pass("<td colspan nowrap>"), "<td colspan>");
  // Attributes of end tags go.
  EXPECT_EQ(Pass("</div class=\"a>b\">x"), "</div>x");
  // Upper-case names and tab/newline/CR/FF separators.
  EXPECT_EQ(Pass("<TD\tCOLSPAN=2\r\nWIDTH=3\f>"), "<TD COLSPAN=2>");
}

TEST(HtmlPrepass, CommentsBecomeEmpty) {
  EXPECT_EQ(Pass("a<!-- long comment -->b"), "a<!---->b");
  EXPECT_EQ(Pass("<!--[if gte mso 9]><xml><w:x>y</w:x></xml><![endif]-->z"), "<!---->z");
  EXPECT_EQ(Pass("a<!-- x --!>b"), "a<!---->b");
  EXPECT_EQ(Pass("a<!---->b<!-->c<!--->d"), "a<!---->b<!-->c<!--->d");
  EXPECT_EQ(Pass("a<!-- -- -x->y-->b"), "a<!---->b");
  // Unclosed: the rest of the page is the comment.
  EXPECT_EQ(Pass("a<!-- never <p>closed"), "a<!---->");
  // Bogus comments: downlevel-revealed conditionals, processing instructions, "</ x>".
  EXPECT_EQ(Pass("<![if !supportLists]>1.<![endif]>"), "<!---->1.<!---->");
  EXPECT_EQ(Pass("<?xml version=\"1.0\"?>x"), "<!---->x");
  EXPECT_EQ(Pass("a</ p>b"), "a</ p>b");  // as short as the empty comment: as it was
  EXPECT_EQ(Pass("a</ paragraph>b"), "a<!---->b");
  // The doctype stays (quirks mode).
  EXPECT_EQ(Pass("<!DOCTYPE html PUBLIC \"-//W3C//DTD HTML 4.01//EN\"><p>"),
            "<!DOCTYPE html PUBLIC \"-//W3C//DTD HTML 4.01//EN\"><p>");
}

TEST(HtmlPrepass, ScriptAndStyleAreEmptied) {
  EXPECT_EQ(Pass("<script src=a.js>var x = '<p>';</script><p>"), "<script></script><p>");
  EXPECT_EQ(Pass("<SCRIPT>x</SCRIPT >y"), "<SCRIPT></SCRIPT>y");
  EXPECT_EQ(Pass("<style>p { }</style>"), "<style></style>");
  // "</script" without a delimiter after it does not end the script.
  EXPECT_EQ(Pass("<script>a='</scripts>';</script>b"), "<script></script>b");
  // Escaped and double-escaped script data.
  // (The first "</script>" leaves the double escape, the second ends the script.)
  EXPECT_EQ(Pass("<script><!--<script>'</script>'</script>--></script>b"),
            "<script></script>--></script>b");
  EXPECT_EQ(Pass("<script><!-- x --></script>b"), "<script></script>b");
  EXPECT_EQ(Pass("<script><!-- '</script>' --></script>b"), "<script></script>' --></script>b");
  // No end tag: the script runs to the end of the page.
  EXPECT_EQ(Pass("<script>if (a < b) {<p>x"), "<script>");
  // Raw text that is read (title) keeps its text, markup and all.
  EXPECT_EQ(Pass("<title a=1><b>t</b></title>"), "<title><b>t</b></title>");
  EXPECT_EQ(Pass("<plaintext><!-- x --><p class=a>"), "<plaintext><!-- x --><p class=a>");
}

TEST(HtmlPrepass, TruncatedAndFramesetPagesCopiedAsTheyAre) {
  EXPECT_EQ(Pass("<p>a</p><div class=\"x"), "<p>a</p><div class=\"x");
  EXPECT_EQ(Pass("<p>a</p><div class=x"), "<p>a</p><div class=x");
  EXPECT_EQ(Pass("<p>a</p></div"), "<p>a</p></div");
  EXPECT_EQ(Pass("<p>a</p></"), "<p>a</p></");
  EXPECT_EQ(Pass("<frameset cols=2><script>x</script><p class=z>"),
            "<frameset cols=2><script>x</script><p class=z>");
}

TEST(HtmlPrepass, NulBytes) {
  const std::string page("<p\0 class=x>\0<!--\0-->\0", 22);
  EXPECT_EQ(Pass(page), std::string("<p\0>\0<!---->\0", 13));
}

TEST(HtmlPrepass, TenMegabytesOfSpansInLinearTime) {
  std::string page;
  const std::string span = "<span style='font-family:宋体;mso-ascii-font-family:Calibri'>字</span>";
  while (page.size() < (10u << 20)) page += span;
  testing::CpuTimer timer;
  std::string out;
  PrepassHtml(page, kRules, &out);
  // About 50 ms; a quadratic scan would take minutes.
  EXPECT_LT(timer.Seconds(), 5.0);
  EXPECT_EQ(out.size(), page.size() / span.size() * std::string("<span>字</span>").size());
}

TEST(HtmlPrepass, UnclosedScriptsAndCommentsInLinearTime) {
  std::string page;
  while (page.size() < (4u << 20)) page += "<script><!--<script><!-- <p>";
  testing::CpuTimer timer;
  std::string out;
  PrepassHtml(page, kRules, &out);
  EXPECT_LT(timer.Seconds(), 5.0);
  EXPECT_EQ(out, "<script>");
}

}  // namespace
}  // namespace nianbao::parser
