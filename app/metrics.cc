#include "app/metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <utility>

namespace nianbao::app {
namespace {

// Bucket bounds in seconds. A fetch: tens of ms on a near portal to the 30 s timeout; a parse:
// ms to seconds for a large page; a delivery: from a second (Kafka's transaction) to the
// hours a report waits while the brokers are down.
constexpr double kFetchBuckets[] = {0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
constexpr double kParseBuckets[] = {0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5};
constexpr double kDeliveryBuckets[] = {0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 3600, 21600};

// The one table of the daemon's metrics. Help text says what is counted and what the labels
// take, because the scrape is what an operator reads first.
constexpr MetricSpec kKnownMetrics[] = {
    {metric::kFetchesTotal,
     MetricType::kCounter,
     "HTTP fetches by outcome: the response status code, or a transport failure "
     "(timeout, dns, connect, tls, network, address_not_allowed, ...).",
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
    {metric::kQueueBytes,
     MetricType::kGauge,
     "Bytes held in a queue bounded in bytes (pages: report pages and their documents from the "
     "start of their fetch, counted as a typical page until fetched, to the end of their parse; "
     "bound [ingest] queue_bytes).",
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
     "negative_increment, nan_observation, too_many_series).",
     {"reason"}},
    {metric::kFetchDurationSeconds,
     MetricType::kHistogram,
     "Time of one HTTP fetch, request to last byte, by kind of page (list, report, robots).",
     {"kind"},
     kFetchBuckets},
    {metric::kParseDurationSeconds,
     MetricType::kHistogram,
     "Time of one parse of a report page on the parser pool.",
     {},
     kParseBuckets},
    {metric::kDeliveryLatencySeconds,
     MetricType::kHistogram,
     "Time from the fetch of a report page to the acknowledgement of its record by every sink.",
     {},
     kDeliveryBuckets},
    {metric::kDeliveryFailuresTotal,
     MetricType::kCounter,
     "Report batches a sink reported as not delivered (the report is handed on again later).",
     {}},
    {metric::kSourceHealth,
     MetricType::kGauge,
     "A source's health after its last pass: 1 for the current one of ok, stale (no report "
     "where one is due), unreachable, blocked (robots.txt), 0 for the others.",
     {"health", "source"}},
    {metric::kSourceLastPassTimestampSeconds,
     MetricType::kGauge,
     "Unix time the last crawl pass over a source ended, whatever its health.",
     {"source"}},
    {metric::kBuildInfo, MetricType::kGauge, "Always 1; the labels name the build.", {"version"}},
    {metric::kClusterPartitionsOwned,
     MetricType::kGauge,
     "Partitions of the cluster's group this node owns (restored and polled).",
     {"node"}},
    {metric::kClusterSourcesOwned, MetricType::kGauge, "Sources this node polls.", {"node"}},
    {metric::kClusterMemberState,
     MetricType::kGauge,
     "1 for the node's current member state (joining, stable, rebalancing, unreachable), 0 for "
     "the others.",
     {"node", "state"}},
    {metric::kClusterPartitionOwned,
     MetricType::kGauge,
     "1 for each partition this node owns, 0 for one it owned before.",
     {"node", "partition"}},
    {metric::kClusterChangelogRecordsTotal,
     MetricType::kCounter,
     "Changelog records by outcome (produced, failed, restored).",
     {"outcome"}},
    {metric::kKafkaMessagesProducedTotal,
     MetricType::kCounter,
     "Messages handed to the Kafka producer, retries included.",
     {}},
    {metric::kKafkaBatchesTotal,
     MetricType::kCounter,
     "Batches the Kafka sink finished, by outcome (committed, failed).",
     {"outcome"}},
    {metric::kKafkaTransactionsTotal,
     MetricType::kCounter,
     "Kafka transactions, by outcome (committed, aborted: aborted then retried).",
     {"outcome"}},
    {metric::kProcessCpuSecondsTotal,
     MetricType::kCounter,
     "Total user and system CPU time spent in seconds.",
     {}},
    {metric::kProcessResidentMemoryBytes, MetricType::kGauge, "Resident memory size in bytes.", {}},
    {metric::kProcessOpenFds, MetricType::kGauge, "Number of open file descriptors.", {}},
    {metric::kProcessStartTimeSeconds,
     MetricType::kGauge,
     "Start time of the process since unix epoch in seconds.",
     {}},
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

std::string_view TypeName(MetricType t) {
  switch (t) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
  }
  return "untyped";
}

// `labels` (as RenderLabels made it) with le="bound" added last: Prometheus does not care about
// the order of labels, and `le` after the others is how client libraries print it.
std::string WithLe(std::string_view labels, std::string_view le) {
  std::string out;
  if (labels.empty()) {
    out = "{";
  } else {
    out.assign(labels.substr(0, labels.size() - 1));
    out += ',';
  }
  out += "le=\"";
  out += le;
  out += "\"}";
  return out;
}

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
    (void)DescribeImpl(spec.name, spec.help, spec.type, std::move(labels),
                       std::vector<double>(spec.buckets.begin(), spec.buckets.end()));
  }
}

Status MetricsRegistry::Describe(std::string_view name, std::string_view help, MetricType type,
                                 std::vector<std::string> label_names) {
  if (type == MetricType::kHistogram) {
    return Status::InvalidArgument("metrics: " + std::string(name) +
                                   ": a histogram is declared with DescribeHistogram()");
  }
  return DescribeImpl(name, help, type, std::move(label_names), {});
}

Status MetricsRegistry::DescribeHistogram(std::string_view name, std::string_view help,
                                          std::vector<std::string> label_names,
                                          std::vector<double> buckets) {
  return DescribeImpl(name, help, MetricType::kHistogram, std::move(label_names),
                      std::move(buckets));
}

Status MetricsRegistry::DescribeImpl(std::string_view name, std::string_view help, MetricType type,
                                     std::vector<std::string> label_names,
                                     std::vector<double> buckets) {
  if (type == MetricType::kHistogram) {
    for (std::size_t i = 0; i < buckets.size(); ++i) {
      if (!std::isfinite(buckets[i]) || (i > 0 && !(buckets[i] > buckets[i - 1]))) {
        return Status::InvalidArgument("metrics: the buckets of " + std::string(name) +
                                       " are not finite and strictly ascending");
      }
    }
    if (std::find(label_names.begin(), label_names.end(), "le") != label_names.end()) {
      return Status::InvalidArgument("metrics: 'le' is the bucket label of histogram " +
                                     std::string(name));
    }
  }
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
    if (f.type != type || f.label_names != label_names || f.buckets != buckets) {
      return Status::InvalidArgument("metrics: " + std::string(name) +
                                     " is already described with another type or labels");
    }
    f.help = std::string(help);
    return Status::Ok();
  }
  Family f{std::string(help), type, std::move(label_names), std::move(buckets), {}, {}};
  if (f.label_names.empty()) {
    if (type == MetricType::kHistogram) {
      f.histograms.emplace("", Histogram{std::vector<double>(f.buckets.size() + 1, 0.0), 0, 0});
    } else {
      f.series.emplace("", 0.0);
    }
  }
  families_.emplace(std::string(name), std::move(f));
  return Status::Ok();
}

void MetricsRegistry::Inc(std::string_view name, const Labels& labels, double value) {
  Update(Op::kInc, name, labels, value);
}

void MetricsRegistry::Set(std::string_view name, const Labels& labels, double value) {
  Update(Op::kSet, name, labels, value);
}

void MetricsRegistry::Observe(std::string_view name, const Labels& labels, double value) {
  Update(Op::kObserve, name, labels, value);
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
  if ((f.type == MetricType::kHistogram) != (op == Op::kObserve)) {
    return RejectLocked("wrong_type");
  }
  if (f.type == MetricType::kHistogram) {
    if (std::isnan(value)) return RejectLocked("nan_observation");
    auto hit = f.histograms.find(key);
    if (hit == f.histograms.end()) {
      if (f.histograms.size() >= options_.max_series_per_metric) {
        return RejectLocked("too_many_series");
      }
      hit = f.histograms
                .emplace(std::move(key),
                         Histogram{std::vector<double>(f.buckets.size() + 1, 0.0), 0, 0})
                .first;
    }
    Histogram& h = hit->second;
    // The first bucket whose upper bound holds the value (le: less than or equal), else +Inf.
    const auto b = std::lower_bound(f.buckets.begin(), f.buckets.end(), value) - f.buckets.begin();
    h.counts[static_cast<std::size_t>(b)] += 1;
    h.sum += value;
    h.count += 1;
    return;
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
  if (fit->second.type == MetricType::kHistogram) {
    auto hit = fit->second.histograms.find(key);
    if (hit == fit->second.histograms.end()) return std::nullopt;
    return hit->second.count;
  }
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
    for (const auto& [labels, h] : f.histograms) {
      double cumulative = 0;
      for (std::size_t b = 0; b <= f.buckets.size(); ++b) {
        cumulative += h.counts[b];
        std::string le;
        if (b < f.buckets.size()) {
          AppendValue(le, f.buckets[b]);
        } else {
          le = "+Inf";
        }
        out += name;
        out += "_bucket";
        out += WithLe(labels, le);
        out += ' ';
        AppendValue(out, cumulative);
        out += '\n';
      }
      out += name;
      out += "_sum";
      out += labels;
      out += ' ';
      AppendValue(out, h.sum);
      out += '\n';
      out += name;
      out += "_count";
      out += labels;
      out += ' ';
      AppendValue(out, h.count);
      out += '\n';
    }
  }
  return out;
}

}  // namespace nianbao::app
