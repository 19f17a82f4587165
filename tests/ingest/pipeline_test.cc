// The ingest pipeline with a recording sink (a test double of our own Sink interface): what
// is published for a new, a revised, an already delivered and a non-report page; the
// messages' keys and headers as spec record-v1 says; and backpressure from a full sink.
#include "ingest/pipeline.h"

#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace nianbao::ingest {
namespace {

using namespace std::chrono_literals;

class RecordingSink : public sinks::Sink {
 public:
  std::string_view name() const override { return "recording"; }
  bool TrySubmit(sinks::Batch& batch, Done done) override {
    std::lock_guard<std::mutex> lock(mu);
    if (full) return false;
    batches.push_back(std::move(batch));
    if (fail) {
      done(Status::Unavailable("broker down"));
    } else {
      done(Status::Ok());
    }
    return true;
  }
  size_t pending() const override { return 0; }
  Status Close(std::chrono::milliseconds) override { return Status::Ok(); }

  std::mutex mu;
  std::vector<sinks::Batch> batches;
  std::atomic<bool> full{false};
  bool fail = false;
};

std::string Seed(const std::string& name) {
  std::ifstream in(std::string(NIANBAO_FIXTURES) + "/seeds/" + name, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string HeaderOf(const sinks::Message& m, const std::string& key) {
  for (const auto& h : m.headers) {
    if (h.key == key) return h.value;
  }
  return "<absent>";
}

class PipelineTest : public ::testing::Test {
 protected:
  crawler::FetchedPage Page(const std::string& seed, const std::string& url) {
    crawler::FetchedPage p;
    p.source = "test-source";
    p.url = url;
    p.final_url = url;
    p.status = 200;
    p.content_type = "text/plain; charset=utf-8";
    p.body = Seed(seed);
    p.sha256 = parser::Sha256Hex(p.body);
    p.fetched_at = std::chrono::system_clock::now();
    return p;
  }

  // Feeds pages, closes the queue, waits for the workers and runs the loop's callbacks.
  void Run(std::vector<crawler::FetchedPage> pages) {
    Pipeline pipeline(io_, queue_, {&sink_}, PipelineOptions{},
                      [&](const auto& url, const auto& sha) { delivered_.emplace_back(url, sha); });
    pipeline.Start();
    for (auto& p : pages) {
      while (!queue_.TryPush(p)) std::this_thread::sleep_for(5ms);
    }
    queue_.Close();
    pipeline.Join();
    io_.run_for(50ms);
    stats_published_ = pipeline.stats().published;
    stats_revised_ = pipeline.stats().revised;
  }

  boost::asio::io_context io_;
  crawler::PageQueue queue_{4};
  RecordingSink sink_;
  std::vector<std::pair<std::string, std::string>> delivered_;
  int64_t stats_published_ = 0, stats_revised_ = 0;
};

TEST_F(PipelineTest, PublishesTheRecordAndItsFindingsAsOneBatchWithSpecHeaders) {
  const std::string url = "https://www.example.gov.cn/zfxxgknb/t20210119_1.html";
  Run({Page("000_d4e73e73a1b7a1d3.txt", url)});
  ASSERT_EQ(sink_.batches.size(), 1u);
  const auto& b = sink_.batches[0];
  // Seed 000 has three findings (see seed_golden_test): record + 3 messages.
  ASSERT_EQ(b.messages.size(), 4u);
  const auto& record = b.messages[0];
  std::string report_id = parser::ReportIdForUrl(url);
  EXPECT_EQ(record.topic, "nianbao.reports");
  EXPECT_EQ(record.key, report_id);
  EXPECT_EQ(HeaderOf(record, "schema"), "nianbao.report.v1");
  EXPECT_EQ(HeaderOf(record, "event"), "report.published");
  EXPECT_EQ(HeaderOf(record, "content-type"), "application/json");
  EXPECT_EQ(HeaderOf(record, "ce_specversion"), "1.0");
  EXPECT_EQ(HeaderOf(record, "ce_type"), "cn.gov.nianbao.report.published");
  EXPECT_EQ(HeaderOf(record, "ce_source"), "nianbao/test-source");
  EXPECT_EQ(HeaderOf(record, "ce_time").size(), 24u);  // 2021-01-19T02:00:00.000Z
  auto value = nlohmann::json::parse(record.value);
  EXPECT_EQ(value["report_id"], report_id);
  EXPECT_EQ(value["source"]["url"], url);
  EXPECT_EQ(value["organization"], "洛市镇人民政府");
  std::set<std::string> ce_ids = {HeaderOf(record, "ce_id")};
  for (size_t i = 1; i < b.messages.size(); ++i) {
    const auto& f = b.messages[i];
    EXPECT_EQ(f.topic, "nianbao.findings");
    EXPECT_EQ(f.key, report_id);
    EXPECT_EQ(HeaderOf(f, "schema"), "nianbao.finding.v1");
    EXPECT_EQ(HeaderOf(f, "ce_type"), "cn.gov.nianbao.finding");
    EXPECT_EQ(nlohmann::json::parse(f.value)["report_id"], report_id);
    ce_ids.insert(HeaderOf(f, "ce_id"));
  }
  EXPECT_EQ(ce_ids.size(), 4u) << "ce_id must be unique per event";
  ASSERT_EQ(delivered_.size(), 1u);
  EXPECT_EQ(delivered_[0].first, url);
  EXPECT_EQ(stats_published_, 1);
}

TEST_F(PipelineTest, ARevisionIsPublishedAsRevisedWithTheSameKey) {
  auto page = Page("002_1b2a9a261b4cd27b.txt", "http://x.gov.cn/t1.html");
  page.delivered_sha256 = std::string(64, 'a');  // an earlier version was delivered
  Run({page});
  ASSERT_EQ(sink_.batches.size(), 1u);
  EXPECT_EQ(HeaderOf(sink_.batches[0].messages[0], "event"), "report.revised");
  EXPECT_EQ(HeaderOf(sink_.batches[0].messages[0], "ce_type"), "cn.gov.nianbao.report.revised");
  EXPECT_EQ(sink_.batches[0].messages[0].key, parser::ReportIdForUrl("http://x.gov.cn/t1.html"));
  EXPECT_EQ(stats_revised_, 1);
}

TEST_F(PipelineTest, DeliveredAndNonReportPagesAreNotPublished) {
  auto done = Page("001_0b0786dd1ab9e5a0.txt", "http://x.gov.cn/t1.html");
  done.delivered_sha256 = done.sha256;
  auto notice = Page("001_0b0786dd1ab9e5a0.txt", "http://x.gov.cn/notice.html");
  notice.body = "关于做好2020年政府信息公开工作年度报告编制工作的通知";
  notice.sha256 = parser::Sha256Hex(notice.body);
  Run({done, notice});
  EXPECT_TRUE(sink_.batches.empty());
  // The notice is looked at once and marked, so it is not fetched without validators again.
  ASSERT_EQ(delivered_.size(), 1u);
  EXPECT_EQ(delivered_[0].first, "http://x.gov.cn/notice.html");
}

TEST_F(PipelineTest, AFailedDeliveryIsNotMarked) {
  sink_.fail = true;
  Run({Page("004_192eb0e593407763.txt", "http://x.gov.cn/t4.html")});
  EXPECT_EQ(sink_.batches.size(), 1u);
  EXPECT_TRUE(delivered_.empty());
}

TEST_F(PipelineTest, AFullSinkHoldsTheWorkersAndThenTheQueue) {
  sink_.full = true;
  Pipeline pipeline(io_, queue_, {&sink_}, PipelineOptions{1, {}, {}},
                    [&](const auto& url, const auto& sha) { delivered_.emplace_back(url, sha); });
  pipeline.Start();
  int pushed = 0;
  for (int i = 0; i < 10; ++i) {
    auto p = Page("002_1b2a9a261b4cd27b.txt", "http://x.gov.cn/t" + std::to_string(i) + ".html");
    if (queue_.TryPush(p)) ++pushed;
    std::this_thread::sleep_for(20ms);
  }
  // One page held by the worker, four in the queue: the rest were refused.
  EXPECT_EQ(pushed, 5);
  sink_.full = false;
  queue_.Close();
  pipeline.Join();
  io_.run_for(50ms);
  EXPECT_EQ(sink_.batches.size(), 5u);
  EXPECT_EQ(delivered_.size(), 5u);
}

}  // namespace
}  // namespace nianbao::ingest
