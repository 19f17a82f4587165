// The whole journey of report pages on the real components: the crawler over a loopback
// column, the status updater with parsing on a thread pool, a sink that acknowledges from a
// thread of its own. The crawler is stopped and replaced in the middle of passes, as a
// SIGHUP reload does, while pages are being parsed and delivered; ASan and TSan run this.
// Defect it guards: the page queue's on-space callback captured the crawler's raw `this`
// and ran on a parser thread, racing with a reload that destroyed the crawler.
#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/thread_pool.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "crawler/crawler.h"
#include "crawler/curl_fetcher.h"
#include "crawler/state_store.h"
#include "ingest/status_updater.h"
#include "tests/crawler/test_http_server.h"
#include "tests/ingest/test_pages.h"
#include "tests/support/scratch_dir.h"

namespace nianbao::ingest {
namespace {

using namespace std::chrono_literals;
using nianbao::testing::HttpRequest;
using nianbao::testing::HttpResponse;
using nianbao::testing::ScratchDir;
using nianbao::testing::TestHttpServer;

constexpr int kReports = 24;

std::string Seed(int i) {
  static const char* kSeeds[] = {"000_d4e73e73a1b7a1d3.txt", "001_0b0786dd1ab9e5a0.txt",
                                 "002_1b2a9a261b4cd27b.txt", "003_aca0974fc56c86c8.txt",
                                 "004_192eb0e593407763.txt"};
  return nianbao::testing::SeedText(kSeeds[i % 5]) + "\n" +
         std::to_string(i);  // every page its own content
}

// Acknowledges each batch from a thread of its own after a short while, as Kafka would.
class SlowSink : public sinks::Sink {
 public:
  ~SlowSink() override { Join(); }
  std::string_view name() const override { return "slow"; }
  using Sink::TrySubmit;
  bool TrySubmit(std::shared_ptr<const sinks::Batch> batch, Done done) override {
    std::lock_guard<std::mutex> lock(mu_);
    ++accepted_;
    threads_.emplace_back([batch, done = std::move(done)] {
      std::this_thread::sleep_for(3ms);
      done(Status::Ok());
    });
    return true;
  }
  size_t pending() const override { return 0; }
  Status Close(std::chrono::milliseconds) override { return Status::Ok(); }
  void Join() {
    std::vector<std::thread> t;
    {
      std::lock_guard<std::mutex> lock(mu_);
      t.swap(threads_);
    }
    for (auto& th : t) th.join();
  }

