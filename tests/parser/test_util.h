// Helpers shared by the parser tests: load a fixture, parse it, look at the JSON output.
#pragma once

#include <gtest/gtest.h>
#include <time.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "parser/parser.h"
#include "parser/record_json.h"

namespace nianbao::parser::testing {

using Json = nlohmann::ordered_json;

// The tests that guard against quadratic blow-ups (a page that once took minutes) bound the
// time of one call. They bound this thread's CPU time, not the wall clock, so that a loaded
// machine (CI runs two test processes per core) does not fail them, and divide it by the
// slowdown of a sanitized build, so that one bound holds in every stage: a blow-up is 100x
// the bound, an unlucky schedule never is.
class CpuTimer {
 public:
  CpuTimer() : start_(Now()) {}
  // CPU seconds of this thread since construction, as an unsanitized build would spend them.
  double Seconds() const { return (Now() - start_) / kSanitizerSlowdown; }

 private:
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  static constexpr double kSanitizerSlowdown = 4.0;
#else
  static constexpr double kSanitizerSlowdown = 1.0;
#endif
  static double Now() {
    timespec ts{};
    EXPECT_EQ(clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts), 0);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
  }
  double start_;
};

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
