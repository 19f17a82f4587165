// MetricsRegistry: the declarative table, the Prometheus text exposition (0.0.4), misuse
// counting, and counters under concurrent updates.
#include "app/metrics.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace nianbao::app {
namespace {

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
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
    const std::string type = spec.type == MetricType::kCounter ? "counter" : "gauge";
    EXPECT_NE(text.find("# TYPE " + name + " " + type + "\n"), std::string::npos) << name;
    // The table passes the registry's own validation (the constructor ignores the status).
    MetricsRegistry other;
    std::vector<std::string> labels;
    for (std::string_view l : spec.labels) {
      if (!l.empty()) labels.emplace_back(l);
    }
    EXPECT_TRUE(other.Describe(spec.name, spec.help, spec.type, labels).ok()) << name;
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

  const std::regex help(R"(# HELP [a-zA-Z_:][a-zA-Z0-9_:]* ([^\\\n]|\\\\|\\n)*)");
  const std::regex type(R"(# TYPE [a-zA-Z_:][a-zA-Z0-9_:]* (counter|gauge))");
  const std::regex sample(R"([a-zA-Z_:][a-zA-Z0-9_:]*)"
                          R"((\{[a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\\\|\\"|\\n)*")"
                          R"((,[a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\\\|\\"|\\n)*")*\})?)"
                          R"( (NaN|[+-]Inf|-?[0-9]+(\.[0-9]+)?(e[+-][0-9]+)?))");
  const std::string text = m.RenderPrometheus();
  ASSERT_TRUE(text.ends_with("\n"));
  for (const auto& line : Lines(text)) {
    EXPECT_TRUE(std::regex_match(line, help) || std::regex_match(line, type) ||
                std::regex_match(line, sample))
        << "not exposition format 0.0.4: " << line;
  }
  EXPECT_NE(text.find("test_special{k=\"nan\"} NaN\n"), std::string::npos);
  EXPECT_NE(text.find("test_special{k=\"inf\"} +Inf\n"), std::string::npos);
  EXPECT_NE(text.find("test_special{k=\"-inf\"} -Inf\n"), std::string::npos);
  EXPECT_NE(text.find("test_special{k=\"big\"} 1e+20\n"), std::string::npos);
  EXPECT_NE(text.find("nianbao_queue_depth{queue=\"pages\"} 0.25\n"), std::string::npos);
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

}  // namespace
}  // namespace nianbao::app
