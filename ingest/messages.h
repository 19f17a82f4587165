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

#include "base/page.h"
#include "parser/parser.h"
#include "sinks/sink.h"

namespace nianbao::ingest {

struct Topics {
  std::string reports = "nianbao.reports";
  std::string findings = "nianbao.findings";
  std::string fetches = "nianbao.fetches";
  std::string sources = "nianbao.sources";
};

enum class ReportEvent { kPublished, kRevised };

// The record and its findings, one batch: published together or not at all. The record
// carries `version` and `fingerprint` (parser::ContentFingerprint of `output`).
sinks::Batch ReportBatch(const Topics& topics, const std::string& source,
                         const parser::ParseOutput& output, ReportEvent event, int64_t version,
                         const std::string& fingerprint,
                         std::chrono::system_clock::time_point fetched_at,
                         const std::optional<ArchiveRef>& archive = std::nullopt);

// report.withdrawn on the reports topic: the page of a delivered report is gone (schema
// nianbao.withdrawal.v1): its report_id, URL, version, the SHA-256 of the last page read
// with its content, and what the portal answered instead.
sinks::Batch WithdrawnBatch(const Topics& topics, const GonePage& gone, int64_t version,
                            const std::string& last_sha256);

// One fetch attempt, keyed by its canonical URL.
sinks::Batch FetchBatch(const Topics& topics, const FetchLogEntry& fetch);

// A source's health after a pass (source.ok / unreachable / blocked / stale).
sinks::Batch SourceBatch(const Topics& topics, const SourcePassStats& stats,
                         std::chrono::system_clock::time_point at);

// source.moved on the sources topic: a `portal =` source's column is elsewhere than at its
// last pass (stats.moved_from / moved_to, '\n'-joined URLs): the health fields of the pass,
// plus column_before and column_after (arrays of URLs).
sinks::Batch SourceMovedBatch(const Topics& topics, const SourcePassStats& stats,
                              std::chrono::system_clock::time_point at);

// RFC 3339 in UTC with milliseconds: "2021-01-19T02:00:00.000Z".
std::string Rfc3339(std::chrono::system_clock::time_point t);

}  // namespace nianbao::ingest
