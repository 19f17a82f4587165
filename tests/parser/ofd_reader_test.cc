// The OFD reader on the fixtures that make_ofd.py lays out from the HTML fixtures
// (form_2021.ofd with ruled table borders, faults_2019.ofd without): the same record and
// findings as the HTML version, whose golden values html_report_test.cc reads from the HTML.
// Hostile containers and XML (make_ofd.py --bad) end in a clear error naming the format.
#include "parser/ofd_reader.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "tests/parser/document_test_util.h"

namespace nianbao::parser::testing {
namespace {

TEST(OfdReader, Form2021ReadsAsItsHtmlVersion) {
  std::string bytes = ReadFixture("documents/form_2021.ofd");
  auto read = ReadOfd(bytes, ReaderLimits{});
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  const Document& doc = read.value();
  EXPECT_EQ(doc.media_type, "application/ofd");
  EXPECT_FALSE(doc.image_only);
  Json j = ParseToJson(bytes);
  const Json& r = j["report"];
  EXPECT_EQ(r["source"]["media_type"], "application/ofd");
  EXPECT_EQ(r["title"], "青禾县自然资源局2021年政府信息公开工作年度报告");
  EXPECT_EQ(r["published_on"], "2022-01-20");
  EXPECT_EQ(r["proactive"]["fees"], Json({{"amount_wan", 12.5}}));
  const Json& a = r["applications"];
  EXPECT_EQ(a["new"], Row7(14, 3, 0, 1, 2, 0, 20));
  EXPECT_EQ(a["partially_disclosed"], Row7(2, 0, 0, 0, 0, 0, 2));
  EXPECT_EQ(a["unavailable.not_held"], Row7(3, 1, 0, 0, 0, 0, 4));
  EXPECT_EQ(a["total"], Row7(15, 3, 0, 1, 1, 0, 20));
  EXPECT_EQ(r["reviews_litigation"]["litigation_direct"], Json::array({1, 0, 0, 0, 1}));
  EXPECT_EQ(CountSeverity(j, "error"), 0) << j["findings"].dump(1) << DumpBlocks(doc);
  EXPECT_EQ(CountSeverity(j, "warning"), 0) << j["findings"].dump(1);
  ExpectSameReport(j, ParseToJson(ReadFixture("html/form_2021.html")), DumpBlocks(doc));
}

TEST(OfdReader, Faults2019WithoutRulesGivesTheFindingsOfItsHtmlVersion) {
  std::string bytes = ReadFixture("documents/faults_2019.ofd");
  auto read = ReadOfd(bytes, ReaderLimits{});
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  Json j = ParseToJson(bytes);
  EXPECT_EQ(j["report"]["applications"]["total"], Json::array({5, 2, 0, 0, 0, 0, nullptr}));
  EXPECT_EQ(RuleSet(j),
            (std::multiset<std::string>{"applications.row_total", "applications.outcome_total",
                                        "applications.balance", "reviews.total",
                                        "structure.bad_value", "meta.published_late"}))
      << j["findings"].dump(1) << DumpBlocks(read.value());
  ExpectSameReport(j, ParseToJson(ReadFixture("html/faults_2019.html")), DumpBlocks(read.value()));
}

void ExpectOfdError(const std::string& bytes, const ReaderLimits& limits, const std::string& why) {
  auto doc = ReadOfd(bytes, limits);
  ASSERT_FALSE(doc.ok()) << why;
  std::string msg = doc.status().message();
  EXPECT_EQ(msg.rfind("OFD: ", 0), 0u) << msg;
  EXPECT_NE(msg.find(why), std::string::npos) << msg;
}

TEST(OfdReader, ZipBombStopsAtTheInflatedBytesLimit) {
  // bomb.ofd: a page of 8 MiB of spaces in a 9 KB file.
  ReaderLimits limits;
  limits.max_inflated_bytes = 1u << 20;
  ExpectOfdError(ReadFixture("documents/bomb.ofd"), limits, "inflated bytes");
}

TEST(OfdReader, TooManyEntriesAreRefused) {
  ReaderLimits limits;
  limits.max_zip_entries = 4;  // form_2021.ofd has 8
  ExpectOfdError(ReadFixture("documents/form_2021.ofd"), limits, "entries");
}

TEST(OfdReader, XmlNested100000LevelsIsRefusedBeforeParsing) {
  ExpectOfdError(ReadFixture("documents/deep.ofd"), ReaderLimits{}, "nests its XML deeper");
}

TEST(OfdReader, EntitiesOfADtdAreNotExpanded) {
  // entities.ofd: &lol9; would be 10^9 "lol"s. pugixml leaves it unexpanded: the page's text
  // is the reference as written, a few bytes.
  std::string bytes = ReadFixture("documents/entities.ofd");
  auto doc = ReadOfd(bytes, ReaderLimits{});
  if (!doc.ok()) {
    EXPECT_EQ(doc.status().message().rfind("OFD: ", 0), 0u) << doc.status().ToString();
    return;
  }
  size_t text = 0;
  for (const Block& b : doc.value().blocks) text += b.text.size();
  EXPECT_LT(text, 100u) << DumpBlocks(doc.value());
}

TEST(OfdReader, TruncatedZipIsAClearError) {
  ExpectOfdError(ReadFixture("documents/truncated_2021.ofd"), ReaderLimits{}, "ZIP");
}

TEST(OfdReader, NotAZipIsAClearError) {
  ExpectOfdError("", ReaderLimits{}, "not an OFD");
  ExpectOfdError("%PDF-1.7\n", ReaderLimits{}, "not an OFD");
  ExpectOfdError(std::string("PK\x03\x04", 4) + std::string(200, 'x'), ReaderLimits{}, "ZIP");
}

TEST(OfdReader, PagesBeyondTheLimitAreNotRead) {
  ReaderLimits limits;
  limits.max_pages = 1;
  auto doc = ReadOfd(ReadFixture("documents/form_2021.ofd"), limits);
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  std::string all = DumpBlocks(doc.value());
  EXPECT_NE(all.find("一、总体情况"), std::string::npos);
  EXPECT_EQ(all.find("六、其他需要报告的事项"), std::string::npos) << all;
}

}  // namespace
}  // namespace nianbao::parser::testing
