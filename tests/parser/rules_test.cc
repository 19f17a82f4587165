// Every rule of spec rules.md: a report in order that keeps every rule quiet, and for each
// rule a copy of it with one fault that makes that rule fire (and names the right place).
//
// The reports are built as text in the tab-separated layout of seed 002, so each fault is a
// one-line change to a consistent report whose arithmetic is worked out in the comments.
#include "parser/rules.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "tests/parser/test_util.h"

namespace nianbao::parser::testing {
namespace {

using Cells = std::vector<std::string>;

// A 2019-form report of a town on 2020, in order:
//   一、本年新收 2+1 = 3; （一）予以公开 2; （四）1 不掌握 1 (法人/商业企业); （七）总计 2+1 = 3;
//   二 0 and 四 0, so 一+二 = 3 = （七）+四; 行政复议 维持 1, 总计 1.
struct ReportText {
  std::string title = "某某镇人民政府2020年政府信息公开工作年度报告";
  std::string period = "本报告中所列数据的统计期限自2020年1月1日起至2020年12月31日止。";
  std::string overview =
      "2020年，某某镇主动公开政府信息120条，其中政府网站80条、政务新媒体40条。"
      "全年共收到政府信息公开申请3件，均已按时答复。";
  std::string typo_heading = "第二十条第（六）项";
  std::map<std::string, Cells> proactive = {
      {"规章", {"0", "0", "0"}},       {"规范性文件", {"2", "2", "15"}},
      {"行政许可", {"10", "2", "56"}}, {"其他对外管理服务事项", {"3", "0", "12"}},
      {"行政处罚", {"5", "-1", "8"}},  {"行政强制", {"1", "0", "0"}},
      {"行政事业性收费", {"2", "0"}},  {"政府集中采购", {"4", "35.5万元"}},
  };
  std::vector<std::pair<std::string, Cells>> applications = {
      {"一、本年新收政府信息公开申请数量", {"2", "1", "0", "0", "0", "0", "3"}},
      {"二、上年结转政府信息公开申请数量", {"0", "0", "0", "0", "0", "0", "0"}},
      {"三、本年度办理结果\t（一）予以公开", {"2", "0", "0", "0", "0", "0", "2"}},
      {"\t（二）部分公开（区分处理的，只计这一情形，不计其他情形）",
       {"0", "0", "0", "0", "0", "0", "0"}},
      {"\t（三）不予公开\t1.属于国家秘密", {"0", "0", "0", "0", "0", "0", "0"}},
      {"\t\t2.其他法律行政法规禁止公开", {"0", "0", "0", "0", "0", "0", "0"}},
      {"\t\t3.危及“三安全一稳定”", {"0", "0", "0", "0", "0", "0", "0"}},
      {"\t\t4.保护第三方合法权益", {"0", "0", "0", "0", "0", "0", "0"}},
      {"\t\t5.属于三类内部事务信息", {"0", "0", "0", "0", "0", "0", "0"}},
      {"\t\t6.属于四类过程性信息", {"0", "0", "0", "0", "0", "0", "0"}},
      {"\t\t7.属于行政执法案卷", {"0", "0", "0", "0", "0", "0", "0"}},
      {"\t\t8.属于行政查询事项", {"0", "0", "0", "0", "0", "0", "0"}},
      {"\t（四）无法提供\t1.本机关不掌握相关政府信息", {"0", "1", "0", "0", "0", "0", "1"}},
      {"\t\t2.没有现成信息需要另行制作", {"0", "0", "0", "0", "0", "0", "0"}},
      {"\t\t3.补正后申请内容仍不明确", {"0", "0", "0", "0", "0", "0", "0"}},
      {"\t（五）不予处理\t1.信访举报投诉类申请", {"0", "0", "0", "0", "0", "0", "0"}},
      {"\t\t2.重复申请", {"0", "0", "0", "0", "0", "0", "0"}},
      {"\t\t3.要求提供公开出版物", {"0", "0", "0", "0", "0", "0", "0"}},
      {"\t\t4.无正当理由大量反复申请", {"0", "0", "0", "0", "0", "0", "0"}},
      {"\t\t5.要求行政机关确认或重新出具已获取信息", {"0", "0", "0", "0", "0", "0", "0"}},
      {"\t（六）其他处理", {"0", "0", "0", "0", "0", "0", "0"}},
      {"\t（七）总计", {"2", "1", "0", "0", "0", "0", "3"}},
      {"四、结转下年度继续办理", {"0", "0", "0", "0", "0", "0", "0"}},
  };
  Cells reviews = {"1", "0", "0", "0", "1", "0", "0", "0", "0", "0", "0", "0", "0", "0", "0"};
  bool with_problems = true;
  std::string signature = "某某镇人民政府";
  std::string date = "2021年1月20日";

