// The PDF reader on the fixtures of tests/fixtures/documents (made by make_pdf.sh from the HTML
// fixtures): the same report gives the same record and findings as its HTML version, whose
// golden values tests/parser/html_report_test.cc reads from the HTML; bad PDFs give a clear
// error naming the format.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "parser/pdf_reader.h"
#include "tests/parser/document_test_util.h"

namespace nianbao::parser::testing {
namespace {

Json Row7(int a, int b, int c, int d, int e, int f, int g) {
  return Json::array({a, b, c, d, e, f, g});
}

std::multiset<std::string> RuleSet(const Json& j) {
  std::multiset<std::string> out;
  for (const auto& f : j["findings"]) out.insert(f["rule"].get<std::string>());
  return out;
}

Document ReadPdfFixture(const std::string& name, std::string* bytes) {
  *bytes = ReadFixture("documents/" + name);
  auto doc = ReadPdf(*bytes, ReaderLimits{});
  EXPECT_TRUE(doc.ok()) << doc.status().ToString();
  return doc.ok() ? doc.value() : Document{};
}

// The parts of a record that come from the report's text (not its source).
void ExpectSameReport(const Json& pdf, const Json& html, const std::string& blocks) {
  for (const char* key : {"title", "organization", "year", "template", "published_on",
                          "sections", "proactive", "applications", "reviews_litigation",
                          "narrative", "other_matters"}) {
    EXPECT_EQ(pdf["report"][key], html["report"][key]) << key << "\n" << blocks;
  }
  EXPECT_EQ(RuleSet(pdf), RuleSet(html)) << pdf["findings"].dump(1);
}

TEST(PdfReader, Form2021ReadsAsItsHtmlVersion) {
  std::string bytes;
  Document doc = ReadPdfFixture("form_2021.pdf", &bytes);
  EXPECT_EQ(doc.media_type, "application/pdf");
  EXPECT_FALSE(doc.image_only);
  Json j = ReadDocumentToJson(doc, bytes);
  const Json& r = j["report"];
  EXPECT_EQ(r["source"]["media_type"], "application/pdf");
  // The golden values of html_report_test.cc's Form2021IsReadAndInOrder.
  EXPECT_EQ(r["title"], "青禾县自然资源局2021年政府信息公开工作年度报告");
  EXPECT_EQ(r["year"], 2021);
  EXPECT_EQ(r["template"], "2021");
  EXPECT_EQ(r["published_on"], "2022-01-20");
  EXPECT_EQ(r["proactive"]["normative_documents"],
            Json({{"issued", 3}, {"repealed", 1}, {"in_force", 12}}));
  EXPECT_EQ(r["proactive"]["coercion"], Json({{"decisions", 3}}));  // full-width ３
  EXPECT_EQ(r["proactive"]["fees"], Json({{"amount_wan", 12.5}}));
  const Json& a = r["applications"];
  EXPECT_EQ(a["new"], Row7(14, 3, 0, 1, 2, 0, 20));
  EXPECT_EQ(a["partially_disclosed"], Row7(2, 0, 0, 0, 0, 0, 2));  // label over two lines
  EXPECT_EQ(a["withheld.third_party"], Row7(1, 0, 0, 0, 0, 0, 1));
  EXPECT_EQ(a["unavailable.unclear"], Row7(1, 0, 0, 0, 0, 0, 1));
  EXPECT_EQ(a["other.no_correction"], Row7(1, 0, 0, 0, 0, 0, 1));
  EXPECT_EQ(a["total"], Row7(15, 3, 0, 1, 1, 0, 20));  // full-width １５
  EXPECT_EQ(a["carried_forward"], Row7(1, 1, 0, 0, 1, 0, 3));
  EXPECT_EQ(r["reviews_litigation"]["review"], Json::array({1, 0, 0, 1, 2}));
  EXPECT_EQ(r["narrative"]["proactive_total"], 1236);
  EXPECT_EQ(CountSeverity(j, "error"), 0) << j["findings"].dump(1) << DumpBlocks(doc);
  EXPECT_EQ(CountSeverity(j, "warning"), 0) << j["findings"].dump(1);

  ExpectSameReport(j, ParseToJson(ReadFixture("html/form_2021.html")), DumpBlocks(doc));
}

TEST(PdfReader, Faults2019GivesTheFindingsOfItsHtmlVersion) {
  std::string bytes;
  Document doc = ReadPdfFixture("faults_2019.pdf", &bytes);
  Json j = ReadDocumentToJson(doc, bytes);
  const Json& r = j["report"];
  // The golden values of html_report_test.cc's FaultsAreFoundAndNothingElse.
  EXPECT_EQ(r["title"], "青禾县柳塘镇2020年政府信息公开工作年度报告");
  EXPECT_EQ(r["template"], "2019");
  EXPECT_EQ(r["published_on"], "2021-03-15");
  EXPECT_EQ(r["proactive"]["procurement"], Json({{"projects", 4}, {"amount_wan", 32.6}}));
  EXPECT_EQ(r["applications"]["total"], Json::array({5, 2, 0, 0, 0, 0, nullptr}));
  EXPECT_EQ(RuleSet(j),
            (std::multiset<std::string>{"applications.row_total", "applications.outcome_total",
                                        "applications.balance", "reviews.total",
                                        "structure.bad_value", "meta.published_late"}))
      << j["findings"].dump(1) << DumpBlocks(doc);

  ExpectSameReport(j, ParseToJson(ReadFixture("html/faults_2019.html")), DumpBlocks(doc));
}

}  // namespace
}  // namespace nianbao::parser::testing
