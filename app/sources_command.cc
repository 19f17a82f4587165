#include "app/sources_command.h"

#include <stdlib.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <filesystem>
#include <iostream>
#include <memory>

#include "crawler/crawler.h"
#include "crawler/curl_fetcher.h"
#include "crawler/sources.h"
#include "crawler/state_store.h"
#include "parser/charset.h"

namespace nianbao::app {
namespace {

// `sources test` fetches no report page: the crawler plans none.
class NoPages final : public PageTracker {
 public:
  JourneyId Planned(const std::string&, const std::string&) override { return 0; }
  bool TryStart(JourneyId) override { return true; }
  void Fetched(JourneyId, FetchedPage) override {}
  void Gone(JourneyId, GonePage) override {}
  void Ended(JourneyId, PageStatus, std::string) override {}
  void SetOnRoom(std::function<void()>) override {}
};

// Tabs and line breaks of a link text would break the line's columns.
std::string OneField(std::string text) {
  for (char& c : text) {
    if (c == '\t' || c == '\n' || c == '\r') c = ' ';
  }
  return text;
}

}  // namespace

int RunSourcesCheck(const SourcesCommandOptions& options) {
  auto loaded = crawler::LoadSources(options.file);
  if (!loaded.ok()) {
    std::cerr << loaded.status().message() << "\n";
    return 1;
  }
  std::cout << options.file << ": ok: " << loaded.value().sources.size() << " sources\n";
  return 0;
}

int RunSourcesTest(const SourcesCommandOptions& options) {
  auto config = crawler::LoadSources(options.file);
  if (!config.ok()) {
    std::cerr << "nianbao sources test: " << config.status().message() << "\n";
    return 2;
  }
  if (!options.only.empty()) {
    if (Status st = crawler::KeepSources(options.only, &config.value()); !st.ok()) {
      std::cerr << "nianbao sources test: " << st.message() << "\n";
      return 2;
    }
  }
  // Nothing is kept: a scratch state (so every list is fetched in full), removed at the end.
  std::string scratch =
      (std::filesystem::temp_directory_path() / "nianbao-sources-test-XXXXXX").string();
  if (mkdtemp(scratch.data()) == nullptr) {
    std::cerr << "nianbao sources test: cannot create a scratch directory\n";
    return 2;
  }
  struct Cleanup {
    std::string dir;
    ~Cleanup() {
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    }
  } cleanup{scratch};
  auto state = crawler::StateStore::Open(scratch);
  if (!state.ok()) {
    std::cerr << "nianbao sources test: " << state.status().message() << "\n";
    return 2;
  }

  boost::asio::io_context io;
  auto guard = boost::asio::make_work_guard(io);
  crawler::CurlFetcher fetcher(io);
  if (!fetcher.init_status().ok()) {
    std::cerr << "nianbao sources test: libcurl: " << fetcher.init_status().message() << "\n";
    return 2;
  }
  NoPages tracker;
  crawler::CrawlerOptions crawler_options;
  crawler_options.decode = [](std::string_view bytes, std::string_view content_type) {
    return parser::DecodeToUtf8(bytes, content_type).utf8;
  };
  crawler_options.schedule_from_state = false;
  crawler_options.lists_only = true;
  crawler_options.on_link = [](const std::string& source, const std::string& list_url,
                               const crawler::Link& link, const std::string& verdict) {
    // A page link the crawler made from the page's pager script has no text of its own.
    const bool generated = verdict.rfind("pagination (announced", 0) == 0;
    std::cout << source << '\t' << verdict << '\t' << link.url << '\t'
              << OneField(generated ? "" : link.text) << '\t' << list_url << "\n";
  };
  auto crawler = std::make_unique<crawler::Crawler>(io, fetcher, *state.value(), tracker,
                                                    config.value(), crawler_options);
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (!ec) crawler->Stop();
  });
  int exit_code = 0;
  crawler->RunPass([&](std::vector<SourcePassStats> stats) {
    int read = 0;
    for (const auto& s : stats) {
      std::cerr << "source " << s.source << ": lists " << s.list_pages << "  reports "
                << s.reports_found << "  requests " << s.requests << "\n";
      read += s.list_pages > 0 ? 1 : 0;
    }
    if (!stats.empty() && read == 0) exit_code = 1;
    signals.cancel();
    guard.reset();
  });
  io.run();
  crawler.reset();
  std::cout.flush();
  return exit_code;
}

}  // namespace nianbao::app
