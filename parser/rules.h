// The validation rules of spec rules.md: one table of ids, severities and what each checks.
//
// Structural rules (structure.*) fire while the report parser reads the document; the
// arithmetic, narrative and metadata rules run here over the finished record. Every rule's
// severity lives only in the table below, so a finding is always made through MakeFinding().
// In the sums a null cell counts as 0; a rule whose compared total is null stays quiet.
//
// Pure. Threading: safe from any thread.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "parser/narrative.h"
#include "parser/record.h"
#include "parser/report_parser.h"

namespace nianbao::parser {

// What a record-level check sees: the parsed report and the facts read from its prose.
struct RuleInput {
  const ParsedReport& parsed;
  const NarrativeFacts& narrative;
};
using RuleCheck = void (*)(const RuleInput& in, std::vector<Finding>* out);

struct RuleSpec {
  std::string_view id;
  Severity severity;
  std::string_view fires_when;  // one line, as in rules.md
  // The record-level check; nullptr for rules that fire while the document is read
  // (structure.*, narrative.parts_sum/conflict, meta.not_a_report).
  RuleCheck check;
};

std::span<const RuleSpec> Rules();
const RuleSpec* FindRule(std::string_view id);  // nullptr for an unknown id

// REQUIRES: rule is an id of the table (checked: an unknown id is a programming error).
Finding MakeFinding(std::string_view rule, std::optional<std::string> path, std::string message,
                    std::optional<double> expected = std::nullopt,
                    std::optional<double> actual = std::nullopt);

// Runs every record-level rule (arithmetic, narrative, meta) and appends its findings.
void RunRules(const RuleInput& in, std::vector<Finding>* findings);

std::string_view SeverityName(Severity s);

}  // namespace nianbao::parser
