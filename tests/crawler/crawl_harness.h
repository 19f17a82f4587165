// What the crawler tests that run whole passes share: a scratch state directory (removed at
// the end, tests/support/scratch_dir.h) with its StateStore, the event loop, a real CurlFetcher on
// it and a RecordingTracker, and RunPass, which drives the loop until a pass reports.
//
// Test code. Threading: the test's thread runs the loop (inside RunPass) and owns all of it;
// the test servers answer on their own threads.
#pragma once

#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "crawler/crawler.h"
#include "crawler/curl_fetcher.h"
#include "crawler/fetcher.h"
#include "crawler/state_store.h"
#include "tests/crawler/recording_tracker.h"
#include "tests/support/scratch_dir.h"

namespace nianbao::testing {

class CrawlHarness {
 public:
  // `name` names the scratch directory (nianbao-NAME-PID-N under the system's temp dir);
  // `tracker_room` is the tracker's capacity (pages in flight at once).
  explicit CrawlHarness(const std::string& name, size_t tracker_room = 1u << 20)
      : scratch(name, ScratchDir::Start::kAbsent), tracker(tracker_room) {
    auto st = crawler::StateStore::Open(state_dir.string());
    EXPECT_TRUE(st.ok()) << st.status().ToString();
    if (st.ok()) state = std::move(st).value();
  }
  CrawlHarness(const CrawlHarness&) = delete;
  CrawlHarness& operator=(const CrawlHarness&) = delete;

  // Runs one pass of `config`, turning the loop `turn` at a time until the pass reports or
  // `timeout` has passed (a test failure: "pass never finished"). After each turn
  // `after_turn` runs (default: the tracker releases what it holds, as the status updater
  // would). The stats of every source, or nothing when the pass never finished.
  std::optional<std::vector<crawler::SourcePassStats>> RunPass(
      const crawler::SourcesConfig& config, const crawler::CrawlerOptions& options,
      std::chrono::milliseconds timeout = std::chrono::seconds(60),
      std::chrono::milliseconds turn = std::chrono::milliseconds(20),
      const std::function<void()>& after_turn = {}) {
    crawler::Crawler crawler(io, fetcher_in_use != nullptr ? *fetcher_in_use : fetcher, *state,
                             tracker, config, options);
    std::optional<std::vector<crawler::SourcePassStats>> result;
    crawler.RunPass([&](std::vector<crawler::SourcePassStats> s) { result = std::move(s); });
    auto deadline = std::chrono::steady_clock::now() + timeout;
    auto each_turn = [&] {
      if (after_turn) {
        after_turn();
      } else {
        tracker.Release();
      }
    };
    while (!result && std::chrono::steady_clock::now() < deadline) {
      io.run_for(turn);
      each_turn();
    }
    each_turn();
    EXPECT_TRUE(result.has_value()) << "pass never finished";
    return result;
  }

  // The first source's stats of a pass (empty stats when the pass never finished).
  static crawler::SourcePassStats First(
      const std::optional<std::vector<crawler::SourcePassStats>>& result) {
    return result && !result->empty() ? result->front() : crawler::SourcePassStats{};
  }

  ScratchDir scratch;  // first: removed after everything that keeps files open in it
  const std::filesystem::path state_dir = scratch.path();
  std::unique_ptr<crawler::StateStore> state;
  boost::asio::io_context io;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard =
      boost::asio::make_work_guard(io);
  crawler::CurlFetcher fetcher{io};
  crawler::Fetcher* fetcher_in_use = nullptr;  // the passes' fetcher when not `fetcher`
  RecordingTracker tracker;
};

}  // namespace nianbao::testing
