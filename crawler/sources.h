// The sources file (docs/sources.md) as one typed, validated struct tree.
//
// LoadSources() reads the TOML file with toml++, applies [defaults] to every [[source]],
// compiles and checks every regular expression and URL, and refuses the whole file on the
// first mistake with a message naming the file, the line and the key. The result is
// immutable and passed down as const&; the daemon swaps in a new one on SIGHUP.
//
// Threading: LoadSources() is a pure function of the file; the structs are plain values.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "crawler/list_adapter.h"
#include "crawler/sublists.h"

namespace nianbao::crawler {

using Seconds = std::chrono::duration<double>;

// Settings that [defaults] gives every source and a [[source]] may override.
struct SourceSettings {
  std::string user_agent = "nianbao/0.1 (+https://github.com/nianbao/nianbao)";
  // Scheduling
  Seconds interval{24 * 3600.0};        // outside the season
  Seconds season_interval{2 * 3600.0};  // in the season
  std::vector<int> season_months{1, 2, 3};
  double jitter = 0.1;  // interval * uniform(1 - jitter, 1 + jitter)
  // Politeness
  int per_host_concurrency = 2;
  Seconds min_delay{1.0};
  int max_retries = 4;
  Seconds backoff_base{2.0};
  Seconds backoff_max{600.0};
  bool obey_robots = true;
  Seconds robots_cache{24 * 3600.0};
  // robots.txt answered 5xx (or not at all): asked again after this, not after robots_cache.
  Seconds robots_retry{5 * 60.0};
  int64_t robots_max_body = 500 * 1024;  // bytes of robots.txt read (RFC 9309: at least 500 KiB)
  Seconds max_crawl_delay{60.0};         // a robots.txt Crawl-delay is obeyed up to this, no longer
  // Transfers
  Seconds connect_timeout{10.0};
  Seconds total_timeout{60.0};
  int64_t low_speed_limit = 64;  // bytes/s
  Seconds low_speed_time{30.0};
  int64_t max_body = 8 << 20;  // bytes
  // The same for documents (a link named .pdf/.doc/.docx/.wps/.ofd: a report's attachment or
  // a list entry that is a document), which carry fonts and pictures and are often MiB.
  int64_t max_document_body = 32 << 20;  // bytes
  int max_redirects = 5;
  bool http2 = true;
  bool tls_verify = true;
  std::string ca_bundle;  // "" = system store
  // The address policy (crawler/address_policy.h): false refuses connections to loopback,
  // private, link-local, multicast and unspecified addresses, unless the source's own entry
  // (or portal) URL is an IP literal of that class; true allows every address.
  bool allow_private_addresses = false;
  // Crawl shape
  int page_budget = 200;
  int max_depth = 3;
  int max_pages = 20;
  // Levels of sub-lists and shells (year and unit sub-columns, iframe, refresh and script
  // shells: crawler/sublists.h) followed below an entry page; 0 follows none.
  int sublist_depth = 2;
  // Links whose path ends in one of these (case-insensitive) are a report's attachments.
  std::vector<std::string> attachment_extensions{".pdf", ".doc", ".docx", ".wps",
                                                 ".ofd", ".xls", ".xlsx"};
  // Trust in what a page says
  // A changed report page whose body ended with the connection (it may have been cut) is
  // fetched again after this delay and handed on only if both fetches agree.
  Seconds confirm_delay{5.0};
  // A report page found gone (404, 410, a deletion stub, a redirect to its column) on this
  // many fetches in a row is withdrawn (report.withdrawn).
  int withdraw_after = 2;

  bool operator==(const SourceSettings&) const = default;
};

struct Source {
  std::string name;
  std::vector<std::string> entry;  // absolute http(s) URLs; empty when `portal` is given
  // A portal home page (or 政府信息公开 page) instead of `entry`: the crawler finds the
  // annual-report column itself at every pass (crawler/discovery.h) and reports a move.
  std::string portal;
  std::string report_url;                // RE2, "" = any
  std::string report_text;               // RE2, "" = any
  std::string exclude_text;              // RE2, "" = none
  std::string next_page_text;            // RE2, "" = none
  std::string page_pattern;              // contains "{n}", "" = none
  std::vector<std::string> allow_hosts;  // besides the entry URLs' hosts
  // A list preset (crawler/list_adapter.h: "hanweb"), "" = plain HTML lists; its parameters
  // are read from the column page, and cms_params overrides them.
  std::string cms;
  std::map<std::string, std::string> cms_params;
  // Which links of a list lead to a sub-list (crawler/sublists.h); the built-in table unless
  // the source gives its own (`sublists = [{ text = '…', url = '…' }]`, [] for none).
  std::vector<SublistRule> sublists = DefaultSublistRules();
  // The list adapter of the source: cms's preset, the template adapter when the source writes
  // a `list` table without cms, nullptr for plain HTML lists. Points into a static table.
  const ListPreset* preset = nullptr;
  // The request template of a template preset or a `list` table: the preset's with the
  // table's keys on top (docs/sources.md, "List templates").
  ListTemplate list;
  // An organisation's name as a report writes it -> the name whose key its reports are kept
  // under across years (parser::OrganizationKey of each; docs/sources.md).
  std::map<std::string, std::string> organization_aliases;
  SourceSettings settings;  // [defaults] with this source's overrides
  int line = 0;             // where the [[source]] starts, for messages
};

struct GlobalSettings {
  int max_concurrency = 32;
  std::string state_dir = "/var/lib/nianbao";
  // Names pinned to addresses for every fetch, as curl's --resolve: "HOST:PORT:ADDRESS[,ADDRESS]"
  // (the address policy still checks the address). For hosts without DNS, and for tests.
  std::vector<std::string> resolve;

  bool operator==(const GlobalSettings&) const = default;
};

struct SourcesConfig {
  std::string path;  // the file it was read from
  GlobalSettings global;
  SourceSettings defaults;
  std::vector<Source> sources;
};

// Reads and validates a sources file, with the files it includes (`include = ["a/*.toml"]`,
// globs relative to the including file; an included file holds [[source]] tables and
// includes only, and its sources take the main file's [defaults]). Errors: "FILE:LINE: message"
// (Status::InvalidArgument), or Status::IoError when the file cannot be read.
Result<SourcesConfig> LoadSources(const std::string& path);
// The same from text already in memory; `path` only names it in messages.
Result<SourcesConfig> ParseSources(std::string_view toml_text, const std::string& path);

// Keeps only the sources named in `names` (`crawl --source NAME`), in the file's order. Error
// (InvalidArgument) naming the first name that is no source of the file.
Status KeepSources(const std::vector<std::string>& names, SourcesConfig* config);

// The keys [global] accepts, and those [defaults] and a [[source]] accept as settings, in the
// order of docs/sources.md (tests check docs/defaults.toml lists them all).
std::vector<std::string_view> GlobalKeys();
std::vector<std::string_view> SettingKeys();

// "500ms", "2s", "5m", "6h", "1d" -> seconds; false on anything else.
bool ParseDuration(std::string_view text, Seconds* out);
// "512KiB", "8MiB", "1GiB", "100KB", "123" -> bytes; false on anything else.
bool ParseSize(std::string_view text, int64_t* out);

}  // namespace nianbao::crawler
