#include "ingest/messages.h"

#include <cstdio>
#include <ctime>

#include "parser/record_json.h"
#include "parser/version.h"

namespace nianbao::ingest {
namespace {

using Json = nlohmann::ordered_json;

std::string Dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

// Headers every message carries; `type` is the CloudEvents type suffix.
std::vector<sinks::Header> Headers(const std::string& schema, const std::string& event,
                                   const std::string& ce_id, const std::string& source,
                                   const std::string& type, const std::string& time) {
  std::vector<sinks::Header> h = {
      {"schema", schema},
      {"content-type", "application/json"},
      {"ce_specversion", "1.0"},
      {"ce_id", ce_id},
      {"ce_source", "nianbao/" + source},
      {"ce_type", "cn.gov.nianbao." + type},
      {"ce_time", time},
  };
  if (!event.empty()) h.insert(h.begin() + 1, sinks::Header{"event", event});
  return h;
}

std::string Id(const std::string& text) { return parser::Sha256Hex(text).substr(0, 32); }

}  // namespace

std::string Rfc3339(std::chrono::system_clock::time_point t) {
  auto secs = std::chrono::time_point_cast<std::chrono::seconds>(t);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t - secs).count();
  std::time_t tt = std::chrono::system_clock::to_time_t(secs);
  std::tm utc{};
  gmtime_r(&tt, &utc);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<int>(ms));
  return buf;
}

std::string ReportEventName(ReportEvent event) {
  switch (event) {
    case ReportEvent::kPublished:
      return "report.published";
    case ReportEvent::kRevised:
      return "report.revised";
    case ReportEvent::kReparsed:
      return "report.reparsed";
  }
  return "report.published";
}

sinks::Batch ReportBatch(const Topics& topics, const std::string& source,
                         const parser::ParseOutput& output, ReportEvent event, int64_t version,
                         const std::string& fingerprint,
                         std::chrono::system_clock::time_point fetched_at,
                         const std::optional<ArchiveRef>& archive,
                         const std::optional<std::string>& previous_parser_version) {
  const parser::Record& r = output.record;
  std::string event_name = ReportEventName(event);
  std::string time = Rfc3339(fetched_at);
  // Unique per event (a revert to earlier content is a new version, a new id) and stable
  // across redelivery of the same version.
  std::string event_key = r.report_id + "|" + event_name + "|v" + std::to_string(version);
  sinks::Batch batch;
  batch.id = r.report_id + "@v" + std::to_string(version);
  sinks::Message record;
  record.topic = topics.reports;
  record.key = r.report_id;
  Json value = parser::RecordToJson(r);
  value["version"] = version;
  value["fingerprint"] = fingerprint;
  value["parser_version"] = parser::ParserVersion();
  if (event == ReportEvent::kReparsed) {
    value["previous_parser_version"] =
        previous_parser_version ? Json(*previous_parser_version) : Json(nullptr);
  }
  if (archive) value["source"]["archive"] = {{"file", archive->file}, {"offset", archive->offset}};
  record.value = Dump(value);
  record.headers =
      Headers("nianbao.report.v1", event_name, Id(event_key + "|record"), source, event_name, time);
  batch.messages.push_back(std::move(record));
  for (size_t i = 0; i < output.findings.size(); ++i) {
    const parser::Finding& f = output.findings[i];
    sinks::Message m;
    m.topic = topics.findings;
    m.key = r.report_id;
    Json finding = parser::FindingToJson(f, r);
    // Which version of the record the finding belongs to: a newer version's findings (none,
    // for a corrected report) replace the older ones downstream.
    finding["report_version"] = version;
    m.value = Dump(finding);
    m.headers =
        Headers("nianbao.finding.v1", event_name,
                Id(event_key + "|" + f.rule + "|" + f.path.value_or("") + "|" + std::to_string(i)),
                source, "finding", time);
    batch.messages.push_back(std::move(m));
  }
  return batch;
}

