// The HTML pre-pass changes nothing that is read: every fixture, parsed with and without it,
// gives the same JSON (record and findings) byte for byte, and the same Document.
//
// Inputs: every file under tests/fixtures (HTML as it is; every text file also read as
// text/html, so that the plain reports and the shape fixtures go through the HTML reader too),
// the fuzz corpus seeds under fuzz/corpus, and pages written here around what the pre-pass
// rewrites (comments, scripts, attributes the reader reads, broken markup).
//
// NIANBAO_PREPASS_CORPUS=<dir> also runs every file under <dir> (a local corpus of fetched
// pages; the test is skipped without it).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "parser/document_reader.h"
#include "parser/html_reader.h"
#include "parser/parser.h"
#include "parser/record_json.h"

namespace nianbao::parser {
namespace {

namespace fs = std::filesystem;

std::string ReadAll(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string ParseJson(const std::string& bytes, const std::string& content_type, bool prepass) {
  ParseInput in;
  in.bytes = bytes;
  in.content_type = content_type;
  in.url = "http://www.example.gov.cn/zwgk/2021/report.html";
  ParseOptions options;
  options.limits.html_prepass = prepass;
  auto out = Parse(in, options);
  if (!out.ok()) return "error: " + out.status().ToString();
  return ToJson(out.value()).dump();
}

std::string DocumentText(const Document& doc) {
  std::string s = "title=" + doc.page_title + "\ndate=" + doc.page_date + "\n";
  for (const Block& b : doc.blocks) {
    if (b.kind == Block::Kind::kParagraph) {
      s += "P|" + b.text + "\n";
      continue;
    }
    s += "T\n";
    for (const Row& row : b.table.rows) {
      for (const Cell& c : row) s += (c.span_copy ? "~" : "|") + c.text;
      s += "\n";
    }
  }
  return s;
}

// Checks one input both ways; returns false on a difference.
bool Same(const std::string& name, const std::string& bytes, const std::string& content_type) {
  std::string with = ParseJson(bytes, content_type, true);
  std::string without = ParseJson(bytes, content_type, false);
  EXPECT_EQ(with, without) << name << " (" << content_type << ")";
  return with == without;
}

bool SameDocument(const std::string& name, const std::string& utf8) {
  std::string with = DocumentText(ReadHtml(utf8, HtmlReadOptions{.prepass = true}));
  std::string without = DocumentText(ReadHtml(utf8, HtmlReadOptions{.prepass = false}));
  EXPECT_EQ(with, without) << name;
  return with == without;
}

// Runs every regular file under dir; returns how many were compared.
int RunTree(const fs::path& dir, int* identical) {
  int files = 0;
  std::vector<fs::path> paths;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) paths.push_back(e.path());
  }
  std::sort(paths.begin(), paths.end());
  for (const fs::path& path : paths) {
    std::string bytes = ReadAll(path);
    const std::string name = path.string();
    bool same = Same(name, bytes, "");
    if (!SpecOf(SniffFormat(bytes, "")).binary) {
      same = Same(name, bytes, "text/html; charset=utf-8") && same;
    }
    ++files;
    *identical += same ? 1 : 0;
  }
  return files;
}

TEST(PrepassEquivalence, EveryFixture) {
  int identical = 0;
  int files = RunTree(NIANBAO_FIXTURES, &identical);
  EXPECT_GE(files, 40) << "the fixture tree moved?";
  EXPECT_EQ(identical, files);
}

TEST(PrepassEquivalence, FuzzCorpusSeeds) {
  const fs::path corpus = fs::path(NIANBAO_FIXTURES) / ".." / ".." / "fuzz" / "corpus";
  int identical = 0;
  int files = RunTree(corpus, &identical);
  EXPECT_GE(files, 1);
  EXPECT_EQ(identical, files);
}

constexpr char kNulPage[] = "<div cla\0ss=nav><p>一\0二</p></div><p class=\"n\0av\">三</p>";

// Pages around each thing the pre-pass rewrites; each is read the same either way.
TEST(PrepassEquivalence, WrittenPages) {
  const std::vector<std::string> pages = {
      // A comment between two halves of a report marker: still two text nodes.
      "<p>一、总体<!-- x -->情况</p><p>二、主动公开政府信息情况</p><table><tr><td>a</td></tr>"
      "</table>",
      // Word's conditional comments and a downlevel-revealed one.
      "<!--[if gte mso 9]><xml><w:WordDocument>x</w:WordDocument></xml><![endif]-->"
      "<p class=MsoNormal><![if !supportLists]><span style='mso-list:Ignore'>1.</span>"
      "<![endif]>正文</p>",
      // Chrome and article by class and id, hidden by style; span attributes.
      "<body><div class=\"nav-bar\">首页</div><div id=Crumb>当前位置</div>"
      "<div class=\"TRS_Editor\" style=\"font-size:12pt\"><p style=\"DISPLAY: none\">隐藏</p>"
      "<p style=\"visibility : hidden\">也隐藏</p>"
      "<table><tr><td colspan=\"2\" rowspan='2' class=x>甲</td><td>乙</td></tr><tr><td>丙</td>"
      "</tr></table></div></body>",
      // Repeated attributes: the first is read.
      "<div class=plain class=nav><p>留下</p></div><div id=\"a\" id=footer><p>也留下</p></div>",
      "<div class=nav class=plain><p>菜单</p></div>",
      // Meta tags and the title.
      "<html><head><meta http-equiv=Content-Type content=\"text/html\"><meta name=PubDate "
      "content=\"2021-01-19 10:00\"><meta name=ArticleTitle content=\"某镇 年度报告\"><title>"
      "<b>标题</b></title><script>var a='</title>';</script><style>p{color:red}</style></head>"
      "<body><p>发布日期：2021-02-01</p></body></html>",
      // Scripts: escaped, double-escaped, a "</script" without its delimiter, no end at all.
      "<p>前</p><script><!-- document.write('<script>x</script>'); --></script><p>后</p>",
      "<p>前</p><script><!--<script>var s='</script>';</script>--></script><p>后</p>",
      "<p>前</p><script>var s = '</scripts>'; </SCRIPT ><p>后</p>",
      "<p>前</p><script>if (a < b) { x = '<p>不是正文</p>'; }",
      "<p>前</p><SCRIPT type=text/javascript>var countPage = 3;</SCRIPT><p>后</p>",
      // Attributes holding '>' and quotes, unquoted ones, no spaces between them.
      "<div title=\"a > b\" class='x'y=z><p>甲</p></div><td><div a=\"1\"class=\"nav\">菜单</div>"
      "<p data-x=a>b>乙</p>",
      // Tags cut at the end of the page, unclosed comments, bogus comments.
      "<p>一</p><div class=\"nav",
      "<p>一</p><!-- never closed <p>二</p>",
      "<p>一</p><? xml ?><!DOCTYPE html><![CDATA[ x ]]><p>二</p>",
      "<p>一</p></ p><//><p>二</p></>三",
      "<p>a<!-->b<!--->c<!---->d<!-- --!>e</p>",
      // NUL bytes in names, values and text.
      std::string(kNulPage, sizeof kNulPage - 1),
      // <a> keeps its attributes; <body> and <html> theirs.
      "<p><a href=1>一<a href=2>二<a href=3>三<a href=4>四<p>五</p>",
      "<html class=a><body class=x><body class=trs_editor><p>正文</p></body></html>",
      // Raw text elements whose text is read: xmp and noembed; and plaintext.
      "<xmp><p>字面</p></xmp><noembed>嵌入</noembed><p>后</p><plaintext><p>原文",
      // Tables in tables, input type=hidden inside a table.
      "<table><tr><td><table><input type=hidden><tr><td>内</td></tr></table></td></tr></table>"
      "<table><input type=text><tr><td>外</td></tr></table>",
      // A frameset: the rest stays as it is.
      "<frameset><frame src=a></frameset><script>x</script><noframes><p>无框架</p></noframes>",
      // Textarea and iframe contents.
      "<p>一</p><textarea><p>不读</p></textarea><iframe><p>不读</p></iframe><p>二</p>",
      // A style attribute longer than the pre-pass's compacting buffer, hidden at its end.
      "<p style=\"" + std::string(3000, ' ') + "mso-x:1;" + std::string(600, 'a') +
          ";display:\n none\">隐藏</p><p>可见</p>",
  };
  for (size_t k = 0; k < pages.size(); ++k) {
    const std::string name = "page " + std::to_string(k);
    SameDocument(name, pages[k]);
    Same(name, pages[k], "text/html");
  }
}

TEST(PrepassEquivalence, LocalCorpus) {
  const char* dir = std::getenv("NIANBAO_PREPASS_CORPUS");
  if (dir == nullptr || *dir == '\0') GTEST_SKIP() << "NIANBAO_PREPASS_CORPUS is not set";
  int identical = 0;
  int files = RunTree(dir, &identical);
  std::printf("prepass equivalence: %d of %d files identical\n", identical, files);
  EXPECT_EQ(identical, files);
}

}  // namespace
}  // namespace nianbao::parser
