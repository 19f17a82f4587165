// `nianbao crawl --sources FILE [--once] [--state-dir DIR] [--print-pages]`: the crawler on
// its own, for cron-style use and tests.
//
// With --once: one pass over every source, a summary line per source on stdout, exit.
// Without: each source is polled on its own interval (season profile, jitter) until SIGINT
// or SIGTERM. Report pages go through the crawler's bounded queue to a consumer thread that
// counts them (and prints one JSON line per page with --print-pages); the daemon
// (`nianbao run`) puts the ingest pipeline there instead.
//
// Exit status: 0 after a completed pass; 2 for a bad sources file or state directory.
// Threading: the main thread runs the event loop; one consumer thread drains the queue.
#pragma once

#include <cstddef>
#include <string>

namespace nianbao::app {

struct CrawlCommandOptions {
  std::string sources;
  std::string state_dir;  // "" = [global].state_dir of the sources file
  bool once = false;
  bool print_pages = false;
  std::size_t queue_capacity = 64;
};

int RunCrawlCommand(const CrawlCommandOptions& options);

}  // namespace nianbao::app
