// The shapes real reports reach the parser in (tests/fixtures/shapes, written by make_shapes.py
// from one report whose values its docstring lists): pdftotext -layout, PDF-to-markdown, a
// crawler's one-line page, and a report from before the 2019 form. Expected values are those
// of the report as written there, never the program's output. Then the narrative patterns
// with their examples, and the corpus test: every fixture that is in order stays quiet.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "tests/parser/test_util.h"

namespace nianbao::parser::testing {
namespace {

Json Shape(const std::string& name) { return ParseToJson(ReadFixture("shapes/" + name)); }

std::multiset<std::string> RuleSet(const Json& j) {
  std::multiset<std::string> out;
  for (const auto& f : j["findings"]) out.insert(f["rule"].get<std::string>());
  return out;
}

std::set<std::string> PathsOf(const Json& j, const std::string& rule) {
  std::set<std::string> paths;
  for (const auto& f : FindingsOf(j, rule)) paths.insert(f["path"].get<std::string>());
  return paths;
}

Json Row7(int a, int b, int c, int d, int e, int f, int g) {
  return Json::array({a, b, c, d, e, f, g});
}

// The report of make_shapes.py, read back whole.
void ExpectTheTownReport(const Json& j) {
  const Json& r = j["report"];
  EXPECT_EQ(r["title"], "某某镇人民政府2020年政府信息公开工作年度报告");
  EXPECT_EQ(r["organization"], "某某镇人民政府");
  EXPECT_EQ(r["year"], 2020);
  EXPECT_EQ(r["template"], "2019");
  EXPECT_EQ(r["published_on"], "2021-01-20");
  EXPECT_EQ(r["sections"], Json({"overview", "proactive", "applications", "reviews_litigation",
                                 "problems", "other"}));
  EXPECT_EQ(r["narrative"]["proactive_total"], 120);
  EXPECT_EQ(r["narrative"]["applications_received"], 4);
  const Json& p = r["proactive"];
  EXPECT_EQ(p["normative_documents"], Json({{"made", 2}, {"published", 2}, {"total", 15}}));
  EXPECT_EQ(p["penalty"], Json({{"previous", 5}, {"change", -1}, {"decisions", 8}}));
  EXPECT_EQ(p["procurement"], Json({{"projects", 4}, {"amount_wan", 35.5}}));
  const Json& a = r["applications"];
  EXPECT_EQ(a["new"], Row7(2, 1, 0, 0, 0, 0, 3));
  EXPECT_EQ(a["carried_over"], Row7(1, 0, 0, 0, 0, 0, 1));
  EXPECT_EQ(a["disclosed"], Row7(2, 0, 0, 0, 0, 0, 2));
  EXPECT_EQ(a["partially_disclosed"], Row7(1, 0, 0, 0, 0, 0, 1));
  EXPECT_EQ(a["unavailable.not_held"], Row7(0, 1, 0, 0, 0, 0, 1));
  EXPECT_EQ(a["not_processed.reconfirm"], Row7(0, 0, 0, 0, 0, 0, 0));
  EXPECT_EQ(a["total"], Row7(3, 1, 0, 0, 0, 0, 4));
  EXPECT_EQ(a["carried_forward"], Row7(0, 0, 0, 0, 0, 0, 0));
  EXPECT_EQ(r["reviews_litigation"]["review"], Json::array({1, 0, 0, 0, 1}));
  EXPECT_EQ(r["reviews_litigation"]["litigation_after_review"], Json::array({0, 0, 0, 0, 0}));
  EXPECT_EQ(r["problems"], "一是公开内容还不够全面。下一步将加强培训，提高公开质量。");
  EXPECT_EQ(r["other_matters"], "无。");
}

// pdftotext -layout: label line above its value line (（二）部分公开), the header repeated after
// "-2-", section 四's 15 cells over two lines, "2020 年", the title over two lines, and
// 五、存在的主要问题及整改措施. Before: （二） and section 四 were lost and outcome_total fired.
TEST(Shapes, PdftotextLayoutIsReadWhole) {
  Json j = Shape("layout.txt");
  EXPECT_EQ(j["findings"].size(), 0u) << j["findings"].dump(1);
  ExpectTheTownReport(j);
}

// Markdown from a PDF converter: a label row above its value row, an empty leading cell, a
// blank cell in the middle of （七）总计 (re-aligned by the row's own total), section 四's
// header inside section 三.
TEST(Shapes, MarkdownFromAConverterIsReadWhole) {
  Json j = Shape("markdown.md");
  EXPECT_EQ(j["findings"].size(), 0u) << j["findings"].dump(1);
  ExpectTheTownReport(j);
}

// pdftotext without -layout: every cell on a line of its own. Rows given label then values are
// read; （一）/（二） and （四）1./2. came label, label, then their values column by column
// (2 1 | 0 0 | … | 2 1): the rows' own totals hold only when read by columns, so they are. The
// values of （四）3. came before its label: it and （五）1. (the labels before the next run of
// values) cannot be aligned and are unreadable, never guessed. Before: no table row was read.
TEST(Shapes, PlainPdftotextIsReadWhereItsColumnsAlign) {
  Json j = Shape("plain.txt");
  const Json& r = j["report"];
  EXPECT_EQ(r["title"], "某某镇人民政府2020年政府信息公开工作年度报告");
  EXPECT_EQ(r["template"], "2019");
  EXPECT_EQ(r["published_on"], "2021-01-20");
  EXPECT_EQ(r["sections"].size(), 6u);
  const Json& p = r["proactive"];
  EXPECT_EQ(p["normative_documents"], Json({{"made", 2}, {"published", 2}, {"total", 15}}));
  EXPECT_EQ(p["penalty"], Json({{"previous", 5}, {"change", -1}, {"decisions", 8}}));
  EXPECT_EQ(p["procurement"], Json({{"projects", 4}, {"amount_wan", 35.5}}));
  const Json& a = r["applications"];
  EXPECT_EQ(a["new"], Row7(2, 1, 0, 0, 0, 0, 3));
  EXPECT_EQ(a["carried_over"], Row7(1, 0, 0, 0, 0, 0, 1));
  EXPECT_EQ(a["disclosed"], Row7(2, 0, 0, 0, 0, 0, 2));
  EXPECT_EQ(a["partially_disclosed"], Row7(1, 0, 0, 0, 0, 0, 1));
  EXPECT_EQ(a["withheld.query"], Row7(0, 0, 0, 0, 0, 0, 0));
  EXPECT_EQ(a["unavailable.not_held"], Row7(0, 1, 0, 0, 0, 0, 1));
  EXPECT_EQ(a["unavailable.needs_creation"], Row7(0, 0, 0, 0, 0, 0, 0));
  const Json nulls = Json::array({nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr});
  EXPECT_EQ(a["unavailable.unclear"], nulls);
  EXPECT_EQ(a["not_processed.petition"], nulls);
  EXPECT_EQ(a["not_processed.duplicate"], Row7(0, 0, 0, 0, 0, 0, 0));
  EXPECT_EQ(a["total"], Row7(3, 1, 0, 0, 0, 0, 4));
  EXPECT_EQ(a["carried_forward"], Row7(0, 0, 0, 0, 0, 0, 0));
  EXPECT_EQ(r["reviews_litigation"]["review"], Json::array({1, 0, 0, 0, 1}));
  // The two unreadable rows, and nothing else: （七）总计 is not compared with parts unknown.
  EXPECT_EQ(RuleSet(j),
            (std::multiset<std::string>{"structure.cells_merged", "structure.cells_merged"}))
      << j["findings"].dump(1);
  EXPECT_EQ(PathsOf(j, "structure.cells_merged"),
            (std::set<std::string>{"applications.unavailable.unclear",
                                   "applications.not_processed.petition"}));
}

// Two rows whose totals hold read either way and whose readings differ: unreadable.
TEST(Shapes, PlainColumnsThatReadTwoWaysAreUnreadable) {
  // By rows, (0,0,0,0,0,0,0) and (0,0,0,0,1,0,1); by columns the same 14 values give
  // (0,0,0,0,0,0,0) and (0,0,0,0,0,1,1): every total holds both ways.
  std::string values;
  for (const char* v : {"0", "0", "0", "0", "0", "0", "0", "0", "0", "0", "0", "1", "0", "1"}) {
    values += std::string(v) + "\n\n";
  }
  Json j = ParseToJson(
      "某某局2020年政府信息公开工作年度报告\n三、收到和处理政府信息公开申请情况\n"
      "（四）无法提供\n1.本机关不掌握相关政府信息\n2.没有现成信息需要另行制作\n\n" +
      values + "四、政府信息公开行政复议、行政诉讼情况\n");
  EXPECT_EQ(PathsOf(j, "structure.cells_merged"),
            (std::set<std::string>{"applications.unavailable.not_held",
                                   "applications.unavailable.needs_creation"}))
      << j["findings"].dump(1);
  EXPECT_TRUE(j["report"]["applications"]["unavailable.not_held"][0].is_null());
}

// A crawler's page.txt: header lines, then the report on one line. Before: meta.not_a_report.
TEST(Shapes, OneLineReportIsAReportAndItsRunTogetherCellsAreSaidToBeSo) {
  Json j = Shape("oneline.txt");
  const Json& r = j["report"];
  EXPECT_EQ(CountRule(j, "meta.not_a_report"), 0);
  EXPECT_EQ(r["title"], "某某镇人民政府2020年政府信息公开工作年度报告");
  EXPECT_EQ(r["organization"], "某某镇人民政府");
  EXPECT_EQ(r["year"], 2020);
  EXPECT_EQ(r["template"], "2019");
  // The signature written inline (" 某某镇人民政府 2021年1月20日 附件下载"), not the header's
  // 发布时间: 2021-01-22 09:30: record-v1 holds the date under the signature. Before: 01-22.
  EXPECT_EQ(r["published_on"], "2021-01-20");
  EXPECT_EQ(r["other_matters"], "无。");
  EXPECT_EQ(r["sections"].size(), 6u);
  EXPECT_EQ(r["narrative"]["proactive_total"], 120);
  EXPECT_EQ(r["narrative"]["applications_received"], 4);
  EXPECT_EQ(r["problems"], "一是公开内容还不够全面。下一步将加强培训，提高公开质量。");
  // 规范性文件 was printed with spaces: its three cells are read.
  EXPECT_EQ(r["proactive"]["normative_documents"],
            Json({{"made", 2}, {"published", 2}, {"total", 15}}));
  // Every other row ran together: null, one finding per row, never a guess.
  EXPECT_TRUE(r["proactive"]["licensing"]["previous"].is_null());
  EXPECT_EQ(r["applications"]["new"],
            Json::array({nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr}));
  EXPECT_TRUE(r["reviews_litigation"]["review"][0].is_null());
  // 7 of 8 rows in 二, 23 in 三, the one data row of 四.
  EXPECT_EQ(CountRule(j, "structure.cells_merged"), 7 + 23 + 1);
  auto merged = FindingsOf(j, "structure.cells_merged");
  std::set<std::string> paths;
  for (const auto& f : merged) paths.insert(f["path"].get<std::string>());
  EXPECT_TRUE(paths.count("applications.new"));
  EXPECT_TRUE(paths.count("reviews_litigation"));
  EXPECT_EQ(j["findings"].size(), merged.size()) << j["findings"].dump(1);
}

// Section 四 of a one-line report: the group names, the column headers, then the 15 cells run
// together. The digits are the form's one data row, unreadable as a whole; before, the group
// name 复议后起诉 before them was taken for their label and the two other groups were
// structure.row_missing (and 17 digits were no value at all: "section 四 has no table rows").
TEST(Shapes, OneLineReviewRowIsOneUnreadableRow) {
  Json j = ParseToJson(
      "某某局2021年政府信息公开工作年度报告\n一、总体情况 2021年，本局依法公开政府信息。"
      "二、主动公开政府信息情况 三、收到和处理政府信息公开申请情况 "
      "四、政府信息公开行政复议、行政诉讼情况 行政复议行政诉讼结果维持结果纠正其他结果尚未审结总计"
      "未经复议直接起诉复议后起诉结果维持结果纠正其他结果尚未审结总计结果维持结果纠正其他结果尚未审"
      "结"
      "总计10203120001200000五、存在的主要问题及改进情况 无。六、其他需要报告的事项 无。");
  EXPECT_EQ(PathsOf(j, "structure.cells_merged"), (std::set<std::string>{"reviews_litigation"}))
      << j["findings"].dump(1);
  EXPECT_EQ(PathsOf(j, "structure.row_missing"),
            (std::set<std::string>{"proactive", "applications"}));
  EXPECT_TRUE(j["report"]["reviews_litigation"]["review"][0].is_null());
}

// 2.其他法律行政止公开, as a report printed it, is the row 2.其他法律行政法规禁止公开.
TEST(Shapes, MisprintedProhibitedRowIsRead) {
  std::string text = ReadFixture("shapes/layout.txt");
  auto pos = text.find("2.其他法律行政法规禁止公开");
  ASSERT_NE(pos, std::string::npos);
  text.replace(pos, std::string("2.其他法律行政法规禁止公开").size(), "2.其他法律行政止公开");
  Json j = ParseToJson(text);
  EXPECT_EQ(j["findings"].size(), 0u) << j["findings"].dump(1);
  EXPECT_EQ(j["report"]["applications"]["withheld.prohibited"], Row7(0, 0, 0, 0, 0, 0, 0));
}

// A report on 2017 with the old sections and a table of its own. Before: its table rows were
// taken for the form's, with structure.* findings, and its department deadline was 31 January.
TEST(Shapes, OlderReportIsAReportWithoutTheFormsRules) {
  Json j = Shape("oldform_2017.txt");
  EXPECT_EQ(j["findings"].size(), 0u) << j["findings"].dump(1);
  const Json& r = j["report"];
  EXPECT_EQ(r["title"], "某某区环境保护局2017年政府信息公开工作年度报告");
  EXPECT_EQ(r["organization"], "某某区环境保护局");
  EXPECT_EQ(r["year"], 2017);
  EXPECT_TRUE(r["template"].is_null());
  EXPECT_EQ(r["published_on"], "2018-02-26");  // after 31 January, before 31 March
  EXPECT_TRUE(r["applications"].is_null());
  EXPECT_TRUE(r["proactive"].is_null());
  EXPECT_EQ(r["narrative"]["proactive_total"], 86);
  EXPECT_EQ(r["narrative"]["applications_received"], 5);
  EXPECT_EQ(r["sections"],
            Json({"overview", "proactive", "applications", "reviews_litigation", "problems"}));
  // 六、政府信息公开情况统计表 opens a part that no section of the record holds: it ends 五.
  // Before: the heading was taken for a line of 五's text.
  EXPECT_EQ(r["problems"], "公开内容还不够丰富。下一步将加强培训。");
  EXPECT_TRUE(r["other_matters"].is_null());
}

// pdftotext -layout with a narrow label column: 5.要求行政机关确认或重新出 / the row's values /
// 具已获取信息. Before: neither part alone names the row, so it was structure.row_missing.
TEST(Shapes, LabelBrokenAroundItsValueLineIsJoined) {
  Json j = Shape("layout_split_label.txt");
  EXPECT_EQ(j["findings"].size(), 0u) << j["findings"].dump(1);
  ExpectTheTownReport(j);
}

// The headings of 五 and 六 lost in an export, their text kept: （一）存在的主要问题。… /
// （二）改进措施。… / 本年度未收取信息处理费…. Before: structure.section_missing twice.
TEST(Shapes, SectionsWithoutTheirHeadingsAreToldByTheirContent) {
  Json j = Shape("layout_headless.txt");
  EXPECT_EQ(j["findings"].size(), 0u) << j["findings"].dump(1);
  const Json& r = j["report"];
  EXPECT_EQ(r["sections"], Json({"overview", "proactive", "applications", "reviews_litigation",
                                 "problems", "other"}));
  EXPECT_EQ(r["problems"],
            "（一）存在的主要问题。一是公开内容还不够全面。\n"
            "（二）改进措施。下一步将加强培训，提高公开质量。");
  EXPECT_EQ(r["other_matters"], "本年度未收取信息处理费，无其他需要报告的事项。");
  EXPECT_EQ(r["applications"]["total"], Row7(3, 1, 0, 0, 0, 0, 4));
}

// The same report with that text gone as well: the sections are really missing.
TEST(Shapes, SectionsWithoutHeadingOrContentAreStillMissing) {
  std::string text = ReadFixture("shapes/layout_headless.txt");
  for (const char* line : {"（一）存在的主要问题。一是公开内容还不够全面。\n",
                           "（二）改进措施。下一步将加强培训，提高公开质量。\n",
                           "本年度未收取信息处理费，无其他需要报告的事项。\n"}) {
    auto pos = text.find(line);
    ASSERT_NE(pos, std::string::npos) << line;
    text.erase(pos, std::string(line).size());
  }
  Json j = ParseToJson(text);
  EXPECT_EQ(RuleSet(j),
            (std::multiset<std::string>{"structure.section_missing", "structure.section_missing"}))
      << j["findings"].dump(1);
  EXPECT_EQ(PathsOf(j, "structure.section_missing"),
            (std::set<std::string>{"problems", "other_matters"}));
}

// Prose of 一 that lists the parts of the report names 五's and 六's words: it opens neither.
TEST(Shapes, OverviewNamingTheSectionsOpensNone) {
  Json j = ParseToJson(
      "某某局2020年政府信息公开工作年度报告\n一、总体情况\n"
      "本报告包括总体情况、存在的主要问题及改进情况和其他需要报告的事项等六个部分。\n"
      "改进措施方面，全年修订制度3项。\n二、主动公开政府信息情况\n");
  EXPECT_EQ(
      PathsOf(j, "structure.section_missing"),
      (std::set<std::string>{"applications", "reviews_litigation", "problems", "other_matters"}))
      << j["findings"].dump(1);
  EXPECT_EQ(j["report"]["sections"], Json({"overview", "proactive"}));
}

// ---- Narrative patterns: each pattern of narrative.cc with its examples ----

struct NarrativeExample {
  const char* prose;
  std::optional<int> proactive_total;
  std::optional<int> applications_received;
};

Json Narrative(const std::string& prose) {
  std::string text = "某某局2020年政府信息公开工作年度报告\n一、总体情况\n" + prose +
                     "\n二、主动公开政府信息情况\n三、收到和处理政府信息公开申请情况\n";
  return ParseToJson(text)["report"]["narrative"];
}

TEST(NarrativePatterns, EachPatternReadsItsExamples) {
  const std::vector<NarrativeExample> examples = {
      {"主动公开政府信息208条。", 208, std::nullopt},
      {"累计公开政务信息396条。", 396, std::nullopt},
      {"全年主动公开我区各级单位政府信息2645条。", 2645, std::nullopt},
      {"通过政府门户网站全年主动公开各类政府信息10407条。", 10407, std::nullopt},
      {"全年发布各类公开政府信息249条。", 249, std::nullopt},
      {"受理过1起依申请公开政府信息。", std::nullopt, 1},
      {"共收到依申请信息公开26件。", std::nullopt, 26},
      {"全区受理政府信息公开申请 21 件，均在法定期限答复。", std::nullopt, 21},
      {"全年共受理各类政府信息公开申请749件。", std::nullopt, 749},
      {"全年办理政府信息公开申请218件。", std::nullopt, 218},
      {"本年度未收到政府信息公开申请。", std::nullopt, 0},
  };
  for (const auto& e : examples) {
    Json n = Narrative(e.prose);
    if (e.proactive_total) {
      EXPECT_EQ(n["proactive_total"], *e.proactive_total) << e.prose;
    } else {
      EXPECT_TRUE(n["proactive_total"].is_null()) << e.prose;
    }
    if (e.applications_received) {
      EXPECT_EQ(n["applications_received"], *e.applications_received) << e.prose;
    } else {
      EXPECT_TRUE(n["applications_received"].is_null()) << e.prose;
    }
  }
}

Json Prose(const std::string& prose) {
  return ParseToJson("某某局2020年政府信息公开工作年度报告\n一、总体情况\n" + prose +
                     "\n二、主动公开政府信息情况\n三、收到和处理政府信息公开申请情况\n");
}

TEST(NarrativePatterns, NestedPartsAreSummedAtOneLevel) {
  // 152 + 197 + 27 + 4 = 380; the bracket's 32 + 165 are inside 197.
  Json j = Prose(
      "公开财政资金信息380条，其中预算152条、决算197条（含部门决算32条、专项165条）、"
      "三公经费27条、其他4条。");
  EXPECT_EQ(CountRule(j, "narrative.parts_sum"), 0) << j["findings"].dump(1);
  Json over = Prose("公开财政资金信息380条，其中预算152条、决算197条、三公经费37条、其他4条。");
  EXPECT_EQ(CountRule(over, "narrative.parts_sum"), 1) << over["findings"].dump(1);
}

TEST(NarrativePatterns, SameLabelUnderTwoTotalsIsNoConflict) {
  Json j = Prose(
      "行政复议351件，其中结果维持72件，结果纠正64件；行政诉讼46件，其中结果维持25件，"
      "结果纠正5件。");
  EXPECT_EQ(CountRule(j, "narrative.conflict"), 0) << j["findings"].dump(1);
  Json same = Prose("行政复议351件，其中结果维持72件。全年行政复议351件，其中结果维持70件。");
  EXPECT_EQ(CountRule(same, "narrative.conflict"), 1) << same["findings"].dump(1);
}

// ---- Every fixture: a report is a report, and those in order stay quiet ----

TEST(Corpus, EveryFixtureIsReadAndThoseInOrderAreQuiet) {
  // Reports in order: no finding at all. The others have known flaws that their own golden
  // tests assert; here they must be reports.
  const std::set<std::string> in_order = {"html/form_2021.html",
                                          "html/gbk_meta.html",
                                          "html/word_2019_utf8.html",
                                          "seeds/002_1b2a9a261b4cd27b.txt",
                                          "seeds/004_192eb0e593407763.txt",
                                          "shapes/layout.txt",
                                          "shapes/markdown.md",
                                          "shapes/oldform_2017.txt",
                                          "shapes/layout_split_label.txt",
                                          "shapes/layout_headless.txt"};
  const std::set<std::string> not_reports = {"html/not_a_report.html", "html/gbk_nometa.html"};
  int seen = 0;
  for (const char* dir : {"html", "seeds", "shapes"}) {
    for (const auto& e :
         std::filesystem::directory_iterator(std::string(NIANBAO_FIXTURES) + "/" + dir)) {
      std::string name = std::string(dir) + "/" + e.path().filename().string();
      if (e.path().extension() == ".py") continue;
      ++seen;
      Json j = ParseToJson(ReadFixture(name));
      bool report = CountRule(j, "meta.not_a_report") == 0;
      EXPECT_EQ(report, !not_reports.count(name)) << name;
      if (in_order.count(name)) {
        EXPECT_EQ(j["findings"].size(), 0u) << name << j["findings"].dump(1);
      }
    }
  }
  EXPECT_GE(seen, 15);
}

}  // namespace
}  // namespace nianbao::parser::testing
