// The validation rules of spec rules.md as data: one table of ids, severities and what each
// checks, and the one way to make a finding (MakeFinding), so that a finding's severity can only
// come from the table.
//
// This header is the bottom of the parser's rule layer: the report parser (structure.*), the
// narrative reader (narrative.parts_sum/conflict) and the record-level checks (rules.h) all
// make their findings through it, and it depends on nothing but record.h.
//
// Pure data. Threading: immutable, safe from any thread.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "parser/record.h"

namespace nianbao::parser {

struct RuleSpec {
  std::string_view id;
  Severity severity;
  std::string_view fires_when;  // one line, as in rules.md
};

std::span<const RuleSpec> Rules();
const RuleSpec* FindRule(std::string_view id);  // nullptr for an unknown id

// REQUIRES: rule is an id of the table (checked: an unknown id is a programming error).
Finding MakeFinding(std::string_view rule, std::optional<std::string> path, std::string message,
                    std::optional<double> expected = std::nullopt,
                    std::optional<double> actual = std::nullopt);

std::string_view SeverityName(Severity s);

// How the checks compare two values (apart by more than rounding noise) and write one in a
// message (integers without a fraction). Shared by the rules of one report and those across
// years, so that both say "17" for the same cell.
bool ValuesDiffer(double a, double b);
std::string FormatValue(double v);

}  // namespace nianbao::parser