 private:
  std::mutex mu_;
  int accepted_ = 0;
  std::vector<std::thread> threads_;
};

TEST(JourneyTest, ReloadWhilePagesAreParsedLosesNothingAndLeavesNoJourneyOpen) {
  std::vector<std::string> bodies;
  for (int i = 0; i < kReports; ++i) bodies.push_back(Seed(i));
  std::string list = "<html><body><ul>";
  for (int i = 0; i < kReports; ++i) {
    list += "<li><a href=\"/col/t" + std::to_string(i) +
            ".html\">某镇2020年政府信息公开工作年度报告" + std::to_string(i) + "</a></li>";
  }
  list += "</ul></body></html>";
  TestHttpServer server([&](const HttpRequest& req) {
    HttpResponse res;
    res.headers = {{"Content-Type", "text/html; charset=utf-8"}};
    if (req.target == "/col/index.html") {
      res.body = list;
    } else if (req.target.rfind("/col/t", 0) == 0) {
      int i = std::stoi(req.target.substr(6));
      res.headers = {{"Content-Type", "text/plain; charset=utf-8"}};
      res.body = bodies[static_cast<size_t>(i) % bodies.size()];
    } else {
      res.status = 404;
    }
    return res;
  });
  const ScratchDir dir("journey-test", ScratchDir::Start::kAbsent);
  auto state = crawler::StateStore::Open(dir.str());
  ASSERT_TRUE(state.ok()) << state.status().ToString();

  crawler::SourcesConfig config;
  crawler::Source src;
  src.name = "column";
  src.entry = {server.Url("/col/index.html")};
  src.report_text = "年度报告";
  src.settings.min_delay = 0ms;
  src.settings.per_host_concurrency = 4;
  src.settings.obey_robots = false;
  src.settings.page_budget = 100;
  config.sources = {src};
  config.global.max_concurrency = 8;

  boost::asio::io_context io;
  auto guard = boost::asio::make_work_guard(io);
  boost::asio::thread_pool cpu(2);
  crawler::CurlFetcher fetcher(io);
  SlowSink sink;
  std::set<std::string> delivered;
  StatusUpdaterOptions uo;
  uo.max_pages = 4;
  StatusUpdater updater(
      io, cpu, {&sink}, *state.value(), uo,
      [&](const std::string&, const std::string& url, PageStatus status, const std::string&) {
        if (status == PageStatus::kDelivered) delivered.insert(url);
      });

  crawler::CrawlerOptions co;
  co.cpu = &cpu;
  co.track_delivery = true;
  std::unique_ptr<crawler::Crawler> crawler;
  // Reloads at different moments of the pass: before, during and after the first parses.
  for (int round = 0; round < 12; ++round) {
    crawler = std::make_unique<crawler::Crawler>(io, fetcher, *state.value(), updater, config, co);
    crawler->RunPass([](std::vector<crawler::SourcePassStats>) {});
    auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(2 + 4 * round);
    while (std::chrono::steady_clock::now() < until) io.run_for(1ms);
    bool stopped = false;
    crawler->Stop([&] { stopped = true; });
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!stopped && std::chrono::steady_clock::now() < deadline) io.run_for(1ms);
    ASSERT_TRUE(stopped) << "round " << round << ": the crawler never became idle";
    crawler.reset();  // pages of this crawler may still be parsing or delivering
  }
  // Then passes to the end until every report was delivered.
  for (int pass = 0; pass < 5 && static_cast<int>(delivered.size()) < kReports; ++pass) {
    crawler = std::make_unique<crawler::Crawler>(io, fetcher, *state.value(), updater, config, co);
    bool done = false;
    crawler->RunPass([&](std::vector<crawler::SourcePassStats>) { done = true; });
    auto deadline = std::chrono::steady_clock::now() + 30s;
    while ((!done || updater.open() > 0) && std::chrono::steady_clock::now() < deadline) {
      io.run_for(2ms);
    }
    crawler.reset();
  }
  EXPECT_EQ(static_cast<int>(delivered.size()), kReports);
  EXPECT_EQ(updater.open(), 0u);
  EXPECT_EQ(updater.slots_used(), 0u);
  sink.Join();
  cpu.join();
  io.run_for(10ms);
}

// Keeps every batch; acknowledges at once, or (hold) never: a crash between the Kafka
// commit and the state write.
class KeepingSink : public sinks::Sink {
 public:
  std::string_view name() const override { return "keeping"; }
  using Sink::TrySubmit;
  bool TrySubmit(std::shared_ptr<const sinks::Batch> batch, Done done) override {
    batches.push_back(batch);
    if (!hold) done(Status::Ok());  // on the caller's thread: the updater posts it anyway
    return true;
  }
  size_t pending() const override { return 0; }
  Status Close(std::chrono::milliseconds) override { return Status::Ok(); }
  std::vector<std::shared_ptr<const sinks::Batch>> batches;
  bool hold = false;
};

std::string Header(const sinks::Message& m, const std::string& key) {
  for (const auto& h : m.headers) {
    if (h.key == key) return h.value;
  }
  return "";
}

// Defects: a revert's report.revised carried the ce_id of the first report.published (ce_id
// was a hash of the content), so a consumer de-duplicating on ce_id dropped it; and after a
// crash between the Kafka commit and the state write, the next version went out as
// report.published (the event was chosen from "nothing delivered yet").
TEST(JourneyTest, RevisionsRevertsAndACrashGiveTrueEventsAndOneCeIdPerEvent) {
  const ScratchDir dir("journey-events", ScratchDir::Start::kAbsent);
  auto state = crawler::StateStore::Open(dir.str());
  ASSERT_TRUE(state.ok()) << state.status().ToString();
  const std::string url = "http://x.gov.cn/col/t1.html";
  const std::string first_lost = "http://x.gov.cn/col/t2.html";
  for (const auto& u : {url, first_lost}) {
    crawler::UrlState row;
    row.url = u;
    row.source = "s";
    row.kind = "report";
    ASSERT_TRUE(state.value()->Put(row).ok());
  }

  boost::asio::io_context io;
  auto guard = boost::asio::make_work_guard(io);
  boost::asio::thread_pool cpu(2);
  KeepingSink sink;
  auto make_updater = [&] {
    return std::make_unique<StatusUpdater>(io, cpu, std::vector<sinks::Sink*>{&sink},
                                           *state.value(), StatusUpdaterOptions{});
  };
  auto hand_on = [&](StatusUpdater& u, int content, const std::string& page_url) {
    FetchedPage p = nianbao::testing::TextPage("s", page_url, Seed(content));
    auto got = state.value()->Get(page_url);
    p.delivered_sha256 = got.ok() && got.value() ? got.value()->delivered_sha256 : "";
    JourneyId id = u.Planned("s", page_url);
    ASSERT_TRUE(u.TryStart(id));
    size_t before = sink.batches.size();
    u.Fetched(id, std::move(p));
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while ((u.open() > 0 && !sink.hold) || (sink.hold && sink.batches.size() == before)) {
      if (std::chrono::steady_clock::now() > deadline) break;
      io.run_for(2ms);
    }
  };
  auto updater = make_updater();
  hand_on(*updater, 0, url);  // A: published
  hand_on(*updater, 1, url);  // B: revised
  hand_on(*updater, 0, url);  // A again (a revert): revised, a new event
  sink.hold = true;
  hand_on(*updater, 2, url);         // C: produced, never acknowledged...
  hand_on(*updater, 4, first_lost);  // (and the first version of another report)
  updater.reset();                   // ...and the process dies before the state write
  sink.hold = false;
  updater = make_updater();
  hand_on(*updater, 2, url);         // C handed on again after the restart: the same event
  hand_on(*updater, 3, url);         // D: revised, never "published"
  hand_on(*updater, 5, first_lost);  // other content: a revision of a version that may be out
  updater.reset();
  ASSERT_EQ(sink.batches.size(), 8u);
  EXPECT_EQ(Header(sink.batches[4]->messages[0], "event"), "report.published");
  EXPECT_EQ(Header(sink.batches[7]->messages[0], "event"), "report.revised")
      << "a revision after a lost acknowledgement went out as report.published";
  sink.batches.erase(sink.batches.begin() + 7);
  sink.batches.erase(sink.batches.begin() + 4);

  ASSERT_EQ(sink.batches.size(), 6u);
  std::vector<std::string> events, ids;
  for (const auto& b : sink.batches) {
    events.push_back(Header(b->messages[0], "event"));
    ids.push_back(Header(b->messages[0], "ce_id"));
  }
  EXPECT_EQ(events,
            (std::vector<std::string>{"report.published", "report.revised", "report.revised",
                                      "report.revised", "report.revised", "report.revised"}));
  EXPECT_EQ(ids[3], ids[4]) << "a redelivery of one version keeps its ce_id";
  std::set<std::string> distinct = {ids[0], ids[1], ids[2], ids[3], ids[5]};
  EXPECT_EQ(distinct.size(), 5u) << "five events, five ce_ids (the revert's is its own)";
  // The record and its findings say which version they are.
  auto last = nlohmann::json::parse(sink.batches[5]->messages[0].value);
  EXPECT_EQ(last["version"], 5);
  for (size_t i = 1; i < sink.batches[5]->messages.size(); ++i) {
    EXPECT_EQ(nlohmann::json::parse(sink.batches[5]->messages[i].value)["report_version"], 5);
  }
  cpu.join();
}

}  // namespace
}  // namespace nianbao::ingest
