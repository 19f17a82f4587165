// Record and finding to JSON, field for field as spec record-v1.md and rules.md say.
#include "parser/record_json.h"

#include <cmath>

#include "parser/labels.h"
#include "parser/rules.h"

namespace nianbao::parser {
namespace {

using Json = nlohmann::ordered_json;

template <typename T>
Json OrNull(const std::optional<T>& v) {
  return v ? Json(*v) : Json(nullptr);
}

// Counts are JSON integers; money stays a number but is written as an integer when whole.
Json ValueJson(const Value& v, bool money) {
  if (!v) return nullptr;
  double d = *v;
  if (!money || std::fabs(d - std::round(d)) < 1e-9) return static_cast<int64_t>(std::llround(d));
  return std::round(d * 1e6) / 1e6;
}

Json CellsArray(const std::optional<Cells>& cells) {
  if (!cells) return nullptr;
  Json a = Json::array();
  for (const auto& v : *cells) a.push_back(ValueJson(v, false));
  return a;
}

Json ProactiveJson(const Record& r) {
  if (!r.proactive) return nullptr;
  Json j = Json::object();
  for (const auto& spec : ProactiveRows(r.form)) {
    auto it = r.proactive->find(std::string(spec.key));
    if (it == r.proactive->end() || !it->second) {
      j[std::string(spec.key)] = nullptr;
      continue;
    }
    Json row = Json::object();
    for (size_t c = 0; c < spec.columns.size(); ++c) {
      const auto& col = spec.columns[c];
      Value v = c < it->second->size() ? (*it->second)[c] : std::nullopt;
      row[std::string(col.field)] = ValueJson(v, col.money);
    }
    j[std::string(spec.key)] = std::move(row);
  }
  return j;
}

Json ApplicationsJson(const Record& r) {
  if (!r.applications) return nullptr;
  Json j = Json::object();
  for (const auto& spec : ApplicationRows(r.form)) {
    auto it = r.applications->find(std::string(spec.key));
    j[std::string(spec.key)] = it == r.applications->end() ? Json(nullptr) : CellsArray(it->second);
  }
  return j;
}

Json ReviewsJson(const Record& r) {
  if (!r.reviews_litigation) return nullptr;
  Json j = Json::object();
  for (const auto& g : ReviewGroups()) {
    auto it = r.reviews_litigation->find(std::string(g.key));
    j[std::string(g.key)] =
        it == r.reviews_litigation->end() ? Json(nullptr) : CellsArray(it->second);
  }
  return j;
}

Json NumberOrNull(const std::optional<double>& v) {
  if (!v) return nullptr;
  if (std::fabs(*v - std::round(*v)) < 1e-9) return static_cast<int64_t>(std::llround(*v));
  return *v;
}

}  // namespace

nlohmann::ordered_json RecordToJson(const Record& r) {
  Json j;
  j["schema"] = "nianbao.report.v1";
  j["report_id"] = r.report_id;
  j["source"] = {{"url", OrNull(r.source.url)},
                 {"fetched_at", OrNull(r.source.fetched_at)},
                 {"sha256", r.source.sha256},
                 {"media_type", r.source.media_type},
                 {"charset", r.source.charset}};
  if (r.source.document) {
    const DocumentRef& d = *r.source.document;
    j["source"]["document"] = {{"url", d.url}, {"media_type", d.media_type}, {"sha256", d.sha256}};
    Json attachments = Json::array();
    for (const auto& a : r.source.attachments) {
      attachments.push_back(
          {{"url", a.url}, {"media_type", a.media_type}, {"sha256", a.sha256}, {"bytes", a.bytes}});
    }
    j["source"]["attachments"] = std::move(attachments);
  }
  j["title"] = OrNull(r.title);
  j["organization"] = OrNull(r.organization);
  j["year"] = OrNull(r.year);
  switch (r.form) {
    case Template::k2019:
      j["template"] = "2019";
      break;
    case Template::k2021:
      j["template"] = "2021";
      break;
    case Template::kUnknown:
      j["template"] = nullptr;
      break;
  }
  j["published_on"] = OrNull(r.published_on);
  j["sections"] = r.sections;
  j["proactive"] = ProactiveJson(r);
  j["applications"] = ApplicationsJson(r);
  j["reviews_litigation"] = ReviewsJson(r);
  j["narrative"] = {{"proactive_total", OrNull(r.narrative.proactive_total)},
                    {"applications_received", OrNull(r.narrative.applications_received)}};
  j["problems"] = OrNull(r.problems);
  j["other_matters"] = OrNull(r.other_matters);
  return j;
}

nlohmann::ordered_json FindingToJson(const Finding& f, const Record& r) {
  Json j;
  j["schema"] = "nianbao.finding.v1";
  j["report_id"] = r.report_id;
  j["rule"] = f.rule;
  j["severity"] = std::string(SeverityName(f.severity));
  j["path"] = OrNull(f.path);
  j["message"] = f.message;
  j["expected"] = NumberOrNull(f.expected);
  j["actual"] = NumberOrNull(f.actual);
  j["source_url"] = OrNull(r.source.url);
  j["organization"] = OrNull(r.organization);
  j["year"] = OrNull(r.year);
  return j;
}

nlohmann::ordered_json ToJson(const ParseOutput& output) {
  Json j;
  j["report"] = RecordToJson(output.record);
  Json findings = Json::array();
  for (const auto& f : output.findings) findings.push_back(FindingToJson(f, output.record));
  j["findings"] = std::move(findings);
  return j;
}

std::string ContentFingerprint(const ParseOutput& output) {
  Json j = ToJson(output);
  j["report"].erase("source");
  return Sha256Hex(j.dump(-1, ' ', false, Json::error_handler_t::replace));
}

}  // namespace nianbao::parser
