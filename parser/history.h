// The rules across years (spec rules.md, history.*): one organisation's report on year N
// against its report on year N−1.
//
//   ParseOutput (year N−1) ──► SummarizeYear ──► YearSummary ─┐
//   ParseOutput (year N)   ──► SummarizeYear ──► YearSummary ─┴─► CheckAcrossYears ──► findings
//                                                                  (they go with year N)
//
// A YearSummary holds only what the checks need (the cells compared, the prose of sections 一
// and 五, the report's identity), so that a caller that sees the two years at different times
// (the daemon, a backfill) can keep last year's summary instead of last year's page:
// YearSummaryToJson / YearSummaryFromJson give it a stored form. The checks themselves are
// data: kCellPairs in history.cc lists the cells compared, kBoilerplate the sentences that
// every report must carry and that do not count as copied.
//
// Which reports are one organisation's: OrganizationKey (the record's organisation with the
// place names before the last one dropped). A caller with better knowledge (a source's own
// key) may set YearSummary::organization_key itself.
//
// Pure: no I/O, no logging. Threading: safe from any thread; no shared state.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "parser/parser.h"
#include "parser/record.h"

namespace nianbao::parser {

// The key that tells one organisation's reports from another's: the organisation's name
// without spaces and without the place names that precede the last one, so that
// 重庆市渝北区洛碛镇人民政府 and 洛碛镇人民政府 give 洛碛镇人民政府, and 重庆市渝北区财政局
// gives 渝北区财政局. A place name is two to eight characters before a suffix of the
// administrative divisions (省, 市, 区, 县, 自治州, 镇, 乡, 街道, … : history.cc
// kPlaceSuffixes). "" for an empty name.
std::string OrganizationKey(std::string_view organization);

// What the rules across years need of one report.
struct YearSummary {
  std::string organization_key;             // OrganizationKey(record.organization)
  std::optional<std::string> organization;  // as the report writes it, for messages
  std::optional<int> year;
  Template form = Template::kUnknown;
  std::string report_id;
  std::optional<std::string> url;
  // The rows the checks compare (history.cc kCellPairs), by record path, with their cells in
  // the record's column order: "applications.carried_over" and "applications.carried_forward"
  // (7 cells), "proactive.licensing" … (上一年项目数量, 本年增/减, …). A row the report lacks
  // is absent.
  std::map<std::string, Cells> rows;
  std::string overview;  // the prose of section 一, one paragraph per line
  std::string problems;  // the prose of section 五
};

// The summary of a parse. A document that is not a report (is_report false) gives a summary
// with an empty organization_key, which no check pairs.
YearSummary SummarizeYear(const ParseOutput& output);

// The findings on `current` (year N) against `previous` (year N−1): history.carried_over,
// history.previous_items, history.text_copied. Empty unless both have the same non-empty
// organization_key and previous.year + 1 == current.year. Each finding's path names the cell
// (or section) of year N's record; its message names both years' values.
std::vector<Finding> CheckAcrossYears(const YearSummary& previous, const YearSummary& current);

// The share of `current`'s prose that repeats `previous`'s, by the measure text_copied uses
// (character shingles once digits and boilerplate are set aside); nullopt when `current` has
// too little prose of its own to judge. Exposed for tests and for tuning.
std::optional<double> CopiedShare(std::string_view previous, std::string_view current);

// The stored form of a summary (an object; every field present, null when absent), and back.
nlohmann::json YearSummaryToJson(const YearSummary& summary);
Result<YearSummary> YearSummaryFromJson(const nlohmann::json& json);

}  // namespace nianbao::parser