sinks::Batch WithdrawnBatch(const Topics& topics, const GonePage& gone, int64_t version,
                            const std::string& last_sha256) {
  const std::string event = "report.withdrawn";
  std::string report_id = parser::ReportIdForUrl(gone.url);
  std::string time = Rfc3339(gone.fetched_at);
  Json v;
  v["schema"] = "nianbao.withdrawal.v1";
  v["report_id"] = report_id;
  v["url"] = gone.url;
  v["version"] = version;
  v["last_sha256"] = last_sha256.empty() ? Json(nullptr) : Json(last_sha256);
  v["seen"] = {{"what", gone.seen},
               {"status", gone.status},
               {"location", gone.location.empty() ? Json(nullptr) : Json(gone.location)},
               {"fetches", gone.fetches}};
  v["withdrawn_at"] = time;
  sinks::Batch batch;
  batch.id = report_id + "@v" + std::to_string(version);
  sinks::Message m;
  m.topic = topics.reports;
  m.key = report_id;
  m.value = Dump(v);
  m.headers = Headers("nianbao.withdrawal.v1", event,
                      Id(report_id + "|" + event + "|v" + std::to_string(version) + "|record"),
                      gone.source, event, time);
  batch.messages.push_back(std::move(m));
  return batch;
}

sinks::Batch FetchBatch(const Topics& topics, const FetchLogEntry& f) {
  std::string url = parser::CanonicalizeUrl(f.url);
  Json v;
  v["schema"] = "nianbao.fetch.v1";
  v["url"] = url;
  v["source"] = f.source;
  v["kind"] = f.kind;
  v["status"] = f.status;
  v["bytes"] = f.bytes;
  v["sha256"] = f.sha256.empty() ? Json(nullptr) : Json(f.sha256);
  v["timings"] = {{"started", Rfc3339(f.started)}, {"elapsed_seconds", f.elapsed.count()}};
  v["attempt"] = f.attempt;
  v["error"] = f.error.empty() ? Json(nullptr) : Json(f.error);
  std::string time = Rfc3339(f.started);
  sinks::Batch batch;
  batch.id = "fetch " + url;
  sinks::Message m;
  m.topic = topics.fetches;
  m.key = url;
  m.value = Dump(v);
  m.headers =
      Headers("nianbao.fetch.v1", "", Id(url + "|" + time + "|" + std::to_string(f.attempt)),
              f.source, "fetch", time);
  batch.messages.push_back(std::move(m));
  return batch;
}

namespace {

Json UrlArray(const std::string& joined) {
  Json out = Json::array();
  size_t pos = 0;
  while (pos < joined.size()) {
    const size_t nl = joined.find('\n', pos);
    out.push_back(joined.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos));
    pos = nl == std::string::npos ? joined.size() : nl + 1;
  }
  return out;
}

// The fields every event of the sources topic carries: the source's health after the pass.
sinks::Batch SourceEvent(const Topics& topics, const SourcePassStats& s,
                         std::chrono::system_clock::time_point at, const std::string& event,
                         bool moved, const std::string& node) {
  Json v;
  v["schema"] = "nianbao.source.v1";
  v["source"] = s.source;
  v["event"] = event;
  v["health"] = s.health;
  v["reports_found"] = s.reports_found;
  v["reports_new"] = s.reports_new;
  v["reports_revised"] = s.reports_revised;
  v["reports_failed"] = s.reports_failed;
  v["robots_disallowed"] = s.robots_disallowed;
  if (!node.empty()) v["node"] = node;
  if (moved) {
    v["column_before"] = UrlArray(s.moved_from);
    v["column_after"] = UrlArray(s.moved_to);
  }
  Json failures = Json::object();
  for (const auto& [reason, n] : s.failures) failures[reason] = n;
  v["failures"] = failures;
  std::string time = Rfc3339(at);
  sinks::Batch batch;
  batch.id = (moved ? "source.moved " : "source ") + s.source;
  sinks::Message m;
  m.topic = topics.sources;
  m.key = s.source;
  m.value = Dump(v);
  m.headers = Headers("nianbao.source.v1", event, Id(s.source + "|" + event + "|" + time), s.source,
                      "source", time);
  batch.messages.push_back(std::move(m));
  return batch;
}

}  // namespace

