// Bad input through the public facade: a clear error or meta.not_a_report, never a crash, a
// hang or a guessed value. (HTML-specific hostile markup is in html_reader_test.cc.)
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>

#include "parser/rules.h"
#include "tests/parser/test_util.h"

namespace nianbao::parser::testing {
namespace {

Result<ParseOutput> ParseBytes(const std::string& bytes, std::size_t max_bytes = 16u << 20) {
  ParseInput in;
  in.bytes = bytes;
  ParseOptions options;
  options.max_bytes = max_bytes;
  return Parse(in, options);
}

TEST(BadInput, EmptyFileIsNotAReport) {
  Json j = ParseToJson("");
  EXPECT_EQ(RuleIds(j), std::vector<std::string>{"meta.not_a_report"});
  EXPECT_TRUE(j["report"]["title"].is_null());
  EXPECT_TRUE(j["report"]["proactive"].is_null());
}

TEST(BadInput, BinaryGarbageIsNotAReport) {
  std::mt19937 rng(42);
  std::string bytes(256 * 1024, '\0');
  for (auto& c : bytes) c = static_cast<char>(rng() & 0xFF);
  Json j = ParseToJson(bytes);
  EXPECT_EQ(RuleIds(j), std::vector<std::string>{"meta.not_a_report"});
  // Whatever was decoded, the record is valid UTF-8 JSON.
  EXPECT_NO_THROW((void)j.dump());
}

TEST(BadInput, OverTheSizeLimitIsAClearError) {
  std::string big(50u << 20, 'a');  // a 50 MB page
  auto out = ParseBytes(big);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), Status::Code::kTooLarge);
  EXPECT_NE(out.status().message().find("limit"), std::string::npos);
  // The limit is the caller's to set.
  EXPECT_FALSE(ParseBytes(std::string(2000, 'a'), 1000).ok());
  EXPECT_TRUE(ParseBytes(std::string(1000, 'a'), 1000).ok());
}

TEST(BadInput, TruncatedReportKeepsWhatWasThereAndReportsWhatIsNot) {
  std::string seed = ReadFixture("seeds/001_0b0786dd1ab9e5a0.txt");
  // Cut inside section 三, after （二）部分公开's row.
  std::string cut = seed.substr(0, seed.find("（三）不予公开"));
  Json j = ParseToJson(cut);
  const Json& r = j["report"];
  EXPECT_EQ(r["proactive"]["licensing"]["decisions"], 156);
  EXPECT_EQ(r["applications"]["new"], Json::array({0, 0, 0, 0, 0, 0, 0}));
  EXPECT_TRUE(r["applications"]["withheld.state_secret"].is_null());
  // 23 rows in the 2019 form, 4 before the cut.
  EXPECT_EQ(CountRule(j, "structure.row_missing"), 19);
  EXPECT_EQ(CountRule(j, "structure.section_missing"), 3);  // 四, 五, 六
}

TEST(BadInput, InvalidUtf8InAReportIsReplacedNotFatal) {
  std::string seed = ReadFixture("seeds/002_1b2a9a261b4cd27b.txt");
  seed.insert(seed.find("五、存在的主要问题"), "\xff\xfe\xc3(\n\n");
  Json j = ParseToJson(seed, "text/plain; charset=utf-8");
  EXPECT_TRUE(j["report"]["problems"].is_string());
  EXPECT_NO_THROW((void)j.dump());
}

TEST(BadInput, HugeTablesAndLinesStayLinear) {
  // 200,000 one-cell rows and a 4 MB line of prose: must finish quickly (RE2 is linear).
  std::string rows;
  for (int i = 0; i < 200000; ++i) rows += "\t0\n\n";
  Json j = ParseToJson("一、总体情况\n" + rows);
  EXPECT_EQ(CountRule(j, "meta.not_a_report"), 1);

  std::string prose = "一、总体情况\n";
  for (int i = 0; i < 200000; ++i) prose += "主动公开政府信息1条，其中";
  prose += "\n二、主动公开政府信息情况\n";
  Json k = ParseToJson(prose);
  EXPECT_EQ(k["report"]["narrative"]["proactive_total"], 1);
}

TEST(BadInput, AbsurdCellsAreBadValuesNotNumbers) {
  std::string text =
      "某某镇2020年政府信息公开工作年度报告\n一、总体情况\n二、主动公开政府信息情况\n"
      "第二十条第（一）项\t\t\t\n信息内容\t本年新制作数量\t本年新公开数量\t对外公开总数量\n"
      "规章\t1e9\t0x10\t１２３４５６７８９０１２３４５６７８９\n";
  Json j = ParseToJson(text);
  auto bad = FindingsOf(j, "structure.bad_value");
  EXPECT_EQ(bad.size(), 3u) << j["findings"].dump(1);
  EXPECT_TRUE(j["report"]["proactive"]["regulations"]["made"].is_null());
}

// Deterministic mutations of the seeds (cut, repeat, splice, inject separators and bytes):
// every output must serialise, use only rule ids of the table, and keep cells numeric or null.
TEST(BadInput, MutatedSeedsNeverBreakTheContract) {
  const std::vector<std::string> seeds = {
      ReadFixture("seeds/000_d4e73e73a1b7a1d3.txt"), ReadFixture("seeds/001_0b0786dd1ab9e5a0.txt"),
      ReadFixture("seeds/002_1b2a9a261b4cd27b.txt"), ReadFixture("seeds/003_aca0974fc56c86c8.txt"),
      ReadFixture("seeds/004_192eb0e593407763.txt")};
  const std::vector<std::string> injections = {"\t",   "\n",   "\n\n", "|",  "（",
                                               "一、", "总计", "\xe5", "\0", "---\t---\n"};
  std::mt19937 rng(20210131);
  for (int iteration = 0; iteration < 400; ++iteration) {
    std::string s = seeds[rng() % seeds.size()];
    int edits = 1 + static_cast<int>(rng() % 8);
    for (int e = 0; e < edits && !s.empty(); ++e) {
      size_t pos = rng() % s.size();
      size_t len = std::min<size_t>(rng() % 400, s.size() - pos);
      switch (rng() % 4) {
        case 0:
          s.erase(pos, len);
          break;
        case 1:
          s.insert(pos, s.substr(pos, len));
          break;
        case 2:
          s.insert(pos, injections[rng() % injections.size()]);
          break;
        default:
          s[pos] = static_cast<char>(rng() & 0xFF);
          break;
      }
    }
    Json j = ParseToJson(s);
    ASSERT_NO_THROW((void)j.dump()) << "iteration " << iteration;
    for (const auto& f : j["findings"]) {
      ASSERT_NE(FindRule(f["rule"].get<std::string>()), nullptr) << f.dump();
    }
    const Json& apps = j["report"]["applications"];
    if (apps.is_object()) {
      for (const auto& [key, row] : apps.items()) {
        if (row.is_null()) continue;
        ASSERT_EQ(row.size(), 7u) << key;
        for (const auto& v : row) ASSERT_TRUE(v.is_null() || v.is_number_integer()) << key;
      }
    }
  }
}

}  // namespace
}  // namespace nianbao::parser::testing
