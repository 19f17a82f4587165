#include "app/metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <utility>

namespace nianbao::app {
namespace {

// The one table of the daemon's metrics. Help text says what is counted and what the labels
// take, because the scrape is what an operator reads first.
constexpr MetricSpec kKnownMetrics[] = {
    {metric::kFetchesTotal,
     MetricType::kCounter,
     "HTTP fetches by outcome: the response status code, or a transport failure "
     "(timeout, dns, connect, tls, error).",
     {"status"}},
    {metric::kBytesTotal, MetricType::kCounter, "Bytes of HTTP response bodies received.", {}},
    {metric::kReportsTotal,
     MetricType::kCounter,
     "Annual report pages, by change against the delivered version (new, revised, unchanged, "
     "withdrawn, soft_error: a page that was not the report it had been).",
     {"change"}},
    {metric::kFindingsTotal,
     MetricType::kCounter,
     "Findings raised by the report checks, by rule.",
     {"rule"}},
    {metric::kKafkaDeliveryErrorsTotal,
     MetricType::kCounter,
     "Kafka messages whose delivery failed (the batch is published again later).",
     {}},
    {metric::kAlertsTotal,
     MetricType::kCounter,
     "Alerts of each [[alerts]] target (target: its position from 1 and kind, \"1:wecom\"), by "
     "outcome: sent, refused (given up for good), failed (sent again later), suppressed "
     "(already sent before a restart), retried (attempts after the first).",
     {"target", "outcome"}},
    {metric::kQueueDepth,
     MetricType::kGauge,
     "Items waiting in a bounded internal queue.",
     {"queue"}},
    {metric::kSourceLastSuccessTimestampSeconds,
     MetricType::kGauge,
     "Unix time of the last successful crawl pass over a source.",
     {"source"}},
    {metric::kHttpRequestsTotal,
     MetricType::kCounter,
     "Requests answered by the operator HTTP endpoint, by status code.",
     {"code"}},
    {metric::kArchiveBytesTotal,
     MetricType::kCounter,
     "Bytes (gzip) written to the WARC archive.",
     {}},
    {metric::kArchiveRecordsTotal,
     MetricType::kCounter,
     "Pages written to the WARC archive, by record type (response, revisit).",
     {"type"}},
    {metric::kArchiveFilesTotal,
     MetricType::kCounter,
     "WARC archive files closed and renamed (full, or at shutdown).",
     {}},
    {metric::kArchiveErrorsTotal,
     MetricType::kCounter,
     "Archive writes that failed (the page then ends as a failed fetch), and retention steps "
     "that failed (tried again at the next file).",
     {}},
    {metric::kMetricsRejectedTotal,
     MetricType::kCounter,
     "Metric updates dropped as caller bugs (unknown_metric, wrong_labels, wrong_type, "
     "negative_increment, too_many_series).",
     {"reason"}},
};

bool IsMetricName(std::string_view s) {
  if (s.empty()) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    const bool digit = c >= '0' && c <= '9';
    if (!alpha && !(digit && i > 0)) return false;
  }
  return true;
}

bool IsLabelName(std::string_view s) {
  if (s.empty() || s.starts_with("__")) return false;  // "__" is reserved for Prometheus itself
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    const bool digit = c >= '0' && c <= '9';
    if (!alpha && !(digit && i > 0)) return false;
  }
  return true;
}

// Label values: backslash, double quote and line feed are escaped (exposition format 0.0.4).
void AppendEscapedLabelValue(std::string& out, std::string_view v) {
  for (const char c : v) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
}

// HELP text: backslash and line feed only; a quote is literal there.
void AppendEscapedHelp(std::string& out, std::string_view v) {
  for (const char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

// Prometheus parses values with Go's ParseFloat: the shortest round-trip form of to_chars
// ("3", "0.25", "1e+20") reads back exactly; the special values have their own spelling.
void AppendValue(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
  } else if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
  } else {
    char buf[32];
    const auto r = std::to_chars(buf, buf + sizeof(buf), v);
    out.append(buf, r.ptr);
  }
}

// "" for no labels, else {a="x",b="y"} in name order (the order of the map).
std::string RenderLabels(const Labels& labels) {
  std::string out;
  if (labels.empty()) return out;
  out += '{';
  bool first = true;
  for (const auto& [name, value] : labels) {
    if (!first) out += ',';
    first = false;
    out += name;
    out += "=\"";
    AppendEscapedLabelValue(out, value);
    out += '"';
  }
  out += '}';
  return out;
}

std::string_view TypeName(MetricType t) { return t == MetricType::kCounter ? "counter" : "gauge"; }

}  // namespace

std::span<const MetricSpec> KnownMetrics() { return kKnownMetrics; }

