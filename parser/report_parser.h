// Report parser: a Document (paragraphs and grid tables) into a Record and the structural
// findings (structure.*) that reading it produced.
//
// It walks the blocks once, in order. Paragraphs are section headings (labels.h, matched
// after normalisation, numbered or not) or prose of the current section. Table rows are
// recognised by their labels wherever they appear, so a report that lost a heading (seed 003
// lost 三's) still has its rows placed; a row that lost its line break and swallowed the next
// row's label (seed 001) is split at that label. Cells are read by text_util's ReadCell;
// nothing unreadable becomes 0.
//
// Pure. Threading: safe from any thread; each call is independent.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "parser/document.h"
#include "parser/record.h"

namespace nianbao::parser {

struct ParsedReport {
  Record record;                  // report_id and source are left for the caller to fill
  std::vector<Finding> findings;  // structure.* findings
  // Evidence the rules need that the record does not carry.
  std::optional<int> title_year;
  std::optional<int> period_year;  // 统计期限自YYYY年…
  std::string overview_text;       // prose before section 二, one paragraph per line
  int recognised_rows = 0;         // table rows placed into the record
  int headings_found = 0;          // numbered section headings seen
};

ParsedReport ParseDocument(const Document& doc);

}  // namespace nianbao::parser
