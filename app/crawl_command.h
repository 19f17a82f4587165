// `nianbao crawl --sources FILE [--once] [--state-dir DIR] [--print-pages] [--source NAME]...`:
// the crawler on its own, for cron-style use and tests. --source (repeatable) crawls only the
// sources of those names; a name the file does not have is a usage error (2).
//
// With --once: one pass over every source, a summary line per source on stderr, exit.
// Without: each source is polled on its own interval (season profile, jitter, the due times
// stored by earlier passes) until SIGINT or SIGTERM. Report pages end their journey here: one
// JSON line each on stdout with --print-pages (stdout carries nothing else); the daemon
// (`nianbao run`) puts the status updater (parse, deliver) there instead.
//
// Exit status: 0 after a completed pass; 1 when no source could be reached in the pass
// (every one unreachable or blocked); 2 for a bad sources file or state directory or a
// usage error.
// Threading: the main thread runs the event loop; a small pool hashes and reads the bodies.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace nianbao::app {

struct CrawlCommandOptions {
  std::string sources;
  std::string state_dir;  // "" = [global].state_dir of the sources file
  bool once = false;
  bool print_pages = false;
  // --fetch-log FILE: one JSON line per fetch attempt (the nianbao.fetch.v1 payload of the
  // fetches topic, with the time the crawler started the request) appended to FILE.
  std::string fetch_log;
  std::vector<std::string> only;  // --source NAME: these sources only; empty = all
};

int RunCrawlCommand(const CrawlCommandOptions& options);

}  // namespace nianbao::app
