// The reports of tests/fixtures/html as an editor's Word documents (tests/fixtures/documents,
// made by its make.sh with LibreOffice): read through the facade, they give the same values
// and the same findings as their HTML versions. The expected values are those of
// html_report_test.cc, read by eye from the HTML fixtures; the document has no page around
// it, so only what the report's own text says is expected (no 发布日期 of a page).
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "tests/parser/document_test_util.h"

namespace nianbao::parser::testing {
namespace {

const Json kAllSections = Json::array(
    {"overview", "proactive", "applications", "reviews_litigation", "problems", "other"});

Json Zeros7() { return Row7(0, 0, 0, 0, 0, 0, 0); }
Json Zeros5() { return Json::array({0, 0, 0, 0, 0}); }

constexpr const char* kDocx =
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
constexpr const char* kDoc = "application/msword";

// html/form_2021.html's report: in order, 2021 form.
void ExpectForm2021(const Json& j) {
  const Json& r = j["report"];
  EXPECT_EQ(r["title"], "青禾县自然资源局2021年政府信息公开工作年度报告");
  EXPECT_EQ(r["organization"], "青禾县自然资源局");
  EXPECT_EQ(r["year"], 2021);
  EXPECT_EQ(r["template"], "2021");
  EXPECT_EQ(r["published_on"], "2022-01-20");
  EXPECT_EQ(r["sections"], kAllSections);

  const Json& p = r["proactive"];
  ASSERT_TRUE(p.is_object()) << j.dump(1);
  EXPECT_EQ(p.size(), 6u);
  EXPECT_EQ(p["regulations"], Json({{"issued", 0}, {"repealed", 0}, {"in_force", 0}}));
  EXPECT_EQ(p["normative_documents"], Json({{"issued", 3}, {"repealed", 1}, {"in_force", 12}}));
  EXPECT_EQ(p["licensing"], Json({{"decisions", 186}}));
  EXPECT_EQ(p["penalty"], Json({{"decisions", 27}}));
  EXPECT_EQ(p["coercion"], Json({{"decisions", 3}}));  // full-width ３
  EXPECT_EQ(p["fees"], Json({{"amount_wan", 12.5}}));

  const Json& a = r["applications"];
  ASSERT_TRUE(a.is_object());
  EXPECT_EQ(a.size(), 25u);
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

  const Json& rl = r["reviews_litigation"];
  EXPECT_EQ(rl["review"], Json::array({1, 0, 0, 1, 2}));
  EXPECT_EQ(rl["litigation_direct"], Json::array({1, 0, 0, 0, 1}));
  EXPECT_EQ(rl["litigation_after_review"], Zeros5());

  EXPECT_EQ(r["narrative"]["proactive_total"], 1236);
  EXPECT_EQ(r["narrative"]["applications_received"], 20);
  EXPECT_EQ(r["other_matters"], "本年度我局未收取信息处理费。");
  EXPECT_EQ(CountSeverity(j, "error"), 0) << j["findings"].dump(1);
  EXPECT_EQ(CountSeverity(j, "warning"), 0) << j["findings"].dump(1);
}

// html/faults_2019.html's report: exactly the faults listed at its top.
void ExpectFaults2019(const Json& j) {
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
  auto path_of = [&](const std::string& rule) {
    auto f = FindingsOf(j, rule);
    return f.size() == 1 ? f[0]["path"] : Json();
  };
  EXPECT_EQ(path_of("applications.row_total"), "applications.partially_disclosed[6]");
  EXPECT_EQ(path_of("applications.outcome_total"), "applications.total[1]");
  EXPECT_EQ(path_of("applications.balance"), "applications.total[2]");
  EXPECT_EQ(path_of("reviews.total"), "reviews_litigation.review[4]");
  EXPECT_EQ(path_of("structure.bad_value"), "proactive.other_services.decisions");
}

TEST(DocumentReport, Form2021Docx) {
  Json j = ParseToJson(ReadFixture("documents/form_2021.docx"));
  EXPECT_EQ(j["report"]["source"]["media_type"], kDocx);
  EXPECT_EQ(j["report"]["source"]["charset"], "utf-8");
  ExpectForm2021(j);
}

TEST(DocumentReport, Faults2019Docx) {
  Json j = ParseToJson(ReadFixture("documents/faults_2019.docx"));
  EXPECT_EQ(j["report"]["source"]["media_type"], kDocx);
  ExpectFaults2019(j);
}

TEST(DocumentReport, DocxNamedDocServedAsOctetStream) {
  Json j =
      ParseToJson(ReadFixture("documents/form_2021_docx_named.doc"), "application/octet-stream");
  EXPECT_EQ(j["report"]["source"]["media_type"], kDocx);
  ExpectForm2021(j);
}

TEST(DocumentReport, Form2021Doc) {
  Json j = ParseToJson(ReadFixture("documents/form_2021.doc"), "application/msword");
  EXPECT_EQ(j["report"]["source"]["media_type"], kDoc);
  EXPECT_EQ(j["report"]["source"]["charset"], "utf-16le");
  ExpectForm2021(j);
}

TEST(DocumentReport, Faults2019Doc) {
  Json j = ParseToJson(ReadFixture("documents/faults_2019.doc"));
  EXPECT_EQ(j["report"]["source"]["media_type"], kDoc);
  ExpectFaults2019(j);
}

TEST(DocumentReport, Faults2019Wps) {
  Json j = ParseToJson(ReadFixture("documents/faults_2019.wps"), "application/octet-stream");
  EXPECT_EQ(j["report"]["source"]["media_type"], kDoc);
  ExpectFaults2019(j);
}

}  // namespace
}  // namespace nianbao::parser::testing
