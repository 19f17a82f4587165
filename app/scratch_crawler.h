// A crawler on a throwaway state, for the commands that look at portals and keep nothing
// (`nianbao discover`, `nianbao sources test`): a state directory made under the system's
// temporary directory and removed with the object, so that every list is fetched in full; a
// libcurl fetcher and a crawler on one io_context; no report page planned (the tracker takes
// none); SIGINT and SIGTERM stop the crawler, whose walks then end as cancelled.
//
// Owned by the command's function on the main thread, which starts its work on crawler(),
// calls Run() (the loop runs until Finish() is called from a completion), then reads results.
// Everything here lives on that one thread.
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <memory>
#include <optional>
#include <string>

#include "base/status.h"
#include "crawler/crawler.h"
#include "crawler/curl_fetcher.h"
#include "crawler/state_store.h"

namespace nianbao::app {

class ScratchCrawler {
 public:
  // `tag` names the scratch directory (nianbao-<tag>-XXXXXX). An error says what could not be
  // made: the directory, the state, libcurl. `config` must outlive the object.
  static Result<std::unique_ptr<ScratchCrawler>> Open(const std::string& tag,
                                                      const crawler::SourcesConfig& config,
                                                      crawler::CrawlerOptions options = {});
  ~ScratchCrawler();
  ScratchCrawler(const ScratchCrawler&) = delete;
  ScratchCrawler& operator=(const ScratchCrawler&) = delete;

  crawler::Crawler& crawler() { return *crawler_; }
  // Runs the loop until Finish(); then the crawler is gone (its journeys ended).
  void Run();
  // Lets Run() return once the work in hand is done: call it from the last completion.
  void Finish();

 private:
  explicit ScratchCrawler(std::string dir);

  // Declared in the order they are built; destroyed in reverse, the directory last.
  std::string dir_;
  std::unique_ptr<crawler::StateStore> state_;
  boost::asio::io_context io_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> guard_;
  crawler::CurlFetcher fetcher_{io_};
  std::unique_ptr<PageTracker> tracker_;
  std::unique_ptr<crawler::Crawler> crawler_;
  boost::asio::signal_set signals_{io_, SIGINT, SIGTERM};
};

}  // namespace nianbao::app
