// Regression tests for what fuzzing found (docs/RELIABILITY.md, "Fuzzing"): each test is an
// input that crashed, hung or broke an invariant of a fuzz target of fuzz/, reduced to what
// matters, with the behaviour that must hold now.
//
// The hangs were quadratic loops: harmless on a 64 KiB fuzz input, hours on an 8 MiB page
// (the crawler's default max_body). Each test runs an input large enough that the old code
// would take minutes even in an optimised build, under a bound of a few seconds that the
// linear code meets in a Debug + ASan build too.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <tuple>
#include <vector>

#include "parser/html_reader.h"
#include "parser/narrative.h"
#include "parser/text_reader.h"
#include "tests/parser/test_util.h"

namespace nianbao::parser::testing {
namespace {

std::string Repeat(std::string_view unit, size_t times) {
  std::string out;
  out.reserve(unit.size() * times);
  for (size_t i = 0; i < times; ++i) out.append(unit);
  return out;
}

std::vector<std::string> Paragraphs(const Document& doc) {
  std::vector<std::string> out;
  for (const Block& b : doc.blocks) {
    if (b.kind == Block::Kind::kParagraph) out.push_back(b.text);
  }
  return out;
}

// ---- text_reader.cc: CleanParagraph ----

// fuzz_text_reader, slow unit: a line of '*' erased "**" pairs one at a time from the front
// (512 KiB: 63 s under ASan; 8 MiB: hours).
TEST(FuzzRegression, TextLineOfAsterisksIsLinear) {
  const std::string line = Repeat("*", (2u << 20) + 1) + "正文";
  const CpuTimer timer;
  Document doc = ReadText(line);
  EXPECT_LT(timer.Seconds(), 5.0);
  // An odd run leaves one '*', as removing "**" pairs one by one did.
  EXPECT_EQ(Paragraphs(doc), std::vector<std::string>{"*正文"});
}

// fuzz_text_reader, slow unit: leading '#' were erased one at a time (512 KiB: 104 s).
TEST(FuzzRegression, TextLineOfHashesIsLinear) {
  const std::string line = Repeat("#", 2u << 20) + " 标题";
  const CpuTimer timer;
  Document doc = ReadText(line);
  EXPECT_LT(timer.Seconds(), 5.0);
  EXPECT_EQ(Paragraphs(doc), std::vector<std::string>{"标题"});
}

TEST(FuzzRegression, TextBoldMarksStillRemoved) {
  Document doc = ReadText("**一、总体情况**\n- **加粗** 与 ***三个*** 和 ****四个****\n## 小标题");
  EXPECT_EQ(Paragraphs(doc),
            (std::vector<std::string>{"一、总体情况", "加粗 与 *三个* 和 四个", "小标题"}));
}

// ---- narrative.cc: CheckConflicts ----

// fuzz_parse, slow unit: the filler words before a number (和, 共, 其中…) were erased from the
// label one at a time; 80,000 和 before "12条" took 16 s under ASan.
TEST(FuzzRegression, NarrativeLongFillerRunIsLinear) {
  const std::string overview = Repeat("和", 1u << 20) + "12条";
  const CpuTimer timer;
  NarrativeFacts facts = ReadNarrative(overview);
  EXPECT_LT(timer.Seconds(), 5.0);
  EXPECT_TRUE(facts.findings.empty());
}

TEST(FuzzRegression, NarrativeFillersStillStripped) {
  // "本年" and "今年" are fillers: both sentences count 收到申请, so they conflict.
  NarrativeFacts facts = ReadNarrative("本年收到申请12件。\n今年收到申请13件。");
  ASSERT_EQ(facts.findings.size(), 1u);
  EXPECT_EQ(facts.findings[0].rule, "narrative.conflict");
  // A label that is all filler is no label.
  EXPECT_TRUE(ReadNarrative("和和和12件。\n和和和13件。").findings.empty());
}

TEST(FuzzRegression, ParseOfLongFillerRunIsLinear) {
  const std::string page =
      "一、总体情况\n" + Repeat("和", 1u << 20) + "12条\n二、主动公开政府信息情况\n";
  const CpuTimer timer;
  Json j = ParseToJson(page, "text/plain; charset=utf-8");
  EXPECT_LT(timer.Seconds(), 10.0);
  EXPECT_TRUE(j.contains("report"));
}

// ---- html_reader.cc: TagScanner::SkipElement ----

// fuzz_html_reader, slow unit: every unclosed <svg> (and <math>, <select>) searched the rest
// of the page for its end tag; 20,000 of them took 21 s under ASan, 100,000 (500 KB) hours.
TEST(FuzzRegression, UnclosedSvgIsLinear) {
  const std::string page = "<html><body>" + Repeat("<svg>", 200000) + "<p>之后</p>";
  const CpuTimer timer;
  Document doc = ReadHtml(page);
  EXPECT_LT(timer.Seconds(), 5.0);
  // Without an end tag only the start tag goes; what follows is read.
  EXPECT_EQ(Paragraphs(doc), std::vector<std::string>{"之后"});
}

TEST(FuzzRegression, UnclosedSelectBeforeOtherEndTagsIsLinear) {
  const std::string page = "<html><body>" + Repeat("<select></a>", 100000) + "<p>之后</p>";
  const CpuTimer timer;
  Document doc = ReadHtml(page);
  EXPECT_LT(timer.Seconds(), 5.0);
  EXPECT_EQ(Paragraphs(doc), std::vector<std::string>{"之后"});
}

// The same with an end tag that has no '>': every <math> searched on for the '>'.
TEST(FuzzRegression, EndTagWithoutCloseIsLinear) {
  const std::string page =
      "<html><body><p>之前</p>" + Repeat("<math>", 100000) + "</math" + Repeat("x", 500000);
  const CpuTimer timer;
  Document doc = ReadHtml(page);
  EXPECT_LT(timer.Seconds(), 5.0);
  ASSERT_FALSE(Paragraphs(doc).empty());
  EXPECT_EQ(Paragraphs(doc).front(), "之前");
}

TEST(FuzzRegression, ClosedSvgStillRemovedWithItsContent) {
  Document doc = ReadHtml(
      "<html><body><p>前</p><svg><text>图</text></svg><p>中</p><svg>"
      "<p>后</p><select><option>选项</option></select><p>末</p>");
  EXPECT_EQ(Paragraphs(doc), (std::vector<std::string>{"前", "中", "后", "末"}));
}

// ---- report_parser.cc: rows of the other form ----

// fuzz_parse_schema (the output contract), replaying fuzz_parse's corpus: a 2021-form table
// whose label contains 其他处理 without being the group label read as the 2019 row "other",
// and gave a structure.cell_count finding with path "applications.other", which the 2021
// record does not have (its values were dropped). Reduced from a 129-byte input.
TEST(FuzzRegression, RowOfTheOtherFormGivesNoDanglingPath) {
  const std::string page = std::string("<l>\n<meta name=\"ArticleTitle\" content=年报>") +
                           "二、主动公开政府信息情况\x01<table><td>本年制发件数<其他处理/p/\n";
  Json j = ParseToJson(page, "text/html; charset=utf-8");
  EXPECT_EQ(j["report"]["template"], "2021");
  for (const auto& f : j["findings"]) {
    EXPECT_NE(f["path"], "applications.other") << f.dump();
  }
}

TEST(FuzzRegression, RowsOfTheOtherFormAreNotInTheRecord) {
  // 2021 form (本年制发件数, 逾期不补正) with the 2019 row （六）其他处理 written as a row,
  // one cell short so that it draws a finding.
  const std::string form2021 =
      "三、收到和处理政府信息公开申请情况\n"
      "（六）其他处理（件）\t1\t0\t0\t0\t0\t1\n"
      "1.申请人无正当理由逾期不补正\t0\t0\t0\t0\t0\t0\t0\n"
      "规章\t本年制发件数\n";
  // 2019 form (本年新制作数量) with the 2021 row 逾期不补正, with a cell that is no number.
  const std::string form2019 =
      "三、收到和处理政府信息公开申请情况\n"
      "1.申请人无正当理由逾期不补正\t2\t0\t0\t0\t0\t约\t2\n"
      "（六）其他处理\t1\t0\t0\t0\t0\t0\t1\n"
      "规章\t本年新制作数量\n";
  for (const auto& [text, form, foreign] :
       {std::tuple{form2021, "2021", "applications.other"},
        std::tuple{form2019, "2019", "applications.other.no_correction"}}) {
    Json j = ParseToJson(text, "text/plain");
    ASSERT_EQ(j["report"]["template"], form);
    const Json& apps = j["report"]["applications"];
    ASSERT_TRUE(apps.is_object()) << j.dump();
    EXPECT_FALSE(apps.contains(std::string(foreign).substr(13)));
    for (const auto& f : j["findings"]) {
      const std::string path = f["path"].is_string() ? f["path"].get<std::string>() : "";
      EXPECT_TRUE(path != foreign && path.rfind(std::string(foreign) + "[", 0) != 0) << f.dump();
    }
  }
  // The rows of the record's own form are still read.
  EXPECT_EQ(ParseToJson(form2021, "text/plain")["report"]["applications"]["other.no_correction"],
            Json::array({0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(ParseToJson(form2019, "text/plain")["report"]["applications"]["other"],
            Json::array({1, 0, 0, 0, 0, 0, 1}));
}

}  // namespace
}  // namespace nianbao::parser::testing