  Cells& App(const std::string& label_part) {
    for (auto& [label, cells] : applications) {
      if (label.find(label_part) != std::string::npos) return cells;
    }
    ADD_FAILURE() << "no row " << label_part;
    return applications.front().second;
  }

  std::string Text() const {
    auto row = [](const std::string& label, const Cells& cells) {
      std::string s = label;
      for (const auto& c : cells) s += "\t" + c;
      return s + "\n";
    };
    std::string t = title + "\n\n" + period + "\n\n一、总体情况\n\n" + overview + "\n\n";
    t += "二、主动公开政府信息情况\n\n";
    t += "第二十条第（一）项\t\t\t\n信息内容\t本年新制作数量\t本年新公开数量\t对外公开总数量\n";
    t += row("规章", proactive.at("规章")) + row("规范性文件", proactive.at("规范性文件"));
    t += "第二十条第（五）项\t\t\t\n信息内容\t上一年项目数量\t本年增/减\t处理决定数量\n";
    t += row("行政许可", proactive.at("行政许可"));
    t += row("其他对外管理服务事项", proactive.at("其他对外管理服务事项"));
    t += typo_heading + "\t\t\t\n信息内容\t上一年项目数量\t本年增/减\t处理决定数量\n";
    t += row("行政处罚", proactive.at("行政处罚")) + row("行政强制", proactive.at("行政强制"));
    t += "第二十条第（八）项\t\t\t\n信息内容\t上一年项目数量\t本年增/减\t\n";
    t += row("行政事业性收费", proactive.at("行政事业性收费"));
    t += "第二十条第（九）项\t\t\t\n信息内容\t采购项目数量\t采购总金额\t\n";
    t += row("政府集中采购", proactive.at("政府集中采购"));
    t += "\n三、收到和处理政府信息公开申请情况\n\n";
    t += "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）\t\t申请人情况\n";
    t += "\t\t自然人\t法人或其他组织\t\t\t\t\t总计\n";
    t += "\t\t\t商业企业\t科研机构\t社会公益组织\t法律服务机构\t其他\t\n";
    for (const auto& [label, cells] : applications) t += row(label, cells);
    t += "\n四、政府信息公开行政复议、行政诉讼情况\n\n";
    t += "行政复议\t\t\t\t\t行政诉讼\n";
    t += "结果维持\t结果纠正\t其他结果\t尚未审结\t总计\t未经复议直接起诉\t\t\t\t\t复议后起诉\n";
    t += "\t\t\t\t\t结果维持\t结果纠正\t其他结果\t尚未审结\t总计\t结果维持\t结果纠正\t其他结果"
         "\t尚未审结\t总计\n";
    std::string data;
    for (size_t i = 0; i < reviews.size(); ++i) data += (i ? "\t" : "") + reviews[i];
    t += data + "\n\n";
    if (with_problems) {
      t += "五、存在的主要问题及改进情况\n\n一是公开内容还不够全面。下一步将加强培训，提高公开质量"
           "。\n\n";
    }
    t += "六、其他需要报告的事项\n\n无。\n\n" + signature + "\n" + date + "\n";
    return t;
  }
};

Json Parse(const ReportText& r) { return ParseToJson(r.Text()); }

TEST(Rules, TableHoldsEveryRuleOfTheSpecOnce) {
  const std::vector<std::pair<std::string, Severity>> spec = {
      {"structure.section_missing", Severity::kError},
      {"structure.row_missing", Severity::kError},
      {"structure.cell_count", Severity::kWarning},
      {"structure.bad_value", Severity::kError},
      {"structure.cells_merged", Severity::kError},
      {"structure.heading_typo", Severity::kWarning},
      {"structure.image_only", Severity::kWarning},
      {"applications.row_total", Severity::kError},
      {"applications.outcome_total", Severity::kError},
      {"applications.balance", Severity::kError},
      {"reviews.total", Severity::kError},
      {"narrative.parts_sum", Severity::kWarning},
      {"narrative.conflict", Severity::kWarning},
      {"narrative.table_mismatch", Severity::kWarning},
      {"meta.published_late", Severity::kWarning},
      {"meta.year_mismatch", Severity::kWarning},
      {"meta.template_mismatch", Severity::kWarning},
      {"meta.not_a_report", Severity::kError},
      {"meta.unreadable_document", Severity::kError},
      {"history.carried_over", Severity::kError},
      {"history.previous_items", Severity::kWarning},
      {"history.text_copied", Severity::kWarning},
  };
  EXPECT_EQ(Rules().size(), spec.size());
  for (const auto& [id, severity] : spec) {
    const RuleSpec* r = FindRule(id);
    ASSERT_NE(r, nullptr) << id;
    EXPECT_EQ(r->severity, severity) << id;
  }
}

TEST(Rules, ReportInOrderIsQuiet) {
  Json j = Parse(ReportText{});
  EXPECT_EQ(j["findings"].size(), 0u) << j["findings"].dump(1);
  const Json& r = j["report"];
  // The values the builder wrote, read back.
  EXPECT_EQ(r["template"], "2019");
  EXPECT_EQ(r["organization"], "某某镇人民政府");
  EXPECT_EQ(r["published_on"], "2021-01-20");
  EXPECT_EQ(r["proactive"]["penalty"]["change"], -1);
  EXPECT_EQ(r["proactive"]["procurement"]["amount_wan"], 35.5);
  EXPECT_EQ(r["applications"]["unavailable.not_held"], Json::array({0, 1, 0, 0, 0, 0, 1}));
  EXPECT_EQ(r["reviews_litigation"]["review"], Json::array({1, 0, 0, 0, 1}));
  EXPECT_EQ(r["narrative"]["proactive_total"], 120);
  EXPECT_EQ(r["narrative"]["applications_received"], 3);
  EXPECT_EQ(r["problems"], "一是公开内容还不够全面。下一步将加强培训，提高公开质量。");
}

TEST(Rules, SectionMissingFiresForAnAbsentSection) {
  ReportText r;
  r.with_problems = false;
  Json j = Parse(r);
  auto f = FindingsOf(j, "structure.section_missing");
  ASSERT_EQ(f.size(), 1u) << j["findings"].dump(1);
  EXPECT_EQ(f[0]["path"], "problems");
  EXPECT_EQ(f[0]["severity"], "error");
  EXPECT_NE(f[0]["message"].get<std::string>().find("五、存在的主要问题及改进情况"),
            std::string::npos);
  EXPECT_TRUE(j["report"]["problems"].is_null());
}

// ParseOptions::disabled_rules (for tests of `nianbao reparse`: a rule change without a second
// build): that rule's findings are left out, the others and the record stay as they were.
TEST(Rules, ADisabledRuleIsLeftOutAndNothingElseChanges) {
  ReportText r;
  r.with_problems = false;  // structure.section_missing, as the test above
  ParseInput in;
  std::string text = r.Text();
  in.bytes = text;
  auto all = nianbao::parser::Parse(in);
  ParseOptions without;
  without.disabled_rules = {"structure.section_missing", "no.such_rule"};
  auto fewer = nianbao::parser::Parse(in, without);
  ASSERT_TRUE(all.ok() && fewer.ok());
  std::vector<std::string> kept;
  for (const auto& f : all.value().findings) {
    if (f.rule != "structure.section_missing") kept.push_back(f.rule);
  }
  std::vector<std::string> got;
  for (const auto& f : fewer.value().findings) got.push_back(f.rule);
  EXPECT_EQ(got, kept);
  EXPECT_EQ(got.size() + 1, all.value().findings.size());
  EXPECT_EQ(RecordToJson(fewer.value().record), RecordToJson(all.value().record));
  EXPECT_NE(ContentFingerprint(fewer.value()), ContentFingerprint(all.value()));
}

TEST(Rules, RowMissingFiresForAnAbsentRow) {
  ReportText r;
  r.applications.erase(r.applications.begin() + 1);  // 二、上年结转
  Json j = Parse(r);
  auto f = FindingsOf(j, "structure.row_missing");
  ASSERT_EQ(f.size(), 1u) << j["findings"].dump(1);
  EXPECT_EQ(f[0]["path"], "applications.carried_over");
  EXPECT_TRUE(j["report"]["applications"]["carried_over"].is_null());
  // A lost row is not summed as zeros into the balance.
  EXPECT_EQ(CountRule(j, "applications.balance"), 0);
}

TEST(Rules, CellCountFiresAndKeepsThePlaceableCells) {
  ReportText r;
  r.proactive["行政许可"] = {"10", "2"};
  Json j = Parse(r);
  auto f = FindingsOf(j, "structure.cell_count");
  ASSERT_EQ(f.size(), 1u) << j["findings"].dump(1);
  EXPECT_EQ(f[0]["path"], "proactive.licensing");
  EXPECT_EQ(f[0]["severity"], "warning");
  EXPECT_EQ(j["report"]["proactive"]["licensing"],
            Json({{"previous", 10}, {"change", 2}, {"decisions", nullptr}}));
}

TEST(Rules, BadValueFiresAndTheCellStaysNull) {
  ReportText r;
  r.App("予以公开")[0] = "约2";
  Json j = Parse(r);
  auto f = FindingsOf(j, "structure.bad_value");
  ASSERT_EQ(f.size(), 1u) << j["findings"].dump(1);
  EXPECT_EQ(f[0]["path"], "applications.disclosed[0]");
  EXPECT_NE(f[0]["message"].get<std::string>().find("约2"), std::string::npos);
  EXPECT_TRUE(j["report"]["applications"]["disclosed"][0].is_null());
}

TEST(Rules, EmptyMarksAreNullNotBadAndNotZero) {
  ReportText r;
  r.App("部分公开") = {"", "-", "—", "/", "无", "", ""};
  Json j = Parse(r);
  EXPECT_EQ(j["findings"].size(), 0u) << j["findings"].dump(1);
  for (const auto& v : j["report"]["applications"]["partially_disclosed"]) EXPECT_TRUE(v.is_null());
}

TEST(Rules, HeadingTypoFires) {
  ReportText r;
  r.typo_heading = "第二十六条第（六）项";
  Json j = Parse(r);
  ASSERT_EQ(CountRule(j, "structure.heading_typo"), 1) << j["findings"].dump(1);
  EXPECT_EQ(j["findings"].size(), 1u);
}

TEST(Rules, RowTotalFires) {
  ReportText r;
  r.App("本年新收") = {"2", "1", "0", "0", "0", "0", "4"};  // 2+1 = 3, not 4
  Json j = Parse(r);
  auto f = FindingsOf(j, "applications.row_total");
  ASSERT_EQ(f.size(), 1u) << j["findings"].dump(1);
  EXPECT_EQ(f[0]["path"], "applications.new[6]");
  EXPECT_EQ(f[0]["expected"], 3);
  EXPECT_EQ(f[0]["actual"], 4);
}

TEST(Rules, RowTotalQuietWhenTheTotalIsBlankAndBlanksCountAsZero) {
  ReportText r;
  r.App("本年新收") = {"2", "1", "", "", "", "", ""};  // total left blank
  r.App("不掌握") = {"", "1", "", "", "", "", "1"};    // zeros left blank
  Json j = Parse(r);
  EXPECT_EQ(CountRule(j, "applications.row_total"), 0) << j["findings"].dump(1);
  EXPECT_EQ(CountRule(j, "applications.outcome_total"), 0);
}

TEST(Rules, OutcomeTotalFires) {
  ReportText r;
  r.App("（七）总计") = {"2", "2", "0", "0", "0", "0", "4"};  // 商业企业: outcomes give 1
  r.App("本年新收") = {"2", "2", "0", "0", "0", "0", "4"};    // keep the balance
  Json j = Parse(r);
  auto f = FindingsOf(j, "applications.outcome_total");
  ASSERT_EQ(f.size(), 2u) << j["findings"].dump(1);
  EXPECT_EQ(f[0]["path"], "applications.total[1]");
  EXPECT_EQ(f[0]["expected"], 1);
  EXPECT_EQ(f[0]["actual"], 2);
  EXPECT_EQ(f[1]["path"], "applications.total[6]");
  EXPECT_EQ(CountRule(j, "applications.balance"), 0);
}

// A page that leaves the 总计 column of the outcome rows blank but fills （七）总计: the rule
// has nothing to compare. Before: "（七）总计 / 总计 is 3 but the outcome rows add up to 0".
TEST(Rules, OutcomeTotalQuietWhenEveryComparedPartIsBlank) {
  ReportText r;
  for (auto& [label, cells] : r.applications) {
    if (label.find("本年新收") == std::string::npos &&
        label.find("上年结转") == std::string::npos && label.find("总计") == std::string::npos &&
        label.find("结转下年度") == std::string::npos) {
      cells[6] = "";
    }
  }
  Json j = Parse(r);
  EXPECT_EQ(CountRule(j, "applications.outcome_total"), 0) << j["findings"].dump(1);
  // Some parts filled: it compares (（一）予以公开 2 of （七）'s 3).
  r.App("不掌握")[6] = "";
  r.App("予以公开")[6] = "2";
  r.App("（七）总计")[6] = "5";
  r.App("本年新收")[6] = "5";
  r.App("本年新收")[0] = "4";
  Json k = Parse(r);
  EXPECT_EQ(CountRule(k, "applications.outcome_total"), 1) << k["findings"].dump(1);
}

TEST(Rules, BalanceFires) {
  ReportText r;
  r.App("上年结转") = {"1", "0", "0", "0", "0", "0", "1"};  // 一+二 = 4 in 自然人/总计 columns
  Json j = Parse(r);
  auto f = FindingsOf(j, "applications.balance");
  ASSERT_EQ(f.size(), 2u) << j["findings"].dump(1);
  EXPECT_EQ(f[0]["path"], "applications.total[0]");
  EXPECT_EQ(f[0]["expected"], 3);
  EXPECT_EQ(f[0]["actual"], 2);
  EXPECT_EQ(f[1]["path"], "applications.total[6]");
}

TEST(Rules, ReviewsTotalFiresAndNamesTheGroup) {
  ReportText r;
  r.reviews[10] = "2";  // 复议后起诉 维持 2, 总计 0
  Json j = Parse(r);
  auto f = FindingsOf(j, "reviews.total");
  ASSERT_EQ(f.size(), 1u) << j["findings"].dump(1);
  EXPECT_EQ(f[0]["path"], "reviews_litigation.litigation_after_review[4]");
  EXPECT_EQ(f[0]["expected"], 2);
  EXPECT_EQ(f[0]["actual"], 0);
}

TEST(Rules, PartsSumFires) {
  ReportText r;
  r.overview =
      "2020年，某某镇主动公开政府信息120条，其中政府网站90条、政务新媒体40条。"
      "全年共收到政府信息公开申请3件。";
  Json j = Parse(r);
  auto f = FindingsOf(j, "narrative.parts_sum");
  ASSERT_EQ(f.size(), 1u) << j["findings"].dump(1);
  EXPECT_EQ(f[0]["expected"], 120);
  EXPECT_EQ(f[0]["actual"], 130);
}

TEST(Rules, ConflictFires) {
  ReportText r;
  r.overview += "其中，通过政府网站80条，通过政务新媒体45条。";
  Json j = Parse(r);
  auto f = FindingsOf(j, "narrative.conflict");
  ASSERT_EQ(f.size(), 1u) << j["findings"].dump(1);
  EXPECT_EQ(f[0]["expected"], 40);
  EXPECT_EQ(f[0]["actual"], 45);
}

TEST(Rules, TableMismatchFiresForApplicationsReceived) {
  ReportText r;
  r.overview = "2020年，某某镇主动公开政府信息120条。全年共收到政府信息公开申请5件。";
  Json j = Parse(r);
  auto f = FindingsOf(j, "narrative.table_mismatch");
  ASSERT_EQ(f.size(), 1u) << j["findings"].dump(1);
  EXPECT_EQ(f[0]["path"], "applications.new[6]");
  EXPECT_EQ(f[0]["expected"], 5);
  EXPECT_EQ(f[0]["actual"], 3);
}

TEST(Rules, TableMismatchFiresForNoReviewsClaimed) {
  ReportText r;
  r.overview += "本年度未发生政府信息公开行政复议、行政诉讼案件。";
  Json j = Parse(r);
  auto f = FindingsOf(j, "narrative.table_mismatch");
  ASSERT_EQ(f.size(), 1u) << j["findings"].dump(1);
  EXPECT_EQ(f[0]["path"], "reviews_litigation");
  // And quiet when section 四 is indeed empty.
  r.reviews.assign(15, "0");
  EXPECT_EQ(CountRule(Parse(r), "narrative.table_mismatch"), 0);
}

TEST(Rules, PublishedLateFiresForATownAfter31January) {
  ReportText r;
  r.date = "2021年2月3日";
  Json j = Parse(r);
  auto f = FindingsOf(j, "meta.published_late");
  ASSERT_EQ(f.size(), 1u) << j["findings"].dump(1);
  EXPECT_NE(f[0]["message"].get<std::string>().find("2021-01-31"), std::string::npos);
}

TEST(Rules, PublishedLateUsesThe31MarchDeadlineForARegion) {
  ReportText r;
  r.title = "某某市2020年政府信息公开工作年度报告";
  r.signature = "某某市人民政府";
  r.date = "2021年3月20日";
  EXPECT_EQ(CountRule(Parse(r), "meta.published_late"), 0);
  r.date = "2021年4月2日";
  EXPECT_EQ(CountRule(Parse(r), "meta.published_late"), 1);
}

TEST(Rules, YearMismatchFires) {
  ReportText r;
  r.period = "本报告中所列数据的统计期限自2019年1月1日起至2019年12月31日止。";
  Json j = Parse(r);
  auto f = FindingsOf(j, "meta.year_mismatch");
  ASSERT_EQ(f.size(), 1u) << j["findings"].dump(1);
  EXPECT_EQ(f[0]["expected"], 2020);
  EXPECT_EQ(f[0]["actual"], 2019);
}

TEST(Rules, TemplateMismatchFiresForA2021ReportOnThe2019Form) {
  ReportText r;
  r.title = "某某镇人民政府2021年政府信息公开工作年度报告";
  r.period = "本报告中所列数据的统计期限自2021年1月1日起至2021年12月31日止。";
  r.date = "2022年1月20日";
  Json j = Parse(r);
  ASSERT_EQ(CountRule(j, "meta.template_mismatch"), 1) << j["findings"].dump(1);
  EXPECT_EQ(j["findings"].size(), 1u);
}

TEST(Rules, NotAReportFiresForANotice) {
  Json j = ParseToJson(
      "关于做好2020年政府信息公开工作年度报告编制和发布工作的通知\n\n"
      "各镇人民政府、各街道办事处：\n\n请于2021年1月31日前完成年度报告的编制和发布。\n");
  ASSERT_EQ(CountRule(j, "meta.not_a_report"), 1) << j["findings"].dump(1);
  EXPECT_EQ(j["findings"].size(), 1u);
  EXPECT_TRUE(j["report"]["applications"].is_null());
}

}  // namespace
}  // namespace nianbao::parser::testing
