#include "app/crawl_command.h"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "crawler/crawler.h"
#include "crawler/curl_fetcher.h"
#include "crawler/sources.h"
#include "crawler/state_store.h"
#include "parser/charset.h"

namespace nianbao::app {
namespace {

std::string SummaryLine(const crawler::SourcePassStats& s) {
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
  std::string state_dir =
      options.state_dir.empty() ? config.value().global.state_dir : options.state_dir;
  auto state = crawler::StateStore::Open(state_dir);
  if (!state.ok()) {
    std::cerr << "nianbao crawl: " << state.status().message() << "\n";
    return 2;
  }

  boost::asio::io_context io;
  auto guard = boost::asio::make_work_guard(io);
  crawler::CurlFetcher fetcher(io);
  crawler::PageQueue queue(options.queue_capacity);
  crawler::CrawlerOptions crawler_options;
  crawler_options.decode = [](std::string_view bytes, std::string_view content_type) {
    return parser::DecodeToUtf8(bytes, content_type).utf8;
  };
  crawler::Crawler crawler(io, fetcher, *state.value(), queue, config.value(), crawler_options);

  // The consumer: drains report pages so the crawler is never held back by the queue.
  std::thread consumer([&queue, print = options.print_pages] {
    while (true) {
      auto page = queue.Pop(std::chrono::milliseconds(200));
      if (!page) {
        if (queue.closed() && queue.size() == 0) return;
        continue;
      }
      if (!print) continue;
      nlohmann::ordered_json j;
      j["source"] = page->source;
      j["url"] = page->url;
      j["final_url"] = page->final_url;
      j["status"] = page->status;
      j["change"] = std::string(crawler::ChangeName(page->change));
      j["bytes"] = page->body.size();
      j["sha256"] = page->sha256;
      j["content_type"] = page->content_type;
      nlohmann::ordered_json att = nlohmann::ordered_json::array();
      for (const auto& a : page->attachments) att.push_back({{"url", a.url}, {"text", a.text}});
      j["attachments"] = att;
      std::cout << j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace)
                << std::endl;
    }
  });

  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (ec) return;
    std::cerr << "nianbao crawl: stopping\n";
    crawler.Stop();
    if (!options.once) guard.reset();
  });

  if (options.once) {
    crawler.RunPass([&](std::vector<crawler::SourcePassStats> stats) {
      std::sort(stats.begin(), stats.end(),
                [](const auto& a, const auto& b) { return a.source < b.source; });
      for (const auto& s : stats) std::cout << SummaryLine(s) << std::endl;
      signals.cancel();
      guard.reset();
    });
  } else {
    crawler.RunForever(
        [](const crawler::SourcePassStats& s) { std::cout << SummaryLine(s) << std::endl; });
  }
  io.run();
  queue.Close();
  consumer.join();
  return 0;
}

}  // namespace nianbao::app
