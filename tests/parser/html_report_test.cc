// End to end through the facade (parser/parser.h) on the HTML fixtures in
// tests/fixtures/html. Every expected value was read from the fixture (or from the seed it
// carries), never copied from the program's output. A report in order gets no error and no
// warning; faults_2019.html lists its deliberate faults at its top.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "tests/parser/test_util.h"

namespace nianbao::parser::testing {
namespace {

const Json kAllSections = Json::array(
    {"overview", "proactive", "applications", "reviews_litigation", "problems", "other"});

Json Row7(int a, int b, int c, int d, int e, int f, int g) {
  return Json::array({a, b, c, d, e, f, g});
}
Json Zeros7() { return Row7(0, 0, 0, 0, 0, 0, 0); }
Json Zeros5() { return Json::array({0, 0, 0, 0, 0}); }

// Findings of severity error or warning, for the message of a failed expectation.
std::string Alerts(const Json& j) {
  std::string out;
  for (const auto& f : j["findings"]) {
    if (f["severity"] != "info") out += f.dump() + "\n";
  }
  return out;
}

std::multiset<std::string> RuleSet(const Json& j) {
  std::multiset<std::string> out;
  for (const auto& f : j["findings"]) out.insert(f["rule"].get<std::string>());
  return out;
}

// ---- word_2019_utf8.html: seed 001 as a Word-exported TRS page ----

TEST(HtmlReport, WordExport2019IsReadAndInOrder) {
  Json j = ParseToJson(ReadFixture("html/word_2019_utf8.html"));
  const Json& r = j["report"];
  EXPECT_EQ(r["source"]["media_type"], "text/html");
  EXPECT_EQ(r["source"]["charset"], "utf-8");
  // The two title lines at the top of the TRS_Editor body.
  EXPECT_EQ(r["title"], "重庆市渝北区洛碛镇人民政府2020年政府信息公开工作年度报告");
  EXPECT_EQ(r["organization"], "重庆市渝北区洛碛镇人民政府");
  EXPECT_EQ(r["year"], 2020);
  EXPECT_EQ(r["template"], "2019");
  // The signature's 2021年1月19日 wins over the page's 发布日期：2021-01-20.
  EXPECT_EQ(r["published_on"], "2021-01-19");
  EXPECT_EQ(r["sections"], kAllSections);

  const Json& p = r["proactive"];
  EXPECT_EQ(p["regulations"], Json({{"made", 0}, {"published", 0}, {"total", 0}}));
  // Complete in the HTML version (the seed lost the last cell).
  EXPECT_EQ(p["normative_documents"], Json({{"made", 1}, {"published", 1}, {"total", 1}}));
  EXPECT_EQ(p["licensing"], Json({{"previous", 11}, {"change", 0}, {"decisions", 156}}));
  EXPECT_EQ(p["other_services"], Json({{"previous", 75}, {"change", 0}, {"decisions", 192}}));
  EXPECT_EQ(p["penalty"], Json({{"previous", 8}, {"change", 0}, {"decisions", 2}}));
  EXPECT_EQ(p["coercion"], Json({{"previous", 4}, {"change", 0}, {"decisions", 0}}));
  EXPECT_EQ(p["fees"], Json({{"previous", 0}, {"change", 0}}));               // 0 with colspan=2
  EXPECT_EQ(p["procurement"], Json({{"projects", 20}, {"amount_wan", 40}}));  // "40万"

  const Json& a = r["applications"];
  ASSERT_TRUE(a.is_object());
  EXPECT_EQ(a.size(), 23u);
  EXPECT_EQ(a["new"], Zeros7());
  EXPECT_EQ(a["carried_over"], Zeros7());
  EXPECT_EQ(a["disclosed"], Zeros7());
  // （三）不予公开 rows: 社会公益组织 and 法律服务机构 are blank cells: null, never 0.
  const Json blanks = Json::array({0, 0, 0, nullptr, nullptr, 0, 0});
  for (std::string key : {"withheld.state_secret", "withheld.prohibited", "withheld.three_safeties",
                          "withheld.third_party", "withheld.internal", "withheld.process",
                          "withheld.enforcement_file", "withheld.query"}) {
    EXPECT_EQ(a[key], blanks) << key;
  }
  EXPECT_EQ(a["unavailable.unclear"], Zeros7());
  EXPECT_EQ(a["not_processed.reconfirm"], Zeros7());
  EXPECT_EQ(a["other"], Zeros7());
  EXPECT_EQ(a["total"], Zeros7());
  EXPECT_EQ(a["carried_forward"], Zeros7());

  const Json& rl = r["reviews_litigation"];
  EXPECT_EQ(rl["review"], Zeros5());
  EXPECT_EQ(rl["litigation_direct"], Zeros5());
  EXPECT_EQ(rl["litigation_after_review"], Zeros5());

  // "2020年我镇主动公开政府信息共183条"; "本年度我镇未收到依申请政府信息".
  EXPECT_EQ(r["narrative"]["proactive_total"], 183);
  EXPECT_EQ(r["narrative"]["applications_received"], 0);
  ASSERT_TRUE(r["problems"].is_string());
  EXPECT_EQ(r["problems"].get<std::string>().rfind("（一）工作中存在的主要问题和困难。", 0), 0u);
  EXPECT_EQ(r["other_matters"],
            "本报告电子版可在重庆市渝北区洛碛镇人民政府门户网站下载。如对本报告有任何疑问，请与"
            "重庆市渝北区洛碛镇党政办联系（地址：重庆市渝北区洛碛镇人民政府大楼二楼，联系电话："
            "023-67381653）。");

  EXPECT_EQ(CountSeverity(j, "error"), 0) << Alerts(j);
  EXPECT_EQ(CountSeverity(j, "warning"), 0) << Alerts(j);
}

// ---- gbk_meta.html: seed 004 in GBK under <meta charset="gb2312"> ----

void ExpectWangdian(const Json& j) {
  const Json& r = j["report"];
  EXPECT_EQ(r["source"]["charset"], "gb18030");
  EXPECT_EQ(r["title"], "王店镇2020年度政府信息公开工作年度报告");
  EXPECT_EQ(r["organization"], "王店镇");
  EXPECT_EQ(r["year"], 2020);
  EXPECT_EQ(r["template"], "2019");
  // No signature in the report: the page's 发布日期：2021-01-25.
  EXPECT_EQ(r["published_on"], "2021-01-25");
  EXPECT_EQ(r["sections"], kAllSections);

  const Json& p = r["proactive"];
  EXPECT_EQ(p["regulations"], Json({{"made", 0}, {"published", 0}, {"total", 0}}));
  EXPECT_EQ(p["fees"], Json({{"previous", 0}, {"change", 0}}));
  EXPECT_EQ(p["procurement"], Json({{"projects", 41}, {"amount_wan", 108}}));  // "108万元"

  const Json& a = r["applications"];
  EXPECT_EQ(a["new"], Row7(2, 0, 0, 0, 0, 0, 2));
  EXPECT_EQ(a["carried_over"], Zeros7());
  EXPECT_EQ(a["disclosed"], Row7(1, 0, 0, 0, 0, 0, 1));
  EXPECT_EQ(a["partially_disclosed"], Zeros7());
  EXPECT_EQ(a["unavailable.not_held"], Row7(1, 0, 0, 0, 0, 0, 1));
  EXPECT_EQ(a["total"], Row7(2, 0, 0, 0, 0, 0, 2));
  EXPECT_EQ(a["carried_forward"], Zeros7());
  EXPECT_EQ(r["reviews_litigation"]["litigation_after_review"], Zeros5());

  // "累计公开政务信息396条"; "我镇受理依申请公开2件".
  EXPECT_EQ(r["narrative"]["proactive_total"], 396);
  EXPECT_EQ(r["narrative"]["applications_received"], 2);
  EXPECT_EQ(r["other_matters"], "无");

  EXPECT_EQ(CountSeverity(j, "error"), 0) << Alerts(j);
  EXPECT_EQ(CountSeverity(j, "warning"), 0) << Alerts(j);
}

TEST(HtmlReport, GbkPageWithMetaGb2312) {
  ExpectWangdian(ParseToJson(ReadFixture("html/gbk_meta.html")));
}

TEST(HtmlReport, GbkPageWithContentTypeHeader) {
  ExpectWangdian(ParseToJson(ReadFixture("html/gbk_meta.html"), "text/html; charset=GBK"));
}

TEST(HtmlReport, GbkPageWithoutDeclarationIsDetectedAndIsNotAReport) {
  Json j = ParseToJson(ReadFixture("html/gbk_nometa.html"));
  EXPECT_EQ(j["report"]["source"]["charset"], "gb18030");
  EXPECT_EQ(j["report"]["source"]["media_type"], "text/html");
  EXPECT_EQ(RuleSet(j), std::multiset<std::string>{"meta.not_a_report"});
}

// ---- form_2021.html: a report on 2021 in the 2021 form ----

TEST(HtmlReport, Form2021IsReadAndInOrder) {
  Json j = ParseToJson(ReadFixture("html/form_2021.html"), "text/html; charset=utf-8",
                       "https://www.example.gov.cn/zwgk/zfxxgknb/202201/t20220121_1.html");
  const Json& r = j["report"];
  EXPECT_EQ(r["source"]["url"], "https://www.example.gov.cn/zwgk/zfxxgknb/202201/t20220121_1.html");
  EXPECT_EQ(r["title"], "青禾县自然资源局2021年政府信息公开工作年度报告");
  EXPECT_EQ(r["organization"], "青禾县自然资源局");
  EXPECT_EQ(r["year"], 2021);
  EXPECT_EQ(r["template"], "2021");
  EXPECT_EQ(r["published_on"], "2022-01-20");
  EXPECT_EQ(r["sections"], kAllSections);

  const Json& p = r["proactive"];
  ASSERT_TRUE(p.is_object());
  EXPECT_EQ(p.size(), 6u) << "the 2021 form has six rows in section 二";
  EXPECT_EQ(p["regulations"], Json({{"issued", 0}, {"repealed", 0}, {"in_force", 0}}));
  EXPECT_EQ(p["normative_documents"], Json({{"issued", 3}, {"repealed", 1}, {"in_force", 12}}));
  EXPECT_EQ(p["licensing"], Json({{"decisions", 186}}));
  EXPECT_EQ(p["penalty"], Json({{"decisions", 27}}));
  EXPECT_EQ(p["coercion"], Json({{"decisions", 3}}));  // full-width ３
  EXPECT_EQ(p["fees"], Json({{"amount_wan", 12.5}}));

  const Json& a = r["applications"];
  ASSERT_TRUE(a.is_object());
  EXPECT_EQ(a.size(), 25u) << "the 2021 form has 25 rows in section 三";
  EXPECT_EQ(a["new"], Row7(14, 3, 0, 1, 2, 0, 20));
  EXPECT_EQ(a["carried_over"], Row7(2, 1, 0, 0, 0, 0, 3));
  EXPECT_EQ(a["disclosed"], Row7(6, 2, 0, 1, 1, 0, 10));
  EXPECT_EQ(a["partially_disclosed"], Row7(2, 0, 0, 0, 0, 0, 2));
  EXPECT_EQ(a["withheld.third_party"], Row7(1, 0, 0, 0, 0, 0, 1));
  EXPECT_EQ(a["withheld.query"], Zeros7());
  EXPECT_EQ(a["unavailable.not_held"], Row7(3, 1, 0, 0, 0, 0, 4));
  EXPECT_EQ(a["unavailable.needs_creation"], Zeros7());
  EXPECT_EQ(a["unavailable.unclear"], Row7(1, 0, 0, 0, 0, 0, 1));
  EXPECT_EQ(a["not_processed.petition"], Row7(1, 0, 0, 0, 0, 0, 1));
  EXPECT_EQ(a["other.no_correction"], Row7(1, 0, 0, 0, 0, 0, 1));
  EXPECT_EQ(a["other.unpaid_fee"], Zeros7());
  EXPECT_EQ(a["other.other"], Zeros7());
  EXPECT_EQ(a["total"], Row7(15, 3, 0, 1, 1, 0, 20));  // full-width １５
  EXPECT_EQ(a["carried_forward"], Row7(1, 1, 0, 0, 1, 0, 3));
  EXPECT_FALSE(a.contains("other")) << "the 2019 form's single （六） row";

  const Json& rl = r["reviews_litigation"];
  EXPECT_EQ(rl["review"], Json::array({1, 0, 0, 1, 2}));
  EXPECT_EQ(rl["litigation_direct"], Json::array({1, 0, 0, 0, 1}));
  EXPECT_EQ(rl["litigation_after_review"], Zeros5());

  // "我局主动公开政府信息1236条"; "共收到政府信息公开申请20件".
  EXPECT_EQ(r["narrative"]["proactive_total"], 1236);
  EXPECT_EQ(r["narrative"]["applications_received"], 20);
  EXPECT_EQ(r["other_matters"], "本年度我局未收取信息处理费。");

  EXPECT_EQ(CountSeverity(j, "error"), 0) << Alerts(j);
  EXPECT_EQ(CountSeverity(j, "warning"), 0) << Alerts(j);
}

// ---- faults_2019.html: exactly the faults listed at its top ----

TEST(HtmlReport, FaultsAreFoundAndNothingElse) {
  Json j = ParseToJson(ReadFixture("html/faults_2019.html"));
  const Json& r = j["report"];
  EXPECT_EQ(r["title"], "青禾县柳塘镇2020年政府信息公开工作年度报告");
  EXPECT_EQ(r["organization"], "青禾县柳塘镇");
  EXPECT_EQ(r["year"], 2020);
  EXPECT_EQ(r["template"], "2019");
  EXPECT_EQ(r["published_on"], "2021-03-15");
  EXPECT_EQ(r["sections"], kAllSections);
  EXPECT_EQ(r["proactive"]["other_services"],
            Json({{"previous", 6}, {"change", 1}, {"decisions", nullptr}}));  // "+1", "约50"
  EXPECT_EQ(r["proactive"]["procurement"], Json({{"projects", 4}, {"amount_wan", 32.6}}));
  EXPECT_EQ(r["applications"]["total"], Json::array({5, 2, 0, 0, 0, 0, nullptr}));
  EXPECT_EQ(r["narrative"]["applications_received"], 7);

  EXPECT_EQ(RuleSet(j),
            (std::multiset<std::string>{"applications.row_total", "applications.outcome_total",
                                        "applications.balance", "reviews.total",
                                        "structure.bad_value", "meta.published_late"}))
      << j["findings"].dump(1);

  auto one = [&](const std::string& rule) {
    auto f = FindingsOf(j, rule);
    EXPECT_EQ(f.size(), 1u) << rule;
    return f.empty() ? Json::object() : f[0];
  };
  Json row_total = one("applications.row_total");
  EXPECT_EQ(row_total["path"], "applications.partially_disclosed[6]");
  EXPECT_EQ(row_total["expected"], 1);
  EXPECT_EQ(row_total["actual"], 2);
  EXPECT_EQ(row_total["severity"], "error");

  Json outcome = one("applications.outcome_total");
  EXPECT_EQ(outcome["path"], "applications.total[1]");
  EXPECT_EQ(outcome["expected"], 1);
  EXPECT_EQ(outcome["actual"], 2);

  Json balance = one("applications.balance");
  EXPECT_EQ(balance["path"], "applications.total[2]");
  EXPECT_EQ(balance["expected"], 1);
  EXPECT_EQ(balance["actual"], 0);

  Json reviews = one("reviews.total");
  EXPECT_EQ(reviews["path"], "reviews_litigation.review[4]");
  EXPECT_EQ(reviews["expected"], 1);
  EXPECT_EQ(reviews["actual"], 2);

  Json bad = one("structure.bad_value");
  EXPECT_EQ(bad["path"], "proactive.other_services.decisions");  // a path into the record
  EXPECT_NE(bad["message"].get<std::string>().find("约50"), std::string::npos);

  Json late = one("meta.published_late");
  EXPECT_EQ(late["severity"], "warning");
  EXPECT_EQ(late["path"], "published_on");
  EXPECT_EQ(late["organization"], "青禾县柳塘镇");
}

// ---- not_a_report.html ----

TEST(HtmlReport, PortalNoticeIsNotAReport) {
  Json j = ParseToJson(ReadFixture("html/not_a_report.html"));
  EXPECT_EQ(RuleSet(j), std::multiset<std::string>{"meta.not_a_report"});
  EXPECT_TRUE(j["report"]["proactive"].is_null());
  EXPECT_TRUE(j["report"]["applications"].is_null());
  EXPECT_TRUE(j["report"]["reviews_litigation"].is_null());
  // Its title is the notice's; its opening sentence, which mentions the report, is prose.
  EXPECT_EQ(j["report"]["title"], "关于做好2021年度政府信息公开工作年度报告编制发布工作的通知");
  EXPECT_EQ(j["report"]["organization"], "青禾县人民政府办公室");  // the signature
}

// ---- A page cut short ----

TEST(HtmlReport, TruncatedPageKeepsWhatWasRead) {
  // form_2021.html cut inside section 三's table, in the row of 3.要求提供公开出版物: the
  // rows above it are read, the rows after it are missing, nothing is guessed.
  std::string page = ReadFixture("html/form_2021.html");
  size_t cut = page.find("3.要求提供公开出版物");
  ASSERT_NE(cut, std::string::npos);
  Json j = ParseToJson(page.substr(0, cut));
  const Json& a = j["report"]["applications"];
  EXPECT_EQ(a["new"], Row7(14, 3, 0, 1, 2, 0, 20));
  EXPECT_EQ(a["not_processed.petition"], Row7(1, 0, 0, 0, 0, 0, 1));
  EXPECT_TRUE(a["total"].is_null());
  EXPECT_TRUE(a["carried_forward"].is_null());
  EXPECT_GE(CountRule(j, "structure.row_missing"), 1);
  EXPECT_EQ(CountRule(j, "applications.balance"), 0) << "no sums over rows that are absent";
  EXPECT_EQ(CountRule(j, "meta.not_a_report"), 0);
}

}  // namespace
}  // namespace nianbao::parser::testing
