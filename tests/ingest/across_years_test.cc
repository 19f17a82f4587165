// The rules across years as the daemon and `nianbao reparse` both apply them
// (ingest/across_years.h): the aliased key, a kept summary read back, and the findings of a
// report against the year before. The pair qingshi_2020 / qingshi_2021_faulty of
// tests/fixtures/history: 2021's 二、上年结转 (其他, 总计) differs from 2020's 四、结转下年度, and
// its section 五 is 2020's word for word (parser/history_test.cc reads them).
#include "ingest/across_years.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "parser/parser.h"
#include "tests/ingest/memory_history.h"

namespace nianbao::ingest {
namespace {

parser::YearSummary SummaryOfFixture(const std::string& name, const std::string& url) {
  std::ifstream in(std::string(NIANBAO_FIXTURES) + "/history/" + name, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  parser::ParseInput input;
  input.bytes = text;
  input.url = url;
  auto out = parser::Parse(input);
  EXPECT_TRUE(out.ok()) << name;
  return out.ok() ? parser::SummarizeYear(out.value()) : parser::YearSummary{};
}

YearEntry Kept(const parser::YearSummary& s, const std::string& report_id) {
  return YearEntry{
      "s", s.organization_key, *s.year, report_id, "u", 1, parser::YearSummaryToJson(s).dump()};
}

TEST(AcrossYears, AnAliasMapsANameToTheKeyOfAnother) {
  const std::map<std::string, std::string> aliases = {{"白河镇人民政府", "东山县青石镇人民政府"}};
  EXPECT_EQ(AliasedKey(parser::OrganizationKey("白河镇人民政府"), aliases),
            parser::OrganizationKey("东山县青石镇人民政府"));
  EXPECT_EQ(AliasedKey("黑山镇人民政府", aliases), "黑山镇人民政府");
  EXPECT_EQ(AliasedKey("黑山镇人民政府", {}), "黑山镇人民政府");
}

TEST(AcrossYears, AKeptSummaryReadsBackUnderItsEntrysKeyAndAnUnreadableOneIsNone) {
  parser::YearSummary s = SummaryOfFixture("qingshi_2020.txt", "http://qs.gov.cn/2020.html");
  ASSERT_EQ(s.year, 2020);
  YearEntry e = Kept(s, "r2020");
  e.organization_key = "another key";
  auto back = StoredSummary(e);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->organization_key, "another key");
  EXPECT_EQ(back->year, 2020);
  e.summary = "{not json";
  EXPECT_FALSE(StoredSummary(e).has_value());
  e.summary = "[1, 2]";
  EXPECT_FALSE(StoredSummary(e).has_value());
}

TEST(AcrossYears, TheFindingsAgainstTheYearBeforeComeOnlyFromAnotherReportOfThatYear) {
  testing::MemoryHistory history;
  parser::YearSummary y2020 = SummaryOfFixture("qingshi_2020.txt", "http://qs.gov.cn/2020.html");
  parser::YearSummary y2021 =
      SummaryOfFixture("qingshi_2021_faulty.txt", "http://qs.gov.cn/2021.html");
  ASSERT_EQ(y2020.organization_key, y2021.organization_key);

  // Nothing kept for 2020 yet.
  auto none = AgainstYearBefore(history, "s", y2021, "r2021");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none.value().empty());

  history.years[{"s", y2020.organization_key, 2020}] = Kept(y2020, "r2020");
  auto found = AgainstYearBefore(history, "s", y2021, "r2021");
  ASSERT_TRUE(found.ok());
  int carried = 0, copied = 0;
  for (const auto& f : found.value()) {
    carried += f.rule == "history.carried_over";
    copied += f.rule == "history.text_copied";
  }
  EXPECT_EQ(carried, 2);
  EXPECT_EQ(copied, 1);

  // On another source, or when the kept year is this very report: nothing.
  EXPECT_TRUE(AgainstYearBefore(history, "other", y2021, "r2021").value().empty());
  EXPECT_TRUE(AgainstYearBefore(history, "s", y2021, "r2020").value().empty());
}

}  // namespace
}  // namespace nianbao::ingest
