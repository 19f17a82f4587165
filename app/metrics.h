// MetricsRegistry: the daemon's counters, gauges and histograms, rendered for Prometheus.
//
// Every component counts its outcomes here (fetches by status, bytes, reports by change,
// findings by rule, Kafka delivery errors, queue depths, per-source last success) and the
// operator endpoint (app/http_endpoint.h) serves RenderPrometheus() at GET /metrics in the
// text exposition format 0.0.4.
//
// The metric names the daemon uses, with their help text, type and label names, are one table
// in metrics.cc (KnownMetrics()); a registry starts with all of them described. Describe() adds
// more at run time (tests, plug-ins). Updates name a described metric and give exactly its
// label names; anything else is a bug in the caller and is dropped, not thrown and not fatal:
// it is counted in nianbao_metrics_rejected_total{reason=...}, so a typo shows on /metrics
// instead of taking the daemon down.
//
// Ownership: the daemon owns one registry, constructed before and destroyed after every
// component that updates it (and after the HTTP endpoint that renders it).
// Threading: every method is thread-safe. One mutex guards the whole registry: updates come
// a few per fetched page (tens a second at most, from the loop thread and the parse pool) and
// hold the lock for one map lookup, so contention is negligible next to the network; a single
// lock also gives RenderPrometheus() a consistent snapshot without per-series atomics.
#pragma once

#include <array>
#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace nianbao::app {

enum class MetricType {
  kCounter,    // only goes up: Inc() with a value >= 0
  kGauge,      // goes up and down: Set(), or Inc() with any value
  kHistogram,  // Observe(): counts per bucket (upper bounds, cumulative when rendered), sum,
               // count; rendered as NAME_bucket{le=...}, NAME_sum, NAME_count
};

// Label name -> value. A std::map so that a label set has one order (sorted by name) and the
// rendered output is stable. Values are free UTF-8 text; they are escaped when rendered.
using Labels = std::map<std::string, std::string, std::less<>>;

// One row of the table of known metrics.
struct MetricSpec {
  std::string_view name;
  MetricType type;
  std::string_view help;
  std::array<std::string_view, 2> labels;  // label names; unused slots are empty
  std::span<const double> buckets = {};    // histograms: the upper bounds, ascending
};

// The metric names the daemon uses. Callers name metrics through these constants so that a
// typo is a compile error; the help text, type and labels of each are in KnownMetrics().
namespace metric {
inline constexpr std::string_view kFetchesTotal = "nianbao_fetches_total";
inline constexpr std::string_view kBytesTotal = "nianbao_bytes_total";
inline constexpr std::string_view kReportsTotal = "nianbao_reports_total";
inline constexpr std::string_view kFindingsTotal = "nianbao_findings_total";
inline constexpr std::string_view kKafkaDeliveryErrorsTotal = "nianbao_kafka_delivery_errors_total";
inline constexpr std::string_view kQueueDepth = "nianbao_queue_depth";
inline constexpr std::string_view kQueueBytes = "nianbao_queue_bytes";
inline constexpr std::string_view kAlertsTotal = "nianbao_alerts_total";
inline constexpr std::string_view kSourceLastSuccessTimestampSeconds =
    "nianbao_source_last_success_timestamp_seconds";
inline constexpr std::string_view kHttpRequestsTotal = "nianbao_http_requests_total";
inline constexpr std::string_view kMetricsRejectedTotal = "nianbao_metrics_rejected_total";
inline constexpr std::string_view kArchiveBytesTotal = "nianbao_archive_bytes_total";
inline constexpr std::string_view kArchiveRecordsTotal = "nianbao_archive_records_total";
inline constexpr std::string_view kArchiveFilesTotal = "nianbao_archive_files_total";
inline constexpr std::string_view kArchiveErrorsTotal = "nianbao_archive_errors_total";
inline constexpr std::string_view kFetchDurationSeconds = "nianbao_fetch_duration_seconds";
inline constexpr std::string_view kParseDurationSeconds = "nianbao_parse_duration_seconds";
inline constexpr std::string_view kDeliveryLatencySeconds = "nianbao_delivery_latency_seconds";
inline constexpr std::string_view kDeliveryFailuresTotal = "nianbao_delivery_failures_total";
inline constexpr std::string_view kSourceHealth = "nianbao_source_health";
inline constexpr std::string_view kSourceLastPassTimestampSeconds =
    "nianbao_source_last_pass_timestamp_seconds";
inline constexpr std::string_view kBuildInfo = "nianbao_build_info";
// [cluster] (docs/cluster.md).
inline constexpr std::string_view kClusterPartitionsOwned = "nianbao_cluster_partitions_owned";
inline constexpr std::string_view kClusterSourcesOwned = "nianbao_cluster_sources_owned";
inline constexpr std::string_view kClusterMemberState = "nianbao_cluster_member_state";
inline constexpr std::string_view kClusterPartitionOwned = "nianbao_cluster_partition_owned";
inline constexpr std::string_view kClusterChangelogRecordsTotal =
    "nianbao_cluster_changelog_records_total";
inline constexpr std::string_view kKafkaMessagesProducedTotal =
    "nianbao_kafka_messages_produced_total";
inline constexpr std::string_view kKafkaBatchesTotal = "nianbao_kafka_batches_total";
inline constexpr std::string_view kKafkaTransactionsTotal = "nianbao_kafka_transactions_total";
// The process metrics every Prometheus client library exports, under their usual names.
inline constexpr std::string_view kProcessCpuSecondsTotal = "process_cpu_seconds_total";
inline constexpr std::string_view kProcessResidentMemoryBytes = "process_resident_memory_bytes";
inline constexpr std::string_view kProcessOpenFds = "process_open_fds";
inline constexpr std::string_view kProcessStartTimeSeconds = "process_start_time_seconds";
}  // namespace metric

