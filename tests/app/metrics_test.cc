// MetricsRegistry: the declarative table, the Prometheus text exposition (0.0.4), misuse
// counting, and counters under concurrent updates.
#include "app/metrics.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <ctime>
#include <limits>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "app/process_metrics.h"

namespace nianbao::app {
namespace {

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// Why `line` is not a line of the text exposition format 0.0.4 (HELP, TYPE or a sample
// without timestamp), or "" when it is. A small hand parser: std::regex trips GCC 12's
// -Wmaybe-uninitialized under the sanitizers.
std::string CheckExpositionLine(std::string_view line) {
  auto name_len = [](std::string_view s, bool colon) {
    std::size_t i = 0;
    for (; i < s.size(); ++i) {
      const char c = s[i];
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
                      (colon && c == ':') || (i > 0 && c >= '0' && c <= '9');
      if (!ok) break;
    }
    return i;
  };
  if (line.starts_with("# HELP ") || line.starts_with("# TYPE ")) {
    const bool is_help = line[2] == 'H';
    std::string_view rest = line.substr(7);
    const std::size_t n = name_len(rest, true);
    if (n == 0 || n >= rest.size() || rest[n] != ' ') return "bad metric name";
    rest = rest.substr(n + 1);
    if (!is_help) {
      return rest == "counter" || rest == "gauge" || rest == "histogram" ? "" : "bad type";
    }
    for (std::size_t i = 0; i < rest.size(); ++i) {
      if (rest[i] == '\\') {
        if (i + 1 >= rest.size() || (rest[i + 1] != '\\' && rest[i + 1] != 'n')) {
          return "bad escape in help";
        }
        ++i;
      }
    }
    return "";
  }
  std::string_view rest = line;
  const std::size_t n = name_len(rest, true);
  if (n == 0) return "bad metric name";
  rest = rest.substr(n);
  if (rest.starts_with("{")) {
    rest = rest.substr(1);
    while (true) {
      const std::size_t ln = name_len(rest, false);
      if (ln == 0 || rest.substr(ln, 2) != "=\"") return "bad label name";
      rest = rest.substr(ln + 2);
      std::size_t i = 0;
      for (; i < rest.size() && rest[i] != '"'; ++i) {
        if (rest[i] == '\n') return "raw newline in label value";
        if (rest[i] == '\\') {
          if (i + 1 >= rest.size() ||
              (rest[i + 1] != '\\' && rest[i + 1] != '"' && rest[i + 1] != 'n')) {
            return "bad escape in label value";
          }
          ++i;
        }
      }
      if (i >= rest.size()) return "unterminated label value";
      rest = rest.substr(i + 1);
      if (rest.starts_with(",")) {
        rest = rest.substr(1);
        continue;
      }
      if (!rest.starts_with("}")) return "bad label list";
      rest = rest.substr(1);
      break;
    }
  }
  if (!rest.starts_with(" ")) return "no space before the value";
  rest = rest.substr(1);
  if (rest == "NaN" || rest == "+Inf" || rest == "-Inf") return "";
  double v = 0;
  const auto r = std::from_chars(rest.data(), rest.data() + rest.size(), v);
  if (r.ec != std::errc() || r.ptr != rest.data() + rest.size()) return "bad value";
  return "";
}

double Rejected(const MetricsRegistry& m, const std::string& reason) {
  return m.Value(metric::kMetricsRejectedTotal, {{"reason", reason}}).value_or(0);
}

TEST(MetricsTableTest, EveryKnownMetricIsDescribedAndRendered) {
  // Given a fresh registry, when rendered, then every row of the table has HELP and TYPE.
  MetricsRegistry m;
  const std::string text = m.RenderPrometheus();
  ASSERT_FALSE(KnownMetrics().empty());
  for (const MetricSpec& spec : KnownMetrics()) {
    const std::string name(spec.name);
    EXPECT_NE(text.find("# HELP " + name + " "), std::string::npos) << name;
    const std::string type = spec.type == MetricType::kCounter ? "counter"
                             : spec.type == MetricType::kGauge ? "gauge"
                                                               : "histogram";
    EXPECT_NE(text.find("# TYPE " + name + " " + type + "\n"), std::string::npos) << name;
    // The table passes the registry's own validation (the constructor ignores the status).
    MetricsRegistry other;
    std::vector<std::string> labels;
    for (std::string_view l : spec.labels) {
      if (!l.empty()) labels.emplace_back(l);
    }
    if (spec.type == MetricType::kHistogram) {
      EXPECT_TRUE(other
                      .DescribeHistogram(spec.name, spec.help, labels,
                                         {spec.buckets.begin(), spec.buckets.end()})
                      .ok())
          << name;
      EXPECT_FALSE(spec.buckets.empty()) << name;
      EXPECT_TRUE(spec.name.ends_with("_seconds")) << name << ": our histograms are durations";
    } else {
      EXPECT_TRUE(other.Describe(spec.name, spec.help, spec.type, labels).ok()) << name;
    }
    if (spec.type == MetricType::kCounter) {
      EXPECT_TRUE(spec.name.ends_with("_total")) << name << ": counters end in _total";
    }
  }
}

TEST(MetricsTableTest, UnlabelledMetricsStartAtZero) {
  MetricsRegistry m;
  const std::string text = m.RenderPrometheus();
  EXPECT_NE(text.find("\nnianbao_bytes_total 0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\nnianbao_kafka_delivery_errors_total 0\n"), std::string::npos);
  EXPECT_EQ(m.Value(metric::kBytesTotal), 0);
}

TEST(MetricsTableTest, AlertsCountByTargetAndOutcome) {
  MetricsRegistry m;
  m.Inc(metric::kAlertsTotal, {{"target", "1:wecom"}, {"outcome", "sent"}}, 3);
  m.Inc(metric::kAlertsTotal, {{"target", "1:wecom"}, {"outcome", "refused"}});
  const std::string text = m.RenderPrometheus();
  EXPECT_NE(text.find("# TYPE nianbao_alerts_total counter\n"), std::string::npos) << text;
  // Label names in their sorted order, as the registry writes every series.
  EXPECT_NE(text.find("\nnianbao_alerts_total{outcome=\"sent\",target=\"1:wecom\"} 3\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("\nnianbao_alerts_total{outcome=\"refused\",target=\"1:wecom\"} 1\n"),
            std::string::npos);
}

TEST(MetricsRenderTest, CountersAndGaugesWithLabels) {
  MetricsRegistry m;
  m.Inc(metric::kFetchesTotal, {{"status", "200"}});
  m.Inc(metric::kFetchesTotal, {{"status", "200"}}, 2);
  m.Inc(metric::kFetchesTotal, {{"status", "timeout"}});
  m.Inc(metric::kBytesTotal, {}, 1536);
  m.Set(metric::kQueueDepth, {{"queue", "pages"}}, 7);
  m.Set(metric::kQueueDepth, {{"queue", "pages"}}, 4);
  m.Inc(metric::kQueueDepth, {{"queue", "pages"}}, -1);  // a gauge may go down
  m.Set(metric::kSourceLastSuccessTimestampSeconds, {{"source", "beijing"}}, 1700000000.5);

  const std::string text = m.RenderPrometheus();
  EXPECT_NE(text.find("# TYPE nianbao_fetches_total counter\n"
                      "nianbao_fetches_total{status=\"200\"} 3\n"
                      "nianbao_fetches_total{status=\"timeout\"} 1\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("\nnianbao_bytes_total 1536\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE nianbao_queue_depth gauge\n"
                      "nianbao_queue_depth{queue=\"pages\"} 3\n"),
            std::string::npos)
      << text;
  EXPECT_NE(
      text.find("nianbao_source_last_success_timestamp_seconds{source=\"beijing\"} 1700000000.5\n"),
      std::string::npos);
}

TEST(MetricsRenderTest, EscapesLabelValuesAndHelp) {
  MetricsRegistry m;
  ASSERT_TRUE(m.Describe("test_escape_total", "Help with \\ backslash\nand \"quotes\".",
                         MetricType::kCounter, {"v"})
                  .ok());
  m.Inc("test_escape_total", {{"v", "a\\b\"c\nd 政府"}});
  const std::string text = m.RenderPrometheus();
  // HELP: backslash and newline escaped, quotes literal.
  EXPECT_NE(text.find("# HELP test_escape_total Help with \\\\ backslash\\nand \"quotes\".\n"),
            std::string::npos)
      << text;
  // Label value: backslash, quote and newline escaped; UTF-8 passes through.
  EXPECT_NE(text.find("test_escape_total{v=\"a\\\\b\\\"c\\nd 政府\"} 1\n"), std::string::npos)
      << text;
}

TEST(MetricsRenderTest, LabelsSortedByNameAndSeriesSorted) {
  MetricsRegistry m;
  ASSERT_TRUE(m.Describe("test_pairs", "Pairs.", MetricType::kGauge, {"zone", "app"}).ok());
  m.Set("test_pairs", {{"zone", "b"}, {"app", "x"}}, 1);
  m.Set("test_pairs", {{"zone", "a"}, {"app", "x"}}, 2);
  const std::string text = m.RenderPrometheus();
  EXPECT_NE(text.find("test_pairs{app=\"x\",zone=\"a\"} 2\n"
                      "test_pairs{app=\"x\",zone=\"b\"} 1\n"),
            std::string::npos)
      << text;
}

TEST(MetricsRenderTest, NamesSortedAndOutputIndependentOfUpdateOrder) {
  // Given two registries updated in opposite orders, then they render the same text, and
  // the metric names in it are sorted.
  MetricsRegistry a;
  MetricsRegistry b;
  const std::vector<std::string> rules = {"r3", "r1", "r2"};
  for (const auto& r : rules) a.Inc(metric::kFindingsTotal, {{"rule", r}});
  a.Inc(metric::kReportsTotal, {{"change", "new"}});
  b.Inc(metric::kReportsTotal, {{"change", "new"}});
  for (auto it = rules.rbegin(); it != rules.rend(); ++it) {
    b.Inc(metric::kFindingsTotal, {{"rule", *it}});
  }
  EXPECT_EQ(a.RenderPrometheus(), b.RenderPrometheus());
  EXPECT_EQ(a.RenderPrometheus(), a.RenderPrometheus());

  std::vector<std::string> names;
  for (const auto& line : Lines(a.RenderPrometheus())) {
    if (line.starts_with("# TYPE ")) names.push_back(line.substr(7, line.find(' ', 7) - 7));
  }
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  const std::string text = a.RenderPrometheus();
  EXPECT_LT(text.find("{rule=\"r1\"}"), text.find("{rule=\"r2\"}"));
  EXPECT_LT(text.find("{rule=\"r2\"}"), text.find("{rule=\"r3\"}"));
}

TEST(MetricsRenderTest, ExpositionCheckerRejectsBadLines) {
  // The checker used below accepts what it should and nothing more.
  EXPECT_EQ(CheckExpositionLine("a_b:c{x=\"1\",y=\"q\\\"\\\\\\n\"} -0.5"), "");
  EXPECT_EQ(CheckExpositionLine("# HELP a Some \\\\ help\\n."), "");
  EXPECT_EQ(CheckExpositionLine("# TYPE a gauge"), "");
  EXPECT_NE(CheckExpositionLine("# TYPE a histogramm"), "");
  EXPECT_NE(CheckExpositionLine("1a 1"), "");
  EXPECT_NE(CheckExpositionLine("a{x=\"unterminated} 1"), "");
  EXPECT_NE(CheckExpositionLine("a{x=\"bad \\q\"} 1"), "");
  EXPECT_NE(CheckExpositionLine("a{1x=\"v\"} 1"), "");
  EXPECT_NE(CheckExpositionLine("a 1 2"), "");
  EXPECT_NE(CheckExpositionLine("a one"), "");
}

TEST(MetricsRenderTest, EveryLineIsValidExposition) {
  MetricsRegistry m;
  m.Inc(metric::kFetchesTotal, {{"status", "404"}});
  m.Inc(metric::kFindingsTotal, {{"rule", "row \"5\"\nsum\\"}});
  m.Set(metric::kQueueDepth, {{"queue", "pages"}}, 0.25);
  ASSERT_TRUE(m.Describe("test_special", "Special values.", MetricType::kGauge, {"k"}).ok());
  m.Set("test_special", {{"k", "nan"}}, std::numeric_limits<double>::quiet_NaN());
  m.Set("test_special", {{"k", "inf"}}, std::numeric_limits<double>::infinity());
  m.Set("test_special", {{"k", "-inf"}}, -std::numeric_limits<double>::infinity());
  m.Set("test_special", {{"k", "big"}}, 1e20);

  const std::string text = m.RenderPrometheus();
  ASSERT_TRUE(text.ends_with("\n"));
  for (const auto& line : Lines(text)) {
    EXPECT_EQ(CheckExpositionLine(line), "") << line;
  }
  EXPECT_NE(text.find("test_special{k=\"nan\"} NaN\n"), std::string::npos);
  EXPECT_NE(text.find("test_special{k=\"inf\"} +Inf\n"), std::string::npos);
  EXPECT_NE(text.find("test_special{k=\"-inf\"} -Inf\n"), std::string::npos);
  EXPECT_NE(text.find("test_special{k=\"big\"} 1e+20\n"), std::string::npos);
  EXPECT_NE(text.find("nianbao_queue_depth{queue=\"pages\"} 0.25\n"), std::string::npos);
}

TEST(MetricsHistogramTest, RendersCumulativeBucketsSumAndCount) {
  MetricsRegistry m;
  ASSERT_TRUE(m.DescribeHistogram("t_seconds", "A test.", {"kind"}, {0.5, 1, 5}).ok());
  // Given 0.25 and 0.5 (le: both in the first bucket), 3 (the third) and 10 (only +Inf)
  for (double v : {0.25, 0.5, 3.0, 10.0}) m.Observe("t_seconds", {{"kind", "a"}}, v);
  const std::string text = m.RenderPrometheus();
  EXPECT_NE(text.find("# TYPE t_seconds histogram\n"
                      "t_seconds_bucket{kind=\"a\",le=\"0.5\"} 2\n"
                      "t_seconds_bucket{kind=\"a\",le=\"1\"} 2\n"
                      "t_seconds_bucket{kind=\"a\",le=\"5\"} 3\n"
                      "t_seconds_bucket{kind=\"a\",le=\"+Inf\"} 4\n"
                      "t_seconds_sum{kind=\"a\"} 13.75\n"
                      "t_seconds_count{kind=\"a\"} 4\n"),
            std::string::npos)
      << text;
  EXPECT_EQ(m.Value("t_seconds", {{"kind", "a"}}), 4);
  // An unlabelled histogram is rendered at zero before its first observation
  EXPECT_NE(m.RenderPrometheus().find("nianbao_parse_duration_seconds_count 0\n"),
            std::string::npos);
  // Misuse: Inc on a histogram, Observe on a counter, NaN, bad buckets, "le" as a label
  m.Inc("t_seconds", {{"kind", "a"}});
  m.Observe(metric::kFetchesTotal, {{"status", "200"}}, 1);
  m.Observe("t_seconds", {{"kind", "a"}}, std::nan(""));
  EXPECT_EQ(m.Value(metric::kMetricsRejectedTotal, {{"reason", "wrong_type"}}), 2);
  EXPECT_EQ(m.Value(metric::kMetricsRejectedTotal, {{"reason", "nan_observation"}}), 1);
  EXPECT_EQ(m.Value("t_seconds", {{"kind", "a"}}), 4);
  EXPECT_FALSE(m.DescribeHistogram("u_seconds", "x", {}, {1, 1}).ok());
  EXPECT_FALSE(m.DescribeHistogram("v_seconds", "x", {"le"}, {1}).ok());
  EXPECT_FALSE(m.Describe("w_seconds", "x", MetricType::kHistogram).ok());
  EXPECT_FALSE(m.DescribeHistogram("t_seconds", "x", {"kind"}, {1, 2}).ok()) << "other buckets";
}

TEST(MetricsMisuseTest, BadUpdatesAreDroppedAndCounted) {
  MetricsRegistry m;
  m.Inc("nianbao_no_such_metric_total");
  m.Inc(metric::kFetchesTotal);                                     // missing label
  m.Inc(metric::kFetchesTotal, {{"status", "200"}, {"x", "y"}});    // extra label
  m.Inc(metric::kFetchesTotal, {{"code", "200"}});                  // wrong label name
  m.Set(metric::kFetchesTotal, {{"status", "200"}}, 5);             // Set on a counter
  m.Inc(metric::kFetchesTotal, {{"status", "200"}}, -1);            // counters only go up
  m.Inc(metric::kFetchesTotal, {{"status", "200"}}, std::nan(""));  // nor sideways

  EXPECT_EQ(Rejected(m, "unknown_metric"), 1);
  EXPECT_EQ(Rejected(m, "wrong_labels"), 3);
  EXPECT_EQ(Rejected(m, "wrong_type"), 1);
  EXPECT_EQ(Rejected(m, "negative_increment"), 2);
  EXPECT_FALSE(m.Value(metric::kFetchesTotal, {{"status", "200"}}).has_value());
  EXPECT_EQ(m.RenderPrometheus().find("nianbao_fetches_total{"), std::string::npos);
}

TEST(MetricsMisuseTest, SeriesPerMetricAreCapped) {
  MetricsRegistry m(MetricsOptions{.max_series_per_metric = 3});
  for (int i = 0; i < 5; ++i) m.Inc(metric::kFindingsTotal, {{"rule", std::to_string(i)}});
  m.Inc(metric::kFindingsTotal, {{"rule", "0"}});  // an existing series still counts
  EXPECT_EQ(m.Value(metric::kFindingsTotal, {{"rule", "0"}}), 2);
  EXPECT_FALSE(m.Value(metric::kFindingsTotal, {{"rule", "3"}}).has_value());
  EXPECT_EQ(Rejected(m, "too_many_series"), 2);
}

TEST(MetricsDescribeTest, ValidatesNamesAndConflicts) {
  MetricsRegistry m;
  EXPECT_FALSE(m.Describe("", "x", MetricType::kGauge).ok());
  EXPECT_FALSE(m.Describe("1abc", "x", MetricType::kGauge).ok());
  EXPECT_FALSE(m.Describe("a-b", "x", MetricType::kGauge).ok());
  EXPECT_FALSE(m.Describe("ok_name", "x", MetricType::kGauge, {"__reserved"}).ok());
  EXPECT_FALSE(m.Describe("ok_name", "x", MetricType::kGauge, {"a:b"}).ok());
  EXPECT_FALSE(m.Describe("ok_name", "x", MetricType::kGauge, {"a", "a"}).ok());
  EXPECT_TRUE(m.Describe("ns:ok_name", "x", MetricType::kGauge, {"a"}).ok());
  // Same type and labels: only the help text changes.
  EXPECT_TRUE(m.Describe(metric::kBytesTotal, "New help.", MetricType::kCounter).ok());
  EXPECT_NE(m.RenderPrometheus().find("# HELP nianbao_bytes_total New help.\n"), std::string::npos);
  // Another type or label set: refused, the original stays.
  const Status s = m.Describe(metric::kBytesTotal, "x", MetricType::kGauge);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_FALSE(m.Describe(metric::kFetchesTotal, "x", MetricType::kCounter, {"code"}).ok());
  EXPECT_NE(m.RenderPrometheus().find("# TYPE nianbao_bytes_total counter\n"), std::string::npos);
}

TEST(MetricsConcurrencyTest, CountersAddUpAcrossThreads) {
  // Given 8 threads each adding 20000 increments to two series and moving a gauge,
  // then no increment is lost and a concurrent render never tears.
  MetricsRegistry m;
  constexpr int kThreads = 8;
  constexpr int kPerThread = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&m, t] {
      const std::string status = t % 2 == 0 ? "200" : "404";
      for (int i = 0; i < kPerThread; ++i) {
        m.Inc(metric::kFetchesTotal, {{"status", status}});
        m.Inc(metric::kBytesTotal, {}, 10);
        m.Set(metric::kQueueDepth, {{"queue", "pages"}}, i);
      }
    });
  }
  std::thread renderer([&m] {
    for (int i = 0; i < 50; ++i) {
      const std::string text = m.RenderPrometheus();
      ASSERT_NE(text.find("# TYPE nianbao_fetches_total counter"), std::string::npos);
    }
  });
  for (auto& th : threads) th.join();
  renderer.join();
  EXPECT_EQ(m.Value(metric::kFetchesTotal, {{"status", "200"}}), kThreads / 2 * kPerThread);
  EXPECT_EQ(m.Value(metric::kFetchesTotal, {{"status", "404"}}), kThreads / 2 * kPerThread);
  EXPECT_EQ(m.Value(metric::kBytesTotal), 10.0 * kThreads * kPerThread);
  EXPECT_EQ(m.Value(metric::kQueueDepth, {{"queue", "pages"}}), kPerThread - 1);
  EXPECT_EQ(Rejected(m, "unknown_metric"), 0);
}

TEST(ProcessMetricsTest, ReadsThisProcessFromProc) {
  // A descriptor opened here is counted: the count goes up by one while it is open.
  const auto before = ReadProcessStats();
  ASSERT_TRUE(before.has_value());
  const int fd = ::dup(1);
  ASSERT_GE(fd, 0);
  const auto during = ReadProcessStats();
  ::close(fd);
  ASSERT_TRUE(during.has_value());
  EXPECT_EQ(during->open_fds, before->open_fds + 1);
  EXPECT_GT(before->resident_bytes, 0);
  EXPECT_GE(before->cpu_seconds, 0);
  // Started within the last hour (the test binary), not in the future.
  const double now = static_cast<double>(std::time(nullptr));
  EXPECT_LE(before->start_time_seconds, now + 1);
  EXPECT_GT(before->start_time_seconds, now - 3600);
}

}  // namespace
}  // namespace nianbao::app
