// Regression tests for what fuzzing found in the crawler (docs/RELIABILITY.md, "Fuzzing"); the
// parser's are in tests/parser/fuzz_regression_test.cc.
#include <gtest/gtest.h>

#include <string>

#include "crawler/sources.h"

namespace nianbao::crawler {
namespace {

constexpr std::string_view kSource = R"toml([[source]]
name = "a"
entry = ["https://www.example.gov.cn/xxgk/zfxxgknb/"]
)toml";

std::string Repeat(std::string_view unit, size_t times) {
  std::string out;
  out.reserve(unit.size() * times);
  for (size_t i = 0; i < times; ++i) out.append(unit);
  return out;
}

// fuzz_sources, probed with a deep key: toml++ recursed once per segment of a dotted key and
// overflowed the stack (SIGSEGV, so the daemon died on SIGHUP instead of keeping its old
// sources) from 50,000 segments, a 100 KB file; under ASan from fewer.
TEST(FuzzRegressionCrawler, DeepDottedKeyIsAnErrorNotACrash) {
  for (const std::string& text :
       {std::string(kSource) + Repeat("a.", 200000) + "b = 1\n",
        std::string(kSource) + "[" + Repeat("a.", 200000) + "b]\n",
        std::string(kSource) + "x = { " + Repeat("a . ", 200000) + "b = 1 }\n"}) {
    auto result = ParseSources(text, "deep.toml");
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.status().code(), Status::Code::kInvalidArgument);
    EXPECT_EQ(result.status().message().rfind("deep.toml:4: more than 1000 '.'", 0), 0u)
        << result.status().message();
  }
}

TEST(FuzzRegressionCrawler, DotsInStringsAndCommentsDoNotCount) {
  std::string hosts;
  for (int i = 0; i < 400; ++i) {
    hosts += (i ? ", " : "") + std::string("\"h") + std::to_string(i) + ".example.gov.cn\"";
  }
  const std::string text = std::string(kSource) + "allow_hosts = [" + hosts + "]  # " +
                           Repeat(".", 2000) + "\n" + "report_text = '''" + Repeat(".", 2000) +
                           "\n" + Repeat(".", 2000) + "''''\n" + "exclude_text = \"\\\"" +
                           Repeat(".", 2000) + "\"\n";
  auto result = ParseSources(text, "dots.toml");
  ASSERT_TRUE(result.ok()) << result.status().message();
  ASSERT_EQ(result.value().sources.size(), 1u);
  EXPECT_EQ(result.value().sources[0].allow_hosts.size(), 400u);
  EXPECT_EQ(result.value().sources[0].report_text.size(), 4002u);  // ends with "\n" and "'"
}

// A key nested as deep as the limit allows is still toml++'s to judge.
TEST(FuzzRegressionCrawler, KeyAtTheLimitIsParsed) {
  auto result = ParseSources(std::string(kSource) + Repeat("a.", 1000) + "b = 1\n", "x.toml");
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("unknown key"), std::string::npos)
      << result.status().message();
}

}  // namespace
}  // namespace nianbao::crawler
