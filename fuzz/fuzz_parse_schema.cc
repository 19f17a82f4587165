// Fuzz target: the contract of the parser's output, not only its survival. Input as for
// fuzz_parse (first byte: Content-Type and URL; rest: the page). The JSON line must follow
// schemas/parse-output.v1 (with report.v1 and finding.v1), and every finding must be tied to
// its record as tests/parser/schema_test.cc checks for the fixtures: the record's report_id,
// source_url, organization and year, and a path that exists in the record.
//
// valijson makes this ~10x slower than fuzz_parse, so it mostly replays fuzz_parse's corpus:
//   build-fuzz/fuzz/fuzz_parse_schema -runs=0 build-fuzz/corpus/fuzz_parse
// (scripts/fuzz.sh does that after fuzzing), and is fuzzed on its own only for a while.

// valijson reports a bad schema by calling abort() unless exceptions are enabled.
#define VALIJSON_USE_EXCEPTIONS 1

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include "fuzz/fuzz_check.h"
#include "fuzz/parse_input.h"
#include "parser/parser.h"
#include "parser/record_json.h"
#include "tests/support/json_schema.h"

namespace {

using Json = nlohmann::json;  // the document type of valijson's nlohmann adapter

using nianbao::testing::LoadSchema;

// Loaded once, read-only afterwards.
const valijson::Schema& ParseOutputSchema() {
  static const std::unique_ptr<valijson::Schema> schema = LoadSchema("parse-output.v1.schema.json");
  return *schema;
}

// "" when the document follows the schema, else the first errors.
std::string Validate(const valijson::Schema& schema, const Json& doc) {
  valijson::Validator validator(valijson::Validator::kStrongTypes);
  valijson::ValidationResults results;
  if (validator.validate(schema, valijson::adapters::NlohmannJsonAdapter(doc), &results)) return "";
  std::string out;
  valijson::ValidationResults::Error error;
  for (int n = 0; n < 8 && results.popError(error); ++n) {
    for (const auto& part : error.context) out += part;
    out += ": " + error.description + "\n";
  }
  return out.empty() ? "invalid" : out;
}

// Whether a finding's path ("applications.withheld.state_secret[3]") names a node of the
// record; keys may contain dots, so the longest key that fits is taken at each object.
bool PathExists(const Json& record, const std::string& path) {
  const Json* node = &record;
  size_t pos = 0;
  while (pos < path.size()) {
    if (path[pos] == '[') {
      const size_t close = path.find(']', pos);
      if (close == std::string::npos || close == pos + 1 || !node->is_array()) return false;
      size_t index = 0;
      for (size_t k = pos + 1; k < close; ++k) {
        if (path[k] < '0' || path[k] > '9' || k - pos > 9) return false;
        index = index * 10 + static_cast<size_t>(path[k] - '0');
      }
      if (index >= node->size()) return false;
      node = &(*node)[index];
      pos = close + 1;
      continue;
    }
    if (pos > 0) {
      if (path[pos] != '.') return false;
      ++pos;
    }
    if (!node->is_object()) return false;
    std::string best;
    for (const auto& item : node->items()) {
      const std::string& key = item.key();
      const size_t end = pos + key.size();
      if (key.size() > best.size() && path.compare(pos, key.size(), key) == 0 &&
          (end == path.size() || path[end] == '.' || path[end] == '[')) {
        best = key;
      }
    }
    if (best.empty()) return false;
    node = &(*node)[best];
    pos += best.size();
  }
  return true;
}

// valijson measures strings as C strings, so "\u0000年报" fails minLength 1. The contract
// says nothing about control characters (text input can put U+0000 into a title; see
// docs/RELIABILITY.md), so NULs are made visible to valijson as U+FFFD. Records nest a few
// levels deep, so the recursion is bounded.
void ReplaceNuls(Json* node) {
  if (node->is_string()) {
    std::string& s = node->get_ref<std::string&>();
    if (s.find('\0') == std::string::npos) return;
    std::string out;
    for (char c : s) out += c == '\0' ? std::string_view("\xEF\xBF\xBD") : std::string_view(&c, 1);
    s = std::move(out);
  } else if (node->is_structured()) {
    for (auto& child : *node) ReplaceNuls(&child);
  }
}

[[noreturn]] void Violation(const std::string& what, const Json& line) {
  std::fprintf(stderr, "%s\nline: %.4000s\n", what.c_str(), line.dump().c_str());
  nianbao::fuzz::Fail("parse output breaks its contract");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace parser = nianbao::parser;
  if (size == 0) return 0;
  const parser::ParseInput input = nianbao::fuzz::ParseInputFrom(data, size);

  auto result = parser::Parse(input);
  nianbao::fuzz::Check(result.ok(), "Parse failed below max_bytes");
  // Through text, as a consumer of the Kafka topic sees it.
  Json line = Json::parse(parser::ToJson(result.value()).dump());
  ReplaceNuls(&line);

  if (std::string errors = Validate(ParseOutputSchema(), line); !errors.empty()) {
    Violation("not parse-output.v1:\n" + errors, line);
  }
  const Json& report = line["report"];
  const Json source_url = report["source"]["url"];
  for (const Json& f : line["findings"]) {
    const std::string rule = f["rule"].get<std::string>();
    if (f["report_id"] != report["report_id"]) Violation(rule + ": report_id differs", line);
    if (f["source_url"] != source_url) Violation(rule + ": source_url differs", line);
    if (f["organization"] != report["organization"]) Violation(rule + ": organization", line);
    if (f["year"] != report["year"]) Violation(rule + ": year differs", line);
    if (f["path"].is_string() && !PathExists(report, f["path"].get<std::string>())) {
      Violation(rule + ": path " + f["path"].get<std::string>() + " is not in the record", line);
    }
  }
  return 0;
}