// The health values a source's nianbao_source_health series take (one series each, 1 for the
// current one, 0 for the others), as in the source.* events.
inline constexpr std::array<std::string_view, 4> kSourceHealthValues = {"ok", "stale",
                                                                        "unreachable", "blocked"};

// The table of known metrics (defined in metrics.cc, the one place they are declared).
std::span<const MetricSpec> KnownMetrics();

struct MetricsOptions {
  // Label sets kept per metric; an update that would create one more is dropped and counted
  // (reason="too_many_series"). Bounds memory and scrape size against a label taking
  // unbounded values (a URL instead of a source name). Default: 10000.
  std::size_t max_series_per_metric = 10000;
};

class MetricsRegistry {
 public:
  explicit MetricsRegistry(MetricsOptions options = {});
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  // Declares a metric. `name` must match [a-zA-Z_:][a-zA-Z0-9_:]*, each label name
  // [a-zA-Z_][a-zA-Z0-9_]* and not start with "__". Describing a known name again with the
  // same type and labels only replaces the help text; a different type or label set is an
  // error. A metric without labels starts at 0 (so it is scraped before its first update).
  Status Describe(std::string_view name, std::string_view help, MetricType type,
                  std::vector<std::string> label_names = {});
  // Declares a histogram with these bucket upper bounds (finite, strictly ascending; +Inf is
  // implied). Describing it again with other buckets is an error.
  Status DescribeHistogram(std::string_view name, std::string_view help,
                           std::vector<std::string> label_names, std::vector<double> buckets);

  // Adds `value` to the series `name{labels}`, creating it at 0 first.
  // REQUIRES: `name` is described, `labels` has exactly its label names, and for a counter
  // value >= 0 (NaN is refused too). Otherwise the update is dropped and counted.
  void Inc(std::string_view name, const Labels& labels = {}, double value = 1);

  // Sets the gauge series `name{labels}` to `value`.
  // REQUIRES: `name` is a described gauge with exactly these label names.
  void Set(std::string_view name, const Labels& labels, double value);

  // Adds one observation `value` to the histogram series `name{labels}`.
  // REQUIRES: `name` is a described histogram with exactly these label names; value not NaN.
  void Observe(std::string_view name, const Labels& labels, double value);

  // The current value of a series, or nullopt when it does not exist (tests, health checks).
  // For a histogram: its count of observations.
  std::optional<double> Value(std::string_view name, const Labels& labels = {}) const;

  // Text exposition format 0.0.4: for each metric, sorted by name, "# HELP" and "# TYPE"
  // lines then one line per series, sorted by label set. Identical state renders identical
  // text whatever the order of updates was.
  std::string RenderPrometheus() const;

 private:
  struct Histogram {
    std::vector<double> counts;  // per bucket, not cumulative; the last one is +Inf
    double sum = 0;
    double count = 0;
  };
  struct Family {
    std::string help;
    MetricType type;
    std::vector<std::string> label_names;                      // sorted, as a Labels map iterates
    std::vector<double> buckets;                               // histograms only
    std::map<std::string, Histogram, std::less<>> histograms;  // histograms only, as `series`
    // Rendered label set ("" or {a="x",b="y"}, escaped) -> value. Keyed by the rendered text
    // so that rendering is a walk and the order is the byte order of what is printed.
    std::map<std::string, double, std::less<>> series;
  };
  enum class Op { kInc, kSet, kObserve };
  Status DescribeImpl(std::string_view name, std::string_view help, MetricType type,
                      std::vector<std::string> label_names, std::vector<double> buckets);

  void Update(Op op, std::string_view name, const Labels& labels, double value);
  // Counts a dropped update. REQUIRES: mu_ held.
  void RejectLocked(std::string_view reason);

  const MetricsOptions options_;
  mutable std::mutex mu_;
  std::map<std::string, Family, std::less<>> families_;  // GUARDED_BY(mu_)
};

}  // namespace nianbao::app
