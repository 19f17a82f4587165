#include "app/discover_command.h"

#include <ctime>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>

#include "app/scratch_crawler.h"
#include "base/read_file.h"
#include "crawler/crawler.h"
#include "crawler/discovery.h"
#include "crawler/sources.h"
#include "parser/charset.h"

namespace nianbao::app {
namespace {

// A CSV of units is a few hundred rows; anything this big is the wrong file.
constexpr size_t kMaxCsvBytes = 4 << 20;

struct Portal {
  std::string name;  // the unit's name from the CSV, "" for a URL of the command line
  std::string url;
  int line = 0;  // in the CSV
};

// The fields of one CSV line (RFC 4180 quoting; a quoted field does not span lines here).
std::vector<std::string> CsvFields(const std::string& line) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        fields.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        fields.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else if (c != '\r') {
      fields.back() += c;
    }
  }
  for (auto& f : fields) {
    const size_t b = f.find_first_not_of(" \t");
    f = b == std::string::npos ? "" : f.substr(b, f.find_last_not_of(" \t") - b + 1);
  }
  return fields;
}

bool IsHttpUrl(const std::string& s) {
  return s.rfind("http://", 0) == 0 || s.rfind("https://", 0) == 0;
}

// Rows "name,portal URL"; a first row whose URL is not one is a header. Errors name the line.
Result<std::vector<Portal>> ReadCsv(const std::string& path) {
  auto text = ReadFileCapped(path, kMaxCsvBytes, "4 MiB", "a CSV of units");
  if (!text.ok()) return text.status();
  std::vector<Portal> out;
  std::istringstream in(text.value());
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (n == 1 && line.rfind("\xEF\xBB\xBF", 0) == 0) line.erase(0, 3);  // a spreadsheet's BOM
    std::vector<std::string> f = CsvFields(line);
    if (f.size() == 1 && f[0].empty()) continue;
    if (f.size() < 2 || !IsHttpUrl(f[1])) {
      if (n == 1) continue;  // the header
      return Status::InvalidArgument(path + ":" + std::to_string(n) +
                                     ": expected two columns: name, portal URL (http:// or "
                                     "https://)");
    }
    out.push_back(Portal{f[0], f[1], n});
  }
  return out;
}

std::string Today() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

}  // namespace

int RunDiscoverCommand(const DiscoverCommandOptions& options) {
  std::vector<Portal> portals;
  for (const std::string& url : options.urls) {
    if (!IsHttpUrl(url)) {
      std::cerr << "nianbao discover: not an http:// or https:// URL: " << url << "\n";
      return 2;
    }
    portals.push_back(Portal{"", url, 0});
  }
  if (!options.csv.empty()) {
    auto rows = ReadCsv(options.csv);
    if (!rows.ok()) {
      std::cerr << "nianbao discover: " << rows.status().message() << "\n";
      return 2;
    }
    portals.insert(portals.end(), rows.value().begin(), rows.value().end());
  }
  if (portals.empty()) {
    std::cerr << "nianbao discover: give portal URLs or --csv FILE\n";
    return 2;
  }

  // The crawler fetches for one source per portal, with the settings of --sources.
  crawler::SourcesConfig config;
  if (!options.sources.empty()) {
    auto loaded = crawler::LoadSources(options.sources);
    if (!loaded.ok()) {
      std::cerr << "nianbao discover: " << loaded.status().message() << "\n";
      return 2;
    }
    config.global = loaded.value().global;
    config.defaults = loaded.value().defaults;
  }
  config.path = options.sources.empty() ? "(discover)" : options.sources;
  for (size_t i = 0; i < portals.size(); ++i) {
    crawler::Source s;
    s.name = "discover-" + std::to_string(i + 1);
    s.entry = {portals[i].url};
    s.settings = config.defaults;
    config.sources.push_back(std::move(s));
  }

  // Nothing is kept: the crawler's state goes to a scratch directory removed at the end.
  auto scratch = ScratchCrawler::Open("discover", config);
  if (!scratch.ok()) {
    std::cerr << "nianbao discover: " << scratch.status().message() << "\n";
    return 2;
  }
  ScratchCrawler& run = *scratch.value();
  const auto decode = [](std::string_view bytes, std::string_view content_type) {
    return parser::DecodeToUtf8(bytes, content_type).utf8;
  };

  std::vector<crawler::DiscoveryResult> results(portals.size());
  size_t remaining = portals.size();
  for (size_t i = 0; i < portals.size(); ++i) {
    crawler::Crawler* c = &run.crawler();
    crawler::Discover(
        portals[i].url, crawler::DiscoveryOptions{},
        // A command of its own: the pages (a few small ones per portal) are read on its loop.
        [c, i, decode](const std::string& url, std::function<void(crawler::PageRead)> done) {
          c->FetchPage(i, url, [done = std::move(done), decode](crawler::FetchResult res) {
            done(crawler::ReadPage(std::move(res), decode));
          });
        },
        [&, i](crawler::DiscoveryResult r) {
          results[i] = std::move(r);
          if (--remaining == 0) run.Finish();
        },
        // A script-fed list's first page, asked as its page asks it.
        [c, i](const std::string& url, const std::string& referer,
               std::function<void(crawler::FetchResult)> done) {
          c->FetchPage(i, url, std::move(done), {"Referer: " + referer});
        });
  }
  run.Run();

  std::cout << "# Sources found by `nianbao discover` on " << Today()
            << ". Check each with `nianbao sources test FILE --source NAME`.\n";
  int missing = 0;
  std::map<std::string, int> names;  // for unique source names
  for (size_t i = 0; i < portals.size(); ++i) {
    const Portal& p = portals[i];
    const crawler::DiscoveryResult& r = results[i];
    const std::string who = p.name.empty() ? p.url : p.name + " (" + p.url + ")";
    std::cout << "\n";
    if (r.columns.empty()) {
      ++missing;
      std::cout << "# NOT FOUND: " << who << ": " << r.error << "\n";
    }
    const auto unique_name = [&] {
      std::string name = crawler::SourceNameFor(p.url);
      if (int n = ++names[name]; n > 1) name += "-" + std::to_string(n);
      return name;
    };
    for (size_t c = 0; c < r.columns.size(); ++c) {
      std::cout << (c > 0 ? "\n" : "") << crawler::SourceToml(r.columns[c], unique_name(), who);
    }
    // Columns a gateway keeps from every crawler: commented out, with the reason.
    for (const crawler::FoundColumn& col : r.blocked) {
      std::cout << "\n" << crawler::BlockedToml(col, unique_name(), who);
    }
  }
  if (missing > 0) {
    std::cerr << "nianbao discover: no column found for " << missing << " of " << portals.size()
              << " portals (listed as comments)\n";
    return 1;
  }
  return 0;
}

}  // namespace nianbao::app
