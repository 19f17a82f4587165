// The rules across years (parser/history.h) on pairs of reports of tests/fixtures/history:
// one town, 东山县青石镇人民政府 (2019, 2020: the 2019 form) and 青石镇人民政府 (2021: the 2021
// form), and another town, 白河镇. Each report is in order by itself (no finding of its own),
// so every finding below is one of the pair's.
//
//   qingshi_2019          四、结转下年度 [0,1,0,0,0,0,1]; 行政许可 上一年 20 本年增/减 4,
//                         其他对外管理服务事项 10/0, 行政处罚 6/−1, 行政强制 2/0, 收费 3/0
//   qingshi_2020          二、上年结转 [0,1,0,0,0,0,1]; 上一年 24, 10, 5, 2, 3 (= 2019's sums);
//                         四 [0,0,0,0,0,1,1]; sections 一 and 五 rewritten on the same themes
//   qingshi_2020_faulty   二、上年结转 all 0 (2019 carried 1 商业企业 forward); 行政许可 上一年
//                         22 (2019: 20 + 4 = 24); 一 is 2019's with the numbers changed
//   qingshi_2021          2021 form; 二、上年结转 [0,0,0,0,0,1,1] = 2020's 四; rewritten prose
//   qingshi_2021_faulty   2021 form; 二、上年结转 all 0 (2020 carried 1 其他 forward); 五 is
//                         2020's with the year changed
//   baihe_2020            白河镇: qingshi_2020_faulty under another name
#include "parser/history.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "parser/rule_table.h"
#include "tests/parser/test_util.h"

