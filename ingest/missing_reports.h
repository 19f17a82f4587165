// Which reports never came (report.missing, docs/rules.md): from what the history holds for
// one source, the organisations that had a report for year N−1 and have none for year N once
// year N's deadline (parser::DeadlineOf) and the grace period have passed.
//
// Dates are calendar days in China Standard Time (UTC+8), where the deadlines are set.
//
// Pure: a function of its arguments. Threading: safe from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "base/history.h"

namespace nianbao::ingest {

struct MissingPolicy {
  // Days after the deadline before a report is called missing. Default 14.
  int grace_days = 14;
  // Also report the years that were already past due when the daemon started watching the
  // source (its first pass); by default those are never reported. Default false.
  bool before_watch = false;
};

// The calendar day of `t` in China Standard Time, as "YYYY-MM-DD".
std::string ChinaDate(std::chrono::system_clock::time_point t);

// The report.missing due now on one source: for every organisation key, each year N−1 with an
// entry and no entry for N, when `today` is after N's deadline + grace, unless `known` holds a
// sent report.missing of that key and year, and (without before_watch) unless the deadline +
// grace had passed before `watched_since` (unix seconds). One MissingReport each (sent false),
// with the organisation as year N−1's report wrote it.
std::vector<MissingReport> DueMissing(const std::vector<YearEntry>& years,
                                      const std::vector<MissingReport>& known,
                                      std::chrono::system_clock::time_point today,
                                      int64_t watched_since, const MissingPolicy& policy);

}  // namespace nianbao::ingest
