// Helpers shared by the parser tests: load a fixture, parse it, look at the JSON output.
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "parser/parser.h"
#include "parser/record_json.h"

namespace nianbao::parser::testing {

using Json = nlohmann::ordered_json;

inline std::string ReadFixture(const std::string& relative) {
  std::ifstream in(std::string(NIANBAO_FIXTURES) + "/" + relative, std::ios::binary);
  EXPECT_TRUE(in.good()) << "missing fixture " << relative;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Parses bytes through the public facade and returns {"report":…, "findings":[…]}.
inline Json ParseToJson(const std::string& bytes, const std::string& content_type = "",
                        const std::string& url = "") {
  ParseInput in;
  in.bytes = bytes;
  in.content_type = content_type;
  in.url = url;
  auto out = Parse(in);
  EXPECT_TRUE(out.ok()) << out.status().ToString();
  if (!out.ok()) return Json::object();
  return ToJson(out.value());
}

inline std::vector<std::string> RuleIds(const Json& j) {
  std::vector<std::string> ids;
  for (const auto& f : j["findings"]) ids.push_back(f["rule"].get<std::string>());
  return ids;
}

inline int CountRule(const Json& j, const std::string& rule) {
  int n = 0;
  for (const auto& f : j["findings"]) n += f["rule"] == rule ? 1 : 0;
  return n;
}

// Findings of a rule, e.g. to check their paths.
inline std::vector<Json> FindingsOf(const Json& j, const std::string& rule) {
  std::vector<Json> out;
  for (const auto& f : j["findings"]) {
    if (f["rule"] == rule) out.push_back(f);
  }
  return out;
}

inline int CountSeverity(const Json& j, const std::string& severity) {
  int n = 0;
  for (const auto& f : j["findings"]) n += f["severity"] == severity ? 1 : 0;
  return n;
}

}  // namespace nianbao::parser::testing
