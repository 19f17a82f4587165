// PrepassHtml on its own: what it writes for each construct, on hostile input too, and that its
// time is linear. The rules here are the test's own (a small table like the reader's).
#include "parser/html_prepass.h"

#include <gtest/gtest.h>

#include <array>
#include <initializer_list>
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

// A page and what the pre-pass writes for it.
struct Case {
  std::string html;
  std::string want;
};

void ExpectPasses(std::initializer_list<Case> cases) {
  for (const Case& c : cases) EXPECT_EQ(Pass(c.html), c.want) << c.html;
}

TEST(HtmlPrepass, TextAndPlainTagsPassThrough) {
  ExpectPasses({
      {"", ""},
      {"no markup", "no markup"},
      {"<p>一</p><br/><td>二", "<p>一</p><br/><td>二"},
      {"a < b <3 <", "a < b <3 <"},
  });
}

TEST(HtmlPrepass, AttributesKeptOnlyWhereRead) {
  ExpectPasses({
      {"<p class=MsoNormal style='mso-x:1'>x</p>", "<p>x</p>"},
      {"<div CLASS=\"Top-NAV\" id=a>x</div>", "<div CLASS=\"Top-NAV\">x</div>"},
      {"<p style=\"Display : None\">x</p>", "<p style=\"Display : None\">x</p>"},
      {"<td colspan=2 width=10 rowspan=3>", "<td colspan=2>"},
      {"<meta name=x content=\"2021\"><p content=1>", "<meta content=\"2021\"><p>"},
      {"<input type=hidden value=1>", "<input type=hidden>"},
      // A character reference or a NUL could spell a word once decoded: kept.
      {"<p class=\"&#110;av\">", "<p class=\"&#110;av\">"},
      {std::string("<p class=\"n\0v\">", 15), std::string("<p class=\"n\0v\">", 15)},
      // Verbatim elements keep everything.
      {"<a href=\"/x\" target=_blank>", "<a href=\"/x\" target=_blank>"},
  });
}

TEST(HtmlPrepass, RepeatedAttributeOnlyTheFirstCounts) {
  ExpectPasses({
      {"<div class=x class=nav>", "<div>"},
      {"<div class=nav class=x>", "<div class=nav>"},
  });
}

TEST(HtmlPrepass, AttributeSyntax) {
  ExpectPasses({
      // '>' inside quotes does not end the tag; quotes inside unquoted values are text.
      {"<div title=\"a>b\" class='nav'>x", "<div class='nav'>x"},
      {"<div title='a>b\"' class=nav>x", "<div class=nav>x"},
      {"<div x=a\"b class=nav>", "<div class=nav>"},
      // No space after a quoted value: none is added after a kept one, one after a dropped one.
      {"<td colspan=\"2\"class=\"nav\">", "<td colspan=\"2\"class=\"nav\">"},
      {"<td x=\"2\"colspan=\"2\">", "<td colspan=\"2\">"},
      // '/' between attributes, a self-closing tag, "name=>" and an attribute without value.
      {"<td/colspan=2/>", "<td colspan=2/>"},
      {"<br / >", "<br>"},
      {"<td colspan=>x", "<td colspan=>x"},
      {"<td colspan nowrap>", "<td colspan>"},
      // Attributes of end tags go.
      {"</div class=\"a>b\">x", "</div>x"},
      // Upper-case names and tab/newline/CR/FF separators.
      {"<TD\tCOLSPAN=2\r\nWIDTH=3\f>", "<TD COLSPAN=2>"},
  });
}

TEST(HtmlPrepass, CommentsBecomeEmpty) {
  ExpectPasses({
      {"a<!-- long comment -->b", "a<!---->b"},
      {"<!--[if gte mso 9]><xml><w:x>y</w:x></xml><![endif]-->z", "<!---->z"},
      {"a<!-- x --!>b", "a<!---->b"},
      {"a<!---->b<!-->c<!--->d", "a<!---->b<!-->c<!--->d"},
      {"a<!-- -- -x->y-->b", "a<!---->b"},
      // Unclosed: the rest of the page is the comment.
      {"a<!-- never <p>closed", "a<!---->"},
      // Bogus comments: downlevel-revealed conditionals, processing instructions, "</ x>".
      {"<![if !supportLists]>1.<![endif]>", "<!---->1.<!---->"},
      {"<?xml version=\"1.0\"?>x", "<!---->x"},
      {"a</ p>b", "a</ p>b"},  // as short as the empty comment: as it was
      {"a</ paragraph>b", "a<!---->b"},
      // The doctype stays (quirks mode).
      {"<!DOCTYPE html PUBLIC \"-//W3C//DTD HTML 4.01//EN\"><p>",
       "<!DOCTYPE html PUBLIC \"-//W3C//DTD HTML 4.01//EN\"><p>"},
  });
}

TEST(HtmlPrepass, ScriptAndStyleAreEmptied) {
  ExpectPasses({
      {"<script src=a.js>var x = '<p>';</script><p>", "<script></script><p>"},
      {"<SCRIPT>x</SCRIPT >y", "<SCRIPT></SCRIPT>y"},
      {"<style>p { }</style>", "<style></style>"},
      // "</script" without a delimiter after it does not end the script.
      {"<script>a='</scripts>';</script>b", "<script></script>b"},
      // Escaped and double-escaped script data.
      // (The first "</script>" leaves the double escape, the second ends the script.)
      {"<script><!--<script>'</script>'</script>--></script>b", "<script></script>--></script>b"},
      {"<script><!-- x --></script>b", "<script></script>b"},
      {"<script><!-- '</script>' --></script>b", "<script></script>' --></script>b"},
      // No end tag: the script runs to the end of the page.
      {"<script>if (a < b) {<p>x", "<script>"},
      // Raw text that is read (title) keeps its text, markup and all.
      {"<title a=1><b>t</b></title>", "<title><b>t</b></title>"},
      {"<plaintext><!-- x --><p class=a>", "<plaintext><!-- x --><p class=a>"},
  });
}

TEST(HtmlPrepass, TruncatedAndFramesetPagesCopiedAsTheyAre) {
  ExpectPasses({
      {"<p>a</p><div class=\"x", "<p>a</p><div class=\"x"},
      {"<p>a</p><div class=x", "<p>a</p><div class=x"},
      {"<p>a</p></div", "<p>a</p></div"},
      {"<p>a</p></", "<p>a</p></"},
      {"<frameset cols=2><script>x</script><p class=z>",
       "<frameset cols=2><script>x</script><p class=z>"},
  });
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
