// The daemon's side of the rules across years (docs/rules.md, "In the daemon"), shared by the
// status updater (a page fetched) and `nianbao reparse` (a page read again from the archive):
// the organisation key a report's years are kept under on a source, a kept summary read back,
// and the findings of a report against its organisation's year before.
//
// Pure functions over the caller's ReportHistory (base/history.h); called on the thread that
// owns that history (the daemon's loop thread, the reparse command's main thread).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/history.h"
#include "base/status.h"
#include "parser/history.h"
#include "parser/record.h"

namespace nianbao::ingest {

// The key a report's years are kept under: `key`, or the key of the organisation the source's
// organization_aliases (name -> name, docs/sources.md) map it to.
std::string AliasedKey(const std::string& key, const std::map<std::string, std::string>& aliases);

// A kept summary, or nullopt for one this build cannot read (it is overwritten when that
// year's report is read again).
std::optional<parser::YearSummary> StoredSummary(const YearEntry& entry);

// The findings of `summary` (organisation key aliased already) against the report of the year
// before kept on `source`; none when there is none, it is this report, or it cannot be read.
Result<std::vector<parser::Finding>> AgainstYearBefore(ReportHistory& history,
                                                       const std::string& source,
                                                       const parser::YearSummary& summary,
                                                       const std::string& report_id);

}  // namespace nianbao::ingest
