// The daemon's memory of each organisation across years, as the state keeps it: for every
// organisation key on a source, each year's latest delivered report (the summary the rules
// across years need, parser/history.h, in its stored JSON form), the reports found missing
// after their deadline (report.missing) and whether each turned up later (report.found_late),
// and when the daemon started watching each source.
//
// Plain values and one interface (a seam between ingest, which decides, and the crawler's
// StateStore, which keeps). Owned by the daemon with the rest of the state. Threading: every
// call on the event-loop thread, like the VersionLedger.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"

namespace nianbao {

// One organisation's report on one year, as last delivered.
struct YearEntry {
  std::string source;
  std::string organization_key;
  int year = 0;
  std::string report_id;
  std::string url;
  int64_t version = 0;  // the record's version delivered with this summary
  std::string summary;  // parser::YearSummaryToJson, dumped
};

// A report that had not come by its deadline (and grace): one report.missing per organisation
// and year on a source.
struct MissingReport {
  std::string source;
  std::string organization_key;
  std::string organization;  // as last year's report wrote it
  int year = 0;
  std::string deadline;     // "YYYY-MM-DD"
  bool sent = false;        // report.missing reached every sink (else it is sent again)
  bool found_late = false;  // report.found_late reached every sink with the report
};

class ReportHistory {
 public:
  virtual ~ReportHistory() = default;
  // The entry of (source, key, year); nullopt when none.
  virtual Result<std::optional<YearEntry>> GetYear(const std::string& source,
                                                   const std::string& organization_key,
                                                   int year) = 0;
  // Every entry of a source (their summaries included), by key and year.
  virtual Result<std::vector<YearEntry>> YearsOf(const std::string& source) = 0;
  // Records the entry (replacing the one of its source, key and year) and, in the same
  // transaction, marks a report.missing of that year as found late when `found_late`.
  virtual Status PutYear(const YearEntry& entry, bool found_late) = 0;
  // The report.missing of (source, key, year); nullopt when none was ever raised.
  virtual Result<std::optional<MissingReport>> GetMissing(const std::string& source,
                                                          const std::string& organization_key,
                                                          int year) = 0;
  virtual Result<std::vector<MissingReport>> MissingOf(const std::string& source) = 0;
  // Inserts or replaces the row (written ahead with sent = false, then again with sent).
  virtual Status PutMissing(const MissingReport& missing) = 0;
  // When the daemon first watched `source` (unix seconds): recorded as `now` on the first
  // call, returned unchanged on every later one.
  virtual Result<int64_t> WatchedSince(const std::string& source, int64_t now) = 0;
};

}  // namespace nianbao
