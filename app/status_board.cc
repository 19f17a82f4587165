#include "app/status_board.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <utility>

namespace nianbao::app {
namespace {

using Json = nlohmann::json;

std::string Text(const Json& j, std::string_view key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::optional<int64_t> Int(const Json& j, std::string_view key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number_integer()) return std::nullopt;
  return it->get<int64_t>();
}

std::string HeaderValue(const sinks::Message& m, std::string_view key) {
  for (const auto& h : m.headers) {
    if (h.key == key) return h.value;
  }
  return {};
}

}  // namespace

StatusBoard::StatusBoard(StatusBoardOptions options) : options_(options) {}

void StatusBoard::SetCluster(ClusterView view, const std::map<std::string, bool>& owned) {
  ++generation_;
  cluster_ = std::move(view);
  for (const auto& [name, mine] : owned) Row(name).owned = mine;
}

void StatusBoard::SetSources(const std::vector<std::string>& names) {
  ++generation_;
  order_ = names;
  for (const auto& n : names) Row(n);
}

SourceRow& StatusBoard::Row(const std::string& name) {
  auto [it, fresh] = sources_.try_emplace(name);
  if (fresh) it->second.name = name;
  return it->second;
}

void StatusBoard::OnPass(const SourcePassStats& stats, SystemTime now,
                         std::optional<SystemTime> next_due) {
  ++generation_;
  SourceRow& row = Row(stats.source);
  row.health = stats.health;
  row.last_pass = now;
  if (stats.health == "ok") row.last_ok = now;
  row.next_due = next_due;
  ++row.passes;
  row.last = stats;
}

void StatusBoard::OnError(const std::string& source, const std::string& what, SystemTime now) {
  ++generation_;
  SourceRow& row = Row(source);
  row.last_error = what;
  row.last_error_at = now;
}

void StatusBoard::OnDelivered(const std::string& source, const sinks::Batch& batch,
                              SystemTime now) {
  if (batch.messages.empty()) return;
  ReportRow row;
  row.source = source;
  row.delivered_at = now;
  bool is_report = false;
  for (const auto& m : batch.messages) {
    // Our own messages: a parse failure means a bug elsewhere, and the board only skips it.
    Json v = Json::parse(m.value, nullptr, /*allow_exceptions=*/false);
    if (!v.is_object()) continue;
    const std::string schema = Text(v, "schema");
    if (schema == "nianbao.report.v1" || schema == "nianbao.withdrawal.v1") {
      is_report = true;
      row.report_id = Text(v, "report_id");
      row.version = Int(v, "version").value_or(0);
      row.event = HeaderValue(m, "event");
      if (schema == "nianbao.withdrawal.v1") {
        row.url = Text(v, "url");
        if (row.event.empty()) row.event = "report.withdrawn";
      } else {
        if (auto s = v.find("source"); s != v.end() && s->is_object()) row.url = Text(*s, "url");
        row.title = Text(v, "title");
        row.organization = Text(v, "organization");
        row.year = Int(v, "year");
      }
    } else if (schema == "nianbao.finding.v1") {
      row.findings.push_back(
          FindingRow{Text(v, "rule"), Text(v, "severity"), Text(v, "message"), Text(v, "path")});
    }
  }
  if (!is_report || row.report_id.empty()) return;
  SourceRow& src = Row(source);
  ++src.reports_delivered;
  src.findings += static_cast<int64_t>(row.findings.size());
  if (row.event == "report.withdrawn") {
    // A withdrawal carries no record: the row keeps what the report last showed.
    if (const ReportRow* before = FindReport(row.report_id)) {
      row.title = before->title;
      row.organization = before->organization;
      row.year = before->year;
    }
  }
  Add(std::move(row));
}

void StatusBoard::Add(ReportRow row) {
  ++generation_;
  // One row per report: a newer version replaces the older one and moves to the top.
  auto same = std::find_if(reports_.begin(), reports_.end(),
                           [&](const ReportRow& r) { return r.report_id == row.report_id; });
  if (same != reports_.end()) {
    findings_kept_ -= same->findings.size();
    reports_.erase(same);
  }
  findings_kept_ += row.findings.size();
  reports_.push_front(std::move(row));
  while (reports_.size() > 1 &&
         (reports_.size() > options_.max_reports || findings_kept_ > options_.max_findings)) {
    findings_kept_ -= reports_.back().findings.size();
    reports_.pop_back();
  }
}

namespace {

constexpr std::string_view kSnapshotSchema = "nianbao.status-board.v1";

// Times as Unix milliseconds; absent ones as null.
Json Millis(const std::optional<SystemTime>& t) {
  if (!t) return nullptr;
  return std::chrono::duration_cast<std::chrono::milliseconds>(t->time_since_epoch()).count();
}

std::optional<SystemTime> TimeAt(const Json& j, std::string_view key) {
  auto ms = Int(j, key);
  if (!ms) return std::nullopt;
  return SystemTime(std::chrono::milliseconds(*ms));
}

}  // namespace

std::string StatusBoard::Snapshot() const {
  Json sources = Json::array();
  for (const SourceRow* r : SourcesInOrder()) {
    sources.push_back({{"name", r->name},
                       {"health", r->health},
                       {"last_pass", Millis(r->last_pass)},
                       {"last_ok", Millis(r->last_ok)},
                       {"next_due", Millis(r->next_due)},
                       {"last_error", r->last_error},
                       {"last_error_at", Millis(r->last_error_at)}});
  }
  Json reports = Json::array();
  for (const ReportRow& r : reports_) {
    Json findings = Json::array();
    for (const FindingRow& f : r.findings) {
      findings.push_back(
          {{"rule", f.rule}, {"severity", f.severity}, {"message", f.message}, {"path", f.path}});
    }
    reports.push_back({{"report_id", r.report_id},
                       {"source", r.source},
                       {"url", r.url},
                       {"title", r.title},
                       {"organization", r.organization},
                       {"year", r.year ? Json(*r.year) : Json(nullptr)},
                       {"event", r.event},
                       {"version", r.version},
                       {"delivered_at", Millis(r.delivered_at)},
                       {"findings", std::move(findings)}});
  }
  Json out = {{"schema", kSnapshotSchema},
              {"sources", std::move(sources)},
              {"reports", std::move(reports)}};
  // Replace, not throw: the web's text could carry invalid UTF-8 past the parser.
  return out.dump(-1, ' ', false, Json::error_handler_t::replace);
}

Status StatusBoard::Restore(std::string_view snapshot) {
  const Json j = Json::parse(snapshot, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return Status::InvalidArgument("not JSON");
  if (Text(j, "schema") != kSnapshotSchema) {
    return Status::InvalidArgument("schema is not " + std::string(kSnapshotSchema));
  }
  const auto sources = j.find("sources");
  const auto reports = j.find("reports");
  if (sources == j.end() || !sources->is_array() || reports == j.end() || !reports->is_array()) {
    return Status::InvalidArgument("no sources or reports array");
  }
  // Read whole first, applied after: a bad entry leaves the board as it was.
  std::vector<SourceRow> rows;
  for (const Json& s : *sources) {
    if (!s.is_object() || Text(s, "name").empty()) {
      return Status::InvalidArgument("a source without a name");
    }
    SourceRow row;
    row.name = Text(s, "name");
    row.health = Text(s, "health");
    if (row.health.empty()) row.health = "unknown";
    row.last_pass = TimeAt(s, "last_pass");
    row.last_ok = TimeAt(s, "last_ok");
    row.next_due = TimeAt(s, "next_due");
    row.last_error = Text(s, "last_error");
    row.last_error_at = TimeAt(s, "last_error_at");
    rows.push_back(std::move(row));
  }
  std::vector<ReportRow> kept;
  for (const Json& r : *reports) {
    if (!r.is_object() || Text(r, "report_id").empty() || !TimeAt(r, "delivered_at")) {
      return Status::InvalidArgument("a report without report_id or delivered_at");
    }
    ReportRow row;
    row.report_id = Text(r, "report_id");
    row.source = Text(r, "source");
    row.url = Text(r, "url");
    row.title = Text(r, "title");
    row.organization = Text(r, "organization");
    row.year = Int(r, "year");
    row.event = Text(r, "event");
    row.version = Int(r, "version").value_or(0);
    row.delivered_at = *TimeAt(r, "delivered_at");
    if (auto f = r.find("findings"); f != r.end() && f->is_array()) {
      for (const Json& x : *f) {
        if (!x.is_object()) return Status::InvalidArgument("a finding that is not an object");
        row.findings.push_back(
            FindingRow{Text(x, "rule"), Text(x, "severity"), Text(x, "message"), Text(x, "path")});
      }
    }
    kept.push_back(std::move(row));
  }
  for (auto& row : rows) {
    SourceRow& mine = Row(row.name);
    mine.health = std::move(row.health);
    mine.last_pass = row.last_pass;
    mine.last_ok = row.last_ok;
    mine.next_due = row.next_due;
    mine.last_error = std::move(row.last_error);
    mine.last_error_at = row.last_error_at;
  }
  // Oldest first, so that Add leaves the newest on top and drops the oldest past the bounds.
  for (auto it = kept.rbegin(); it != kept.rend(); ++it) Add(std::move(*it));
  ++generation_;
  return Status::Ok();
}

std::vector<const SourceRow*> StatusBoard::SourcesInOrder() const {
  std::vector<const SourceRow*> out;
  for (const auto& n : order_) {
    if (const SourceRow* r = FindSource(n)) out.push_back(r);
  }
  for (const auto& [name, row] : sources_) {
    if (std::find(order_.begin(), order_.end(), name) == order_.end()) out.push_back(&row);
  }
  return out;
}

const SourceRow* StatusBoard::FindSource(std::string_view name) const {
  auto it = sources_.find(std::string(name));
  return it == sources_.end() ? nullptr : &it->second;
}

const ReportRow* StatusBoard::FindReport(std::string_view report_id) const {
  for (const auto& r : reports_) {
    if (r.report_id == report_id) return &r;
  }
  return nullptr;
}

}  // namespace nianbao::app