namespace nianbao::parser::testing {
namespace {

ParseOutput ParseFixture(const std::string& name) {
  std::string bytes = ReadFixture("history/" + name);
  ParseInput in;
  in.bytes = bytes;
  auto out = Parse(in);
  EXPECT_TRUE(out.ok()) << name;
  return out.ok() ? out.value() : ParseOutput{};
}

YearSummary Summary(const std::string& name) { return SummarizeYear(ParseFixture(name)); }

std::vector<Finding> Of(const std::vector<Finding>& all, const std::string& rule) {
  std::vector<Finding> out;
  for (const auto& f : all) {
    if (f.rule == rule) out.push_back(f);
  }
  return out;
}

std::string Dump(const std::vector<Finding>& all) {
  std::string s;
  for (const auto& f : all) s += f.rule + " " + f.path.value_or("-") + ": " + f.message + "\n";
  return s;
}

bool Has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(OrganizationKey, DropsThePlacesBeforeTheLastOne) {
  EXPECT_EQ(OrganizationKey("重庆市渝北区洛碛镇人民政府"), "洛碛镇人民政府");
  EXPECT_EQ(OrganizationKey("洛碛镇人民政府"), "洛碛镇人民政府");
  EXPECT_EQ(OrganizationKey("东山县青石镇人民政府"), "青石镇人民政府");
  EXPECT_EQ(OrganizationKey("重庆市渝北区财政局"), "渝北区财政局");
  EXPECT_EQ(OrganizationKey("重庆市渝北区人民政府"), "渝北区人民政府");
  EXPECT_EQ(OrganizationKey("重庆市人民政府"), "重庆市人民政府");
  // 城乡 names no place; 城市 has a one-character name before 市.
  EXPECT_EQ(OrganizationKey("重庆市渝北区住房和城乡建设委员会"), "渝北区住房和城乡建设委员会");
  EXPECT_EQ(OrganizationKey("重庆市城市管理局"), "重庆市城市管理局");
  EXPECT_EQ(OrganizationKey("黔东南苗族侗族自治州凯里市人民政府"), "凯里市人民政府");
  EXPECT_EQ(OrganizationKey(" 东山县 青石镇人民政府 "), "青石镇人民政府");
  EXPECT_EQ(OrganizationKey(""), "");
}

TEST(History, EachFixtureIsInOrderByItself) {
  struct Want {
    std::string file;
    int year;
    Template form;
  };
  for (const Want& w : std::vector<Want>{{"qingshi_2019.txt", 2019, Template::k2019},
                                         {"qingshi_2020.txt", 2020, Template::k2019},
                                         {"qingshi_2020_faulty.txt", 2020, Template::k2019},
                                         {"qingshi_2021.txt", 2021, Template::k2021},
                                         {"qingshi_2021_faulty.txt", 2021, Template::k2021},
                                         {"baihe_2020.txt", 2020, Template::k2019}}) {
    ParseOutput out = ParseFixture(w.file);
    EXPECT_TRUE(out.is_report) << w.file;
    EXPECT_TRUE(out.findings.empty()) << w.file << "\n" << Dump(out.findings);
    EXPECT_EQ(out.record.year, w.year) << w.file;
    EXPECT_EQ(out.record.form, w.form) << w.file;
    YearSummary s = SummarizeYear(out);
    EXPECT_EQ(s.organization_key,
              w.file.rfind("baihe", 0) == 0 ? "白河镇人民政府" : "青石镇人民政府")
        << w.file;
    EXPECT_FALSE(s.overview.empty()) << w.file;
    EXPECT_FALSE(s.problems.empty()) << w.file;
  }
}

TEST(History, SummaryHoldsTheComparedRows) {
  YearSummary s = Summary("qingshi_2019.txt");
  EXPECT_EQ(s.organization, "东山县青石镇人民政府");
  EXPECT_EQ(s.rows.at("applications.carried_forward"), (Cells{0, 1, 0, 0, 0, 0, 1}));
  EXPECT_EQ(s.rows.at("applications.carried_over"), (Cells{0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(s.rows.at("proactive.licensing"), (Cells{20, 4, 35}));
  EXPECT_EQ(s.rows.at("proactive.fees"), (Cells{3, 0}));
  // The prose of 一 includes the preamble (it stands before 二); the boilerplate is set aside
  // by the measure, not by the summary.
  EXPECT_TRUE(Has(s.overview, "坚持以人民为中心的发展思想"));
  EXPECT_TRUE(Has(s.problems, "建立信息发布台账"));
}

TEST(History, AConsistentPairIsQuiet) {
  auto f = CheckAcrossYears(Summary("qingshi_2019.txt"), Summary("qingshi_2020.txt"));
  EXPECT_TRUE(f.empty()) << Dump(f);
}

TEST(History, AConsistentPairAcrossTheChangeOfFormIsQuiet) {
  // 2020 in the 2019 form, 2021 in the 2021 form; 东山县青石镇 then 青石镇.
  auto f = CheckAcrossYears(Summary("qingshi_2020.txt"), Summary("qingshi_2021.txt"));
  EXPECT_TRUE(f.empty()) << Dump(f);
}

TEST(History, CarriedOverFiresColumnByColumn) {
  auto all = CheckAcrossYears(Summary("qingshi_2019.txt"), Summary("qingshi_2020_faulty.txt"));
  auto f = Of(all, "history.carried_over");
  ASSERT_EQ(f.size(), 2u) << Dump(all);
  // 商业企业 (column 1) and 总计 (column 6): 2019 carried 1 forward, 2020 took 0 over.
  EXPECT_EQ(f[0].path, "applications.carried_over[1]");
  EXPECT_EQ(f[1].path, "applications.carried_over[6]");
  EXPECT_EQ(f[0].severity, Severity::kError);
  EXPECT_EQ(f[0].expected, 1.0);
  EXPECT_EQ(f[0].actual, 0.0);
  const std::string& m = f[0].message;
  EXPECT_TRUE(Has(m, "二、上年结转政府信息公开申请数量 / 商业企业 is 0 in the report on 2020"))
      << m;
  EXPECT_TRUE(Has(m, "四、结转下年度继续办理 / 商业企业 is 1 in the report on 2019")) << m;
  EXPECT_TRUE(Has(f[1].message, "总计")) << f[1].message;
}

TEST(History, CarriedOverFiresAcrossTheChangeOfForm) {
  auto all = CheckAcrossYears(Summary("qingshi_2020.txt"), Summary("qingshi_2021_faulty.txt"));
  auto f = Of(all, "history.carried_over");
  ASSERT_EQ(f.size(), 2u) << Dump(all);
  // 其他 (column 5) and 总计: 2020 carried 1 forward.
  EXPECT_EQ(f[0].path, "applications.carried_over[5]");
  EXPECT_EQ(f[1].path, "applications.carried_over[6]");
  EXPECT_TRUE(Has(f[0].message, "其他 is 0 in the report on 2021")) << f[0].message;
  // The 2021 form has no 上一年项目数量: previous_items has nothing to compare.
  EXPECT_TRUE(Of(all, "history.previous_items").empty()) << Dump(all);
}

TEST(History, CarriedOverIsQuietWhereACellIsNull) {
  YearSummary last = Summary("qingshi_2019.txt");
  YearSummary now = Summary("qingshi_2020_faulty.txt");
  now.rows["applications.carried_over"][1].reset();      // a blank 商业企业 this year
  last.rows["applications.carried_forward"][6].reset();  // a blank 总计 last year
  auto f = Of(CheckAcrossYears(last, now), "history.carried_over");
  EXPECT_TRUE(f.empty()) << Dump(f);
  now.rows.erase("applications.carried_over");  // the row is missing
  EXPECT_TRUE(Of(CheckAcrossYears(last, now), "history.carried_over").empty());
}

TEST(History, PreviousItemsFiresOnTheRowThatDoesNotFollow) {
  auto all = CheckAcrossYears(Summary("qingshi_2019.txt"), Summary("qingshi_2020_faulty.txt"));
  auto f = Of(all, "history.previous_items");
  ASSERT_EQ(f.size(), 1u) << Dump(all);
  EXPECT_EQ(f[0].path, "proactive.licensing.previous");
  EXPECT_EQ(f[0].severity, Severity::kWarning);
  EXPECT_EQ(f[0].expected, 24.0);  // 20 + 4
  EXPECT_EQ(f[0].actual, 22.0);
  const std::string& m = f[0].message;
  EXPECT_TRUE(Has(m, "行政许可 / 上一年项目数量 is 22 in the report on 2020")) << m;
  EXPECT_TRUE(Has(m, "in the report on 2019 行政许可 / 上一年项目数量 20 + 本年增/减 4 = 24")) << m;
}

TEST(History, PreviousItemsCountsANegativeChange) {
  // 行政处罚: 2019 上一年 6, 本年增/减 −1; 2020 上一年 5 is right, 6 is not.
  YearSummary last = Summary("qingshi_2019.txt");
  YearSummary now = Summary("qingshi_2020.txt");
  now.rows["proactive.penalty"][0] = 6;
  auto f = Of(CheckAcrossYears(last, now), "history.previous_items");
  ASSERT_EQ(f.size(), 1u) << Dump(f);
  EXPECT_EQ(f[0].path, "proactive.penalty.previous");
  EXPECT_EQ(f[0].expected, 5.0);
}

TEST(History, TextCopiedFiresOnTheCopiedSectionOnly) {
  auto all = CheckAcrossYears(Summary("qingshi_2019.txt"), Summary("qingshi_2020_faulty.txt"));
  auto f = Of(all, "history.text_copied");
  ASSERT_EQ(f.size(), 1u) << Dump(all);
  EXPECT_EQ(f[0].path, "narrative");  // section 一 (五 was rewritten)
  EXPECT_EQ(f[0].severity, Severity::kWarning);
  // Only the numbers differ: every shingle repeats.
  ASSERT_TRUE(f[0].actual);
  EXPECT_GT(*f[0].actual, 0.9);
  EXPECT_TRUE(Has(f[0].message, "一、总体情况")) << f[0].message;
  EXPECT_TRUE(Has(f[0].message, "report on 2020 repeats the report on 2019")) << f[0].message;

  auto across = CheckAcrossYears(Summary("qingshi_2020.txt"), Summary("qingshi_2021_faulty.txt"));
  auto g = Of(across, "history.text_copied");
  ASSERT_EQ(g.size(), 1u) << Dump(across);
  EXPECT_EQ(g[0].path, "problems");  // section 五
  EXPECT_TRUE(Has(g[0].message, "五、存在的主要问题及改进情况")) << g[0].message;
}

TEST(History, RewrittenProseSharingTheBoilerplateIsFarBelowTheThreshold) {
  // The fixtures share the preamble (条例, the form, the statistics period, the contact) and
  // their themes; rewritten, they share a few stock phrases (主动公开政府信息…条, 政务公开).
  ParseOutput y2019 = ParseFixture("qingshi_2019.txt");
  ParseOutput y2020 = ParseFixture("qingshi_2020.txt");
  ParseOutput y2021 = ParseFixture("qingshi_2021.txt");
  auto overview = CopiedShare(y2019.overview_text, y2020.overview_text);
  ASSERT_TRUE(overview);
  EXPECT_LT(*overview, 0.25);
  auto overview21 = CopiedShare(y2020.overview_text, y2021.overview_text);
  ASSERT_TRUE(overview21);
  EXPECT_LT(*overview21, 0.25);
  auto problems = CopiedShare(*y2019.record.problems, *y2020.record.problems);
  ASSERT_TRUE(problems);
  EXPECT_LT(*problems, 0.25);
}

TEST(History, BoilerplateAloneIsNotCopiedText) {
  const std::string preamble =
      "根据《中华人民共和国政府信息公开条例》（以下简称《条例》）和《国务院办公厅政府信息与政务"
      "公开办公室关于印发〈中华人民共和国政府信息公开工作年度报告格式〉的通知》（国办公开办函"
      "〔2021〕30号）要求，编制本报告。\n本报告中所列数据的统计期限自2021年1月1日起至2021年12月"
      "31日止。如对本报告有疑问，请与镇党政办联系（联系电话：023-67000000）。\n";
  // Set aside, the preamble leaves too little to judge.
  EXPECT_FALSE(CopiedShare(preamble, preamble));
  // A repeated short line of 五 is not a copied report either.
  EXPECT_FALSE(CopiedShare("无。", "无。"));
  // The same prose after the same preamble is.
  const std::string body =
      "我镇及时公开财政预决算、脱贫攻坚、惠农补贴等重点领域信息，在便民服务中心设置公开栏，"
      "定期更新办事指南和办理结果，方便群众查阅。镇政务公开领导小组每季度研究一次公开工作。";
  auto share = CopiedShare(preamble + body, preamble + body);
  ASSERT_TRUE(share);
  EXPECT_DOUBLE_EQ(*share, 1.0);
}

TEST(History, OtherOrganisationsAndOtherYearsAreNotPaired) {
  // 白河镇 2020 is 青石镇's faulty 2020 under another name: never compared with 青石镇 2019.
  EXPECT_TRUE(CheckAcrossYears(Summary("qingshi_2019.txt"), Summary("baihe_2020.txt")).empty());
  // Two years apart, or the pair given the wrong way round: nothing.
  EXPECT_TRUE(
      CheckAcrossYears(Summary("qingshi_2019.txt"), Summary("qingshi_2021_faulty.txt")).empty());
  EXPECT_TRUE(
      CheckAcrossYears(Summary("qingshi_2020_faulty.txt"), Summary("qingshi_2019.txt")).empty());
  // A document that is not a report has no key.
  ParseInput in;
  in.bytes = "not a report";
  auto out = Parse(in);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(SummarizeYear(out.value()).organization_key, "");
}

TEST(History, EveryFindingIsARuleOfTheTable) {
  auto all = CheckAcrossYears(Summary("qingshi_2019.txt"), Summary("qingshi_2020_faulty.txt"));
  ASSERT_FALSE(all.empty());
  for (const auto& f : all) {
    const RuleSpec* spec = FindRule(f.rule);
    ASSERT_NE(spec, nullptr) << f.rule;
    EXPECT_EQ(spec->severity, f.severity) << f.rule;
  }
}

TEST(YearSummaryJson, RoundTripGivesTheSameFindings) {
  YearSummary last = Summary("qingshi_2019.txt");
  YearSummary now = Summary("qingshi_2020_faulty.txt");
  auto stored = YearSummaryFromJson(YearSummaryToJson(last));
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  const YearSummary& back = stored.value();
  EXPECT_EQ(back.organization_key, last.organization_key);
  EXPECT_EQ(back.organization, last.organization);
  EXPECT_EQ(back.year, last.year);
  EXPECT_EQ(back.form, last.form);
  EXPECT_EQ(back.report_id, last.report_id);
  EXPECT_EQ(back.rows, last.rows);
  EXPECT_EQ(back.overview, last.overview);
  EXPECT_EQ(CheckAcrossYears(back, now).size(), CheckAcrossYears(last, now).size());
  // A null cell stays null.
  last.rows["applications.carried_over"][2].reset();
  auto again = YearSummaryFromJson(YearSummaryToJson(last));
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again.value().rows.at("applications.carried_over")[2]);
}

TEST(YearSummaryJson, RefusesWhatIsNotASummary) {
  EXPECT_FALSE(YearSummaryFromJson(nlohmann::json::array()).ok());
  nlohmann::json j = YearSummaryToJson(Summary("qingshi_2019.txt"));
  j["template"] = "2008";
  EXPECT_FALSE(YearSummaryFromJson(j).ok());
  j = YearSummaryToJson(Summary("qingshi_2019.txt"));
  j["rows"]["applications.carried_over"][0] = "one";
  EXPECT_FALSE(YearSummaryFromJson(j).ok());
  j.erase("rows");
  EXPECT_FALSE(YearSummaryFromJson(j).ok());
}

}  // namespace
}  // namespace nianbao::parser::testing