sinks::Batch SourceMovedBatch(const Topics& topics, const SourcePassStats& s,
                              std::chrono::system_clock::time_point at, const std::string& node) {
  return SourceEvent(topics, s, at, "source.moved", true, node);
}

sinks::Batch SourceBatch(const Topics& topics, const SourcePassStats& s,
                         std::chrono::system_clock::time_point at, const std::string& node) {
  return SourceEvent(topics, s, at, "source." + s.health, false, node);
}

std::vector<sinks::Message> AcrossYearsMessages(const Topics& topics, const std::string& source,
                                                const YearEntry& current,
                                                const parser::YearSummary& current_summary,
                                                const std::string& previous_report_id,
                                                int64_t previous_version,
                                                const std::vector<parser::Finding>& findings,
                                                std::chrono::system_clock::time_point at) {
  const std::string event = "findings.across_years";
  // What FindingToJson reads of a record: its id, URL, organisation and year.
  parser::Record r;
  r.report_id = current.report_id;
  r.source.url = current.url;
  r.organization = current_summary.organization;
  r.year = current.year;
  std::string time = Rfc3339(at);
  std::vector<sinks::Message> out;
  for (size_t i = 0; i < findings.size(); ++i) {
    const parser::Finding& f = findings[i];
    sinks::Message m;
    m.topic = topics.findings;
    m.key = current.report_id;
    Json finding = parser::FindingToJson(f, r);
    finding["report_version"] = current.version;
    m.value = Dump(finding);
    m.headers =
        Headers("nianbao.finding.v1", event,
                Id(current.report_id + "|" + event + "|v" + std::to_string(current.version) + "|" +
                   previous_report_id + "|v" + std::to_string(previous_version) + "|" + f.rule +
                   "|" + f.path.value_or("") + "|" + std::to_string(i)),
                source, "finding", time);
    out.push_back(std::move(m));
  }
  return out;
}

namespace {

// An event about one organisation's report of one year on a source (report.missing,
// report.found_late): the fields both carry, then the event's own (`own`), keyed by the
// source; the ce_id is the same for a redelivery of the event.
sinks::Message YearEventMessage(const Topics& topics, const MissingReport& missing,
                                const std::string& schema, const std::string& event,
                                const std::string& time, const Json& own) {
  Json v;
  v["schema"] = schema;
  v["event"] = event;
  v["source"] = missing.source;
  v["organization"] = missing.organization;
  v["organization_key"] = missing.organization_key;
  v["year"] = missing.year;
  v["deadline"] = missing.deadline;
  for (const auto& [key, value] : own.items()) v[key] = value;
  sinks::Message m;
  m.topic = topics.sources;
  m.key = missing.source;
  m.value = Dump(v);
  m.headers = Headers(schema, event,
                      Id(missing.source + "|" + missing.organization_key + "|" +
                         std::to_string(missing.year) + "|" + event),
                      missing.source, event, time);
  return m;
}

}  // namespace

sinks::Batch MissingBatch(const Topics& topics, const MissingReport& missing, const YearEntry& last,
                          std::chrono::system_clock::time_point at) {
  std::string time = Rfc3339(at);
  Json own;
  own["last_report"] = {{"report_id", last.report_id}, {"url", last.url}, {"year", last.year}};
  own["detected_at"] = time;
  sinks::Batch batch;
  batch.id = "missing " + missing.source + " " + missing.organization_key + " " +
             std::to_string(missing.year);
  batch.messages.push_back(
      YearEventMessage(topics, missing, "nianbao.missing.v1", "report.missing", time, own));
  return batch;
}

sinks::Message FoundLateMessage(const Topics& topics, const MissingReport& missing,
                                const parser::Record& record,
                                std::chrono::system_clock::time_point at) {
  std::string time = Rfc3339(at);
  Json own;
  own["report_id"] = record.report_id;
  own["url"] = record.source.url ? Json(*record.source.url) : Json(nullptr);
  own["published_on"] = record.published_on ? Json(*record.published_on) : Json(nullptr);
  own["found_at"] = time;
  return YearEventMessage(topics, missing, "nianbao.found_late.v1", "report.found_late", time, own);
}

}  // namespace nianbao::ingest
