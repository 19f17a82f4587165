// `nianbao discover [URL...] [--csv UNITS.csv] [--sources FILE]`: finds the annual-report
// column of each portal (its home page or 政府信息公开 page) and writes a commented sources
// file on stdout (crawler/discovery.h says how a column is found and its CMS recognised).
//
// Every page is fetched through the crawler (robots.txt, per-host concurrency, min delay,
// retries) with the [global] and [defaults] of --sources when given (its [[source]] tables are
// not used), else the built-in defaults. With --csv, each row "name,portal URL" (a header row
// is skipped) is one portal, its name written as the source's comment. A portal whose column
// is not found is listed as a comment with the reason.
//
// Exit status: 0 when a column was found for every portal; 1 when not for some (the file is
// still written); 2 for a usage error or an unreadable CSV or sources file.
// Threading: the main thread runs the event loop.
#pragma once

#include <string>
#include <vector>

namespace nianbao::app {

struct DiscoverCommandOptions {
  std::vector<std::string> urls;
  std::string csv;
  std::string sources;  // [global] and [defaults] to fetch with; "" = built-in
};

int RunDiscoverCommand(const DiscoverCommandOptions& options);

}  // namespace nianbao::app
