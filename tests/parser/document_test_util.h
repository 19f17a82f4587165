// What the tests of the document readers share: the record of a document read through the
// public facade (Parse(), as the daemon reads it) compared with its HTML version's, whose
// golden values html_report_test.cc reads from the HTML; and the document's blocks as text
// for the message of a failed expectation.
#pragma once

#include <set>
#include <string>

#include "parser/document.h"
#include "tests/parser/test_util.h"

namespace nianbao::parser::testing {

inline Json Row7(int a, int b, int c, int d, int e, int f, int g) {
  return Json::array({a, b, c, d, e, f, g});
}

// The rule ids of a parse's findings, as a multiset: the same findings in any order.
inline std::multiset<std::string> RuleSet(const Json& j) {
  std::multiset<std::string> out;
  for (const auto& f : j["findings"]) out.insert(f["rule"].get<std::string>());
  return out;
}

// The parts of a record that come from the report's text (not its source), and the findings.
inline void ExpectSameReport(const Json& document, const Json& html, const std::string& blocks) {
  for (const char* key :
       {"title", "organization", "year", "template", "published_on", "sections", "proactive",
        "applications", "reviews_litigation", "narrative", "other_matters"}) {
    EXPECT_EQ(document["report"][key], html["report"][key]) << key << "\n" << blocks;
  }
  EXPECT_EQ(RuleSet(document), RuleSet(html)) << document["findings"].dump(1);
}

// The blocks of a document as text, for the message of a failed expectation.
inline std::string DumpBlocks(const Document& doc) {
  std::string out;
  for (const Block& b : doc.blocks) {
    if (b.kind == Block::Kind::kParagraph) {
      out += "P: " + b.text + "\n";
      continue;
    }
    out += "T:\n";
    for (const Row& r : b.table.rows) {
      out += "  |";
      for (const Cell& c : r) out += (c.span_copy ? "~" : "") + c.text + "|";
      out += "\n";
    }
  }
  return out;
}

}  // namespace nianbao::parser::testing