MetricsRegistry::MetricsRegistry(MetricsOptions options) : options_(options) {
  for (const MetricSpec& spec : kKnownMetrics) {
    std::vector<std::string> labels;
    for (std::string_view l : spec.labels) {
      if (!l.empty()) labels.emplace_back(l);
    }
    // The table is compiled in: a bad row is a bug the registry test catches, so a failure
    // here cannot happen in a tested build and is not reported further.
    (void)Describe(spec.name, spec.help, spec.type, std::move(labels));
  }
}

Status MetricsRegistry::Describe(std::string_view name, std::string_view help, MetricType type,
                                 std::vector<std::string> label_names) {
  if (!IsMetricName(name)) {
    return Status::InvalidArgument("metrics: invalid metric name '" + std::string(name) + "'");
  }
  std::sort(label_names.begin(), label_names.end());
  for (std::size_t i = 0; i < label_names.size(); ++i) {
    if (!IsLabelName(label_names[i])) {
      return Status::InvalidArgument("metrics: invalid label name '" + label_names[i] + "' of " +
                                     std::string(name));
    }
    if (i > 0 && label_names[i] == label_names[i - 1]) {
      return Status::InvalidArgument("metrics: duplicate label name '" + label_names[i] + "' of " +
                                     std::string(name));
    }
  }

  std::lock_guard<std::mutex> lock(mu_);
  auto it = families_.find(name);
  if (it != families_.end()) {
    Family& f = it->second;
    if (f.type != type || f.label_names != label_names) {
      return Status::InvalidArgument("metrics: " + std::string(name) +
                                     " is already described with another type or labels");
    }
    f.help = std::string(help);
    return Status::Ok();
  }
  Family f{std::string(help), type, std::move(label_names), {}};
  if (f.label_names.empty()) f.series.emplace("", 0.0);
  families_.emplace(std::string(name), std::move(f));
  return Status::Ok();
}

void MetricsRegistry::Inc(std::string_view name, const Labels& labels, double value) {
  Update(Op::kInc, name, labels, value);
}

void MetricsRegistry::Set(std::string_view name, const Labels& labels, double value) {
  Update(Op::kSet, name, labels, value);
}

void MetricsRegistry::Update(Op op, std::string_view name, const Labels& labels, double value) {
  // Escaping and allocation happen before the lock, so the critical section is lookups only.
  std::string key = RenderLabels(labels);

  std::lock_guard<std::mutex> lock(mu_);
  auto fit = families_.find(name);
  if (fit == families_.end()) return RejectLocked("unknown_metric");
  Family& f = fit->second;
  if (labels.size() != f.label_names.size() ||
      !std::equal(labels.begin(), labels.end(), f.label_names.begin(),
                  [](const auto& kv, const std::string& n) { return kv.first == n; })) {
    return RejectLocked("wrong_labels");
  }
  if (f.type == MetricType::kCounter) {
    if (op == Op::kSet) return RejectLocked("wrong_type");
    if (!(value >= 0)) return RejectLocked("negative_increment");  // NaN included
  }
  auto sit = f.series.find(key);
  if (sit == f.series.end()) {
    if (f.series.size() >= options_.max_series_per_metric) {
      return RejectLocked("too_many_series");
    }
    sit = f.series.emplace(std::move(key), 0.0).first;
  }
  if (op == Op::kSet) {
    sit->second = value;
  } else {
    sit->second += value;
  }
}

void MetricsRegistry::RejectLocked(std::string_view reason) {
  auto fit = families_.find(metric::kMetricsRejectedTotal);
  if (fit == families_.end()) return;  // described in the constructor; cannot happen
  std::string key = "{reason=\"";
  key += reason;
  key += "\"}";
  // A handful of fixed reasons: no series cap needed here.
  fit->second.series[key] += 1;
}

std::optional<double> MetricsRegistry::Value(std::string_view name, const Labels& labels) const {
  const std::string key = RenderLabels(labels);
  std::lock_guard<std::mutex> lock(mu_);
  auto fit = families_.find(name);
  if (fit == families_.end()) return std::nullopt;
  auto sit = fit->second.series.find(key);
  if (sit == fit->second.series.end()) return std::nullopt;
  return sit->second;
}

std::string MetricsRegistry::RenderPrometheus() const {
  std::string out;
  std::lock_guard<std::mutex> lock(mu_);
  out.reserve(families_.size() * 160);
  for (const auto& [name, f] : families_) {
    out += "# HELP ";
    out += name;
    out += ' ';
    AppendEscapedHelp(out, f.help);
    out += "\n# TYPE ";
    out += name;
    out += ' ';
    out += TypeName(f.type);
    out += '\n';
    for (const auto& [labels, value] : f.series) {
      out += name;
      out += labels;
      out += ' ';
      AppendValue(out, value);
      out += '\n';
    }
  }
  return out;
}

}  // namespace nianbao::app
