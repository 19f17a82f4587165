// The record-level rules of spec rules.md: the arithmetic, narrative and metadata checks that
// run over a finished record. Their ids and severities live in rule_table.h with every other
// rule's; this file holds only the checks.
//
// Structural rules (structure.*) fire while the report parser reads the document, and
// narrative.parts_sum/conflict while the prose is read. In the sums a null cell counts as 0;
// a rule whose compared total is null, or whose compared parts are all null, stays quiet, and
// so does a sum over a row whose cells could not be told apart (structure.cells_merged).
//
// Pure. Threading: safe from any thread.
#pragma once

#include <vector>

#include "parser/narrative.h"
#include "parser/record.h"
#include "parser/report_parser.h"
#include "parser/rule_table.h"

namespace nianbao::parser {

// What a record-level check sees: the parsed report and the facts read from its prose.
struct RuleInput {
  const ParsedReport& parsed;
  const NarrativeFacts& narrative;
};

// Runs every record-level rule (arithmetic, narrative, meta) and appends its findings.
void RunRules(const RuleInput& in, std::vector<Finding>* findings);

}  // namespace nianbao::parser
