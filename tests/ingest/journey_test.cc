// The whole journey of report pages on the real components: the crawler over a loopback
// column, the status updater with parsing on a thread pool, a sink that acknowledges from a
// thread of its own. The crawler is stopped and replaced in the middle of passes, as a
// SIGHUP reload does, while pages are being parsed and delivered; ASan and TSan run this.
// Defect it guards: the page queue's on-space callback captured the crawler's raw `this`
// and ran on a parser thread, racing with a reload that destroyed the crawler.
#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/thread_pool.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "crawler/crawler.h"
#include "crawler/curl_fetcher.h"
#include "crawler/state_store.h"
#include "ingest/status_updater.h"
#include "tests/crawler/test_http_server.h"

namespace nianbao::ingest {
namespace {

using namespace std::chrono_literals;
using nianbao::testing::HttpRequest;
using nianbao::testing::HttpResponse;
using nianbao::testing::TestHttpServer;

constexpr int kReports = 24;

std::string Seed(int i) {
  static const char* kSeeds[] = {"000_d4e73e73a1b7a1d3.txt", "001_0b0786dd1ab9e5a0.txt",
                                 "002_1b2a9a261b4cd27b.txt", "003_aca0974fc56c86c8.txt",
                                 "004_192eb0e593407763.txt"};
  std::ifstream in(std::string(NIANBAO_FIXTURES) + "/seeds/" + kSeeds[i % 5], std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str() + "\n" + std::to_string(i);  // every page its own content
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
  auto dir = std::filesystem::temp_directory_path() /
             ("nianbao-journey-test-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  auto state = crawler::StateStore::Open(dir.string());
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
      io, cpu, {&sink},
      [&](const std::string& url, const std::string& sha) {
        delivered.insert(url);
        return state.value()->MarkDelivered(url, sha);
      },
      uo);

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
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace nianbao::ingest
