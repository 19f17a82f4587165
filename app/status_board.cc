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
  cluster_ = std::move(view);
  for (const auto& [name, mine] : owned) Row(name).owned = mine;
}

void StatusBoard::SetSources(const std::vector<std::string>& names) {
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
  SourceRow& row = Row(stats.source);
  row.health = stats.health;
  row.last_pass = now;
  if (stats.health == "ok") row.last_ok = now;
  row.next_due = next_due;
  ++row.passes;
  row.last = stats;
}

void StatusBoard::OnError(const std::string& source, const std::string& what, SystemTime now) {
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
