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

#include <string>
#include <string_view>
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

// When an organisation's report on `year` is due (条例 第四十九条, the table kDeadlines in
// rules.cc, by the suffix of the name once 人民政府 is dropped): 31 January of the next year
// for a department, office, agency, town or street; 31 March for the consolidated report of
// a county-level or higher government on its region (省, 市, 区, 县, 自治州, 旗, …), and for a
// name the table cannot classify (no alert without cause); 31 March for every body on 2018
// and earlier (2008 条例 第三十一条). meta.published_late and the daemon's report.missing use it.
struct ReportDeadline {
  std::string date;       // "YYYY-MM-DD"
  std::string_view kind;  // "town", "department", "regional government", … ("report": unknown)
  bool consolidated = false;  // a government's consolidated report (31 March)
};
ReportDeadline DeadlineOf(std::string_view organization, int year);

// Runs every record-level rule (arithmetic, narrative, meta) and appends its findings.
void RunRules(const RuleInput& in, std::vector<Finding>* findings);

}  // namespace nianbao::parser
