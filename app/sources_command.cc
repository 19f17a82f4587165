#include "app/sources_command.h"

#include <iostream>
#include <memory>

#include "app/scratch_crawler.h"
#include "crawler/crawler.h"
#include "crawler/sources.h"
#include "parser/charset.h"

namespace nianbao::app {
namespace {

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
  // Nothing is kept: a scratch state (so every list is fetched in full), removed at the end.
  auto scratch = ScratchCrawler::Open("sources-test", config.value(), std::move(crawler_options));
  if (!scratch.ok()) {
    std::cerr << "nianbao sources test: " << scratch.status().message() << "\n";
    return 2;
  }
  ScratchCrawler& run = *scratch.value();
  int exit_code = 0;
  run.crawler().RunPass([&](std::vector<SourcePassStats> stats) {
    int read = 0;
    for (const auto& s : stats) {
      std::cerr << "source " << s.source << ": lists " << s.list_pages << "  reports "
                << s.reports_found << "  requests " << s.requests << "\n";
      read += s.list_pages > 0 ? 1 : 0;
    }
    if (!stats.empty() && read == 0) exit_code = 1;
    run.Finish();
  });
  run.Run();
  std::cout.flush();
  return exit_code;
}

}  // namespace nianbao::app
