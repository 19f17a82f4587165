#include "app/crawl_command.h"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/thread_pool.hpp>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "crawler/crawler.h"
#include "crawler/curl_fetcher.h"
#include "crawler/sources.h"
#include "crawler/state_store.h"
#include "ingest/messages.h"
#include "parser/charset.h"

namespace nianbao::app {
namespace {

// The crawl command's end of each page's journey: print it (with --print-pages) and end it at
// once; nothing is parsed or delivered. Loop thread only.
class PrintingTracker final : public PageTracker {
 public:
  explicit PrintingTracker(bool print) : print_(print) {}
  JourneyId Planned(const std::string&, const std::string&) override { return ++next_; }
  bool TryStart(JourneyId) override { return true; }
  void Fetched(JourneyId, FetchedPage page) override {
    if (!print_) return;
    nlohmann::ordered_json j;
    j["source"] = page.source;
    j["url"] = page.url;
    j["final_url"] = page.final_url;
    j["status"] = page.status;
    j["change"] = std::string(ChangeName(page.change));
    j["bytes"] = page.body.size();
    j["sha256"] = page.sha256;
    j["content_type"] = page.content_type;
    nlohmann::ordered_json att = nlohmann::ordered_json::array();
    for (const auto& a : page.attachments) {
      att.push_back(nlohmann::ordered_json{{"url", a.url}, {"text", a.text}});
    }
    j["attachments"] = att;
    PrintLine(j);
  }
  void Gone(JourneyId, GonePage page) override {
    if (!print_) return;
    nlohmann::ordered_json j;
    j["source"] = page.source;
    j["url"] = page.url;
    j["status"] = page.status;
    j["gone"] = page.seen;
    if (!page.location.empty()) j["location"] = page.location;
    j["gone_fetches"] = page.fetches;
    PrintLine(j);
  }
  void Ended(JourneyId, PageStatus, std::string) override {}
  void SetOnRoom(std::function<void()>) override {}

 private:
  // One JSON line per page, flushed so that a pipe reader sees it at once.
  static void PrintLine(const nlohmann::ordered_json& j) {
    std::cout << j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) << "\n";
    std::cout.flush();
  }
  bool print_;
  JourneyId next_ = 0;
};

std::string SummaryLine(const SourcePassStats& s) {
  std::string failures;
  for (const auto& [reason, n] : s.failures) {
    failures += (failures.empty() ? "" : ", ") + reason + " " + std::to_string(n);
  }
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "source %s: %s  lists %d  reports %d (new %d, revised %d, unchanged %d, "
                "failed %d)  robots-disallowed %d  attachments %d  requests %d (retries %d)  "
                "%.1fs",
                s.source.c_str(), s.health.c_str(), s.list_pages, s.reports_found, s.reports_new,
                s.reports_revised, s.reports_unchanged, s.reports_failed, s.robots_disallowed,
                s.attachments, s.requests, s.retries, s.elapsed.count());
  std::string line = buf;
  if (!failures.empty()) line += "  failures: " + failures;
  return line;
}

}  // namespace

int RunCrawlCommand(const CrawlCommandOptions& options) {
  auto config = crawler::LoadSources(options.sources);
  if (!config.ok()) {
    std::cerr << "nianbao crawl: " << config.status().message() << "\n";
    return 2;
  }
  if (!options.only.empty()) {
    if (Status st = crawler::KeepSources(options.only, &config.value()); !st.ok()) {
      std::cerr << "nianbao crawl: " << st.message() << "\n";
      return 2;
    }
  }
  std::string state_dir =
      options.state_dir.empty() ? config.value().global.state_dir : options.state_dir;
  auto state = crawler::StateStore::Open(state_dir);
  if (!state.ok()) {
    std::cerr << "nianbao crawl: " << state.status().message() << "\n";
    return 2;
  }

  boost::asio::io_context io;
  auto guard = boost::asio::make_work_guard(io);
  boost::asio::thread_pool cpu(2);  // digests of fetched bodies, off the loop
  crawler::CurlFetcher fetcher(io);
  if (!fetcher.init_status().ok()) {
    std::cerr << "nianbao crawl: libcurl: " << fetcher.init_status().message() << "\n";
    return 2;
  }
  PrintingTracker tracker(options.print_pages);
  crawler::CrawlerOptions crawler_options;
  crawler_options.decode = [](std::string_view bytes, std::string_view content_type) {
    return parser::DecodeToUtf8(bytes, content_type).utf8;
  };
  crawler_options.cpu = &cpu;
  crawler_options.schedule_from_state = !options.once;
  std::ofstream fetch_log;
  if (!options.fetch_log.empty()) {
    fetch_log.open(options.fetch_log, std::ios::app);
    if (!fetch_log) {
      std::cerr << "nianbao crawl: cannot open the fetch log " << options.fetch_log << "\n";
      return 2;
    }
    crawler_options.on_fetch = [&fetch_log](const FetchLogEntry& e) {
      // The payload the daemon publishes on the fetches topic, one line each, flushed so that
      // a crawl stopped by a signal leaves every line it made.
      fetch_log << ingest::FetchBatch(ingest::Topics{}, e).messages.front().value << std::endl;
    };
  }
  auto crawler = std::make_unique<crawler::Crawler>(io, fetcher, *state.value(), tracker,
                                                    config.value(), crawler_options);

  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (ec) return;
    std::cerr << "nianbao crawl: stopping\n";
    crawler->Stop([&] {
      if (!options.once) guard.reset();
    });
  });

  // Summaries go to stderr: stdout carries only the pages' JSON lines (--print-pages).
  int exit_code = 0;
  if (options.once) {
    crawler->RunPass([&](std::vector<SourcePassStats> stats) {
      std::sort(stats.begin(), stats.end(),
                [](const auto& a, const auto& b) { return a.source < b.source; });
      int reached = 0;
      for (const auto& s : stats) {
        std::cerr << SummaryLine(s) << std::endl;
        reached += s.health == "ok" || s.health == "stale" ? 1 : 0;
      }
      // A pass in which no source could be reached is a failed run, for scripts and timers.
      if (!stats.empty() && reached == 0) exit_code = 1;
      signals.cancel();
      guard.reset();
    });
  } else {
    crawler->RunForever([](const SourcePassStats& s) { std::cerr << SummaryLine(s) << std::endl; });
  }
  io.run();
  crawler.reset();
  return exit_code;
}

}  // namespace nianbao::app
