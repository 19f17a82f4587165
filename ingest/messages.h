// Kafka messages exactly as spec record-v1.md describes them: topics, keys, values and
// headers (schema, event, content-type and the CloudEvents 1.0 binary-mode attributes).
//
// ce_id is unique per event and stable across redelivery: a hash of report_id, the event
// type and the report's version number (and the finding's rule and path), so a consumer can
// drop the duplicates that at-least-once delivery brings, and a revert to earlier content
// (a new version) is never taken for one. The record carries `version`, each finding
// `report_version`.
//
// Pure. Threading: safe from any thread.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "base/history.h"
#include "base/page.h"
#include "parser/history.h"
#include "parser/parser.h"
#include "sinks/sink.h"

namespace nianbao::ingest {

struct Topics {
  std::string reports = "nianbao.reports";
  std::string findings = "nianbao.findings";
  std::string fetches = "nianbao.fetches";
  std::string sources = "nianbao.sources";
};

// kReparsed: `nianbao reparse` read the archived page again with another parser and the
// content changed (app/reparse_command.h).
enum class ReportEvent { kPublished, kRevised, kReparsed };

// The record and its findings, one batch: published together or not at all. The record
// carries `version`, `fingerprint` (parser::ContentFingerprint of `output`) and
// `parser_version` (parser/version.h); a report.reparsed record also
// `previous_parser_version`: the parser that read the page before, null when not known.
sinks::Batch ReportBatch(const Topics& topics, const std::string& source,
                         const parser::ParseOutput& output, ReportEvent event, int64_t version,
                         const std::string& fingerprint,
                         std::chrono::system_clock::time_point fetched_at,
                         const std::optional<ArchiveRef>& archive = std::nullopt,
                         const std::optional<std::string>& previous_parser_version = std::nullopt);

// The event's name: "report.published", "report.revised", "report.reparsed".
std::string ReportEventName(ReportEvent event);

// report.withdrawn on the reports topic: the page of a delivered report is gone (schema
// nianbao.withdrawal.v1): its report_id, URL, version, the SHA-256 of the last page read
// with its content, and what the portal answered instead.
sinks::Batch WithdrawnBatch(const Topics& topics, const GonePage& gone, int64_t version,
                            const std::string& last_sha256);

// One fetch attempt, keyed by its canonical URL.
sinks::Batch FetchBatch(const Topics& topics, const FetchLogEntry& fetch);

// A source's health after a pass (source.ok / unreachable / blocked / stale). `node`: in a
// cluster (docs/cluster.md) the node that polled the source, the event's field `node`; ""
// leaves the field out.
sinks::Batch SourceBatch(const Topics& topics, const SourcePassStats& stats,
                         std::chrono::system_clock::time_point at, const std::string& node = "");

// Findings across years found when year N−1 arrives after year N (docs/rules.md): they belong
// to year N's record, so each goes to the findings topic keyed by `current.report_id` with
// `report_version` = current.version, event header "findings.across_years"; they travel in
// year N−1's batch. `previous` (year N−1's report id and version) makes the ce_ids stable
// across a redelivery of that batch.
std::vector<sinks::Message> AcrossYearsMessages(const Topics& topics, const std::string& source,
                                                const YearEntry& current,
                                                const parser::YearSummary& current_summary,
                                                const std::string& previous_report_id,
                                                int64_t previous_version,
                                                const std::vector<parser::Finding>& findings,
                                                std::chrono::system_clock::time_point at);

// report.missing on the sources topic, keyed by source (schema nianbao.missing.v1): an
// organisation that had a report for year N−1 has none for year N past the deadline and the
// grace period. `last` is its report on year N−1. ce_id from source, key and year only: the
// same event sent again (not acknowledged the first time) has the same id.
sinks::Batch MissingBatch(const Topics& topics, const MissingReport& missing, const YearEntry& last,
                          std::chrono::system_clock::time_point at);

// report.found_late on the sources topic, keyed by source (schema nianbao.found_late.v1): the
// report of a report.missing turned up; it travels in the report's batch.
sinks::Message FoundLateMessage(const Topics& topics, const MissingReport& missing,
                                const parser::Record& record,
                                std::chrono::system_clock::time_point at);
// source.moved on the sources topic: a `portal =` source's column is elsewhere than at its
// last pass (stats.moved_from / moved_to, '\n'-joined URLs): the health fields of the pass,
// plus column_before and column_after (arrays of URLs).
sinks::Batch SourceMovedBatch(const Topics& topics, const SourcePassStats& stats,
                              std::chrono::system_clock::time_point at,
                              const std::string& node = "");

// RFC 3339 in UTC with milliseconds: "2021-01-19T02:00:00.000Z".
std::string Rfc3339(std::chrono::system_clock::time_point t);

}  // namespace nianbao::ingest
