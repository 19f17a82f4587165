// Column discovery: from a portal's home page (or its 政府信息公开 page) to its annual-report
// column, and what CMS serves that column.
//
// The judgement is pure and made of tables (discovery.cc): link texts and URL slugs that name
// an annual-report column (政府信息公开年报, …/zfxxgknb/), those that name the page one level
// above it (政府信息公开, …/xxgk/), decoys that look like either (政府信息公开指南, 年度工作计划,
// 统计年鉴…), and signatures that recognise the CMS of a column page (hanweb, trs, gkmlpt…).
//
// Discover() walks a portal: the start page, then the most likely 政府信息公开 pages, at most
// `max_levels` levels below the start, within the portal's own hosts, until a page links a
// column; then it fetches the column(s) to confirm them and recognise their CMS: through a
// shell (iframe, refresh, script redirect) to the list behind it, and, for a list its script
// fetches from an API no preset names, page 1 of that API (crawler/list_inference.h). A
// column answered by an anti-bot gateway is kept apart, as blocked. It fetches
// only through the `get` function it is given: the crawler's FetchPage(), so that robots.txt
// and the politeness of every host hold as in a crawl.
//
// Ownership: a walk owns itself (shared state captured by its callbacks) until `done` runs.
// Threading: Discover(), `get`'s callbacks and `done` run on the event loop's thread; the
// pure functions are safe from any thread.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/page.h"
#include "crawler/fetcher.h"
#include "crawler/list_adapter.h"

namespace nianbao::crawler {

using nianbao::Link;  // base/page.h

// What a link of a portal page leads to, by its text and URL.
struct LinkJudgement {
  int column = 0;      // > 0: an annual-report column, the higher the surer
  int disclosure = 0;  // > 0 (and column 0): a 政府信息公开 page that may link the column
  // The text names a column in full (信息公开年报 and longer, not a bare 年报): a page that
  // links several such columns (its departments', its towns') has each of them confirmed.
  bool full_name = false;
  std::string why;  // the table rows that matched, for the written sources file
};
LinkJudgement JudgeDiscoveryLink(const Link& link);

// Whether `url` belongs to the portal of `start`: the same host and port, or (for DNS names)
// a host under the start host's domain without its "www." (zwgk.x.gov.cn for www.x.gov.cn).
bool SamePortal(const std::string& start, const std::string& url);

// The CMS of a column page, by the first row of the signature table that matches its HTML or
// its URL. `cms` is "" for a plain HTML list; `preset` is the list preset
// (crawler/list_adapter.h) to name in the sources file, "" when the plain list reader is
// right for it (a static Hanweb list, a TRS pager the crawler reads by itself) or when this
// build has no preset of that name.
struct CmsGuess {
  std::string cms;
  std::string preset;
  std::string why;
};
CmsGuess RecogniseCms(std::string_view html, std::string_view url);

// A column found, with what the sources file needs to crawl it.
struct FoundColumn {
  std::string url;        // after redirects
  std::string link_text;  // of the link that led to it ("" when it was the start page)
  std::string via;        // the page that linked it
  std::string why;        // which table rows matched
  CmsGuess cms;
  std::string next_page_text;  // a "下一页"-style link text on the column page, "" if none
  // A plain column whose script fetches its records from an API (crawler/list_inference.h):
  // the template that reads them, inferred from page 1's answer; `list_why` says what was
  // found (and, without `list`, why no template could be inferred).
  std::optional<ListTemplate> list;
  std::string list_why;
};

struct DiscoveryResult {
  std::string start;
  std::vector<FoundColumn> columns;  // best first; empty: `error` says why
  // Columns that answered, but with an anti-bot gateway's refusal (a 521, a JS challenge:
  // crawler/gateway.h) that no crawler passes; `cms.why` says which. Not in `columns`.
  std::vector<FoundColumn> blocked;
  std::string error;
  std::vector<std::string> visited;  // pages fetched, in order
};

struct DiscoveryOptions {
  int max_levels = 2;  // start -> 政府信息公开 page -> its sub-page; columns may be one further
  int max_pages = 12;   // pages fetched per portal at most (columns included)
  int max_columns = 3;  // columns confirmed per portal at most
  int max_branch = 3;   // 政府信息公开 pages followed per level at most
};

// A fetched page as the walk reads it: the answer and, for a 200, its text (UTF-8) and links.
struct PageRead {
  FetchResult res;
  std::string text;
  std::vector<Link> links;
  std::string gateway;  // the gateway signature the answer matches (GatewayChallenge), or ""
};
// Decodes a page to UTF-8 (the parser's charset decoder).
using DecodePage = std::function<std::string(std::string_view bytes, std::string_view ctype)>;
// Reads a 200's body: its text and links (a Gumbo parse). Pure CPU work: the daemon runs it on
// its CPU pool, never on the event loop. Other answers pass through with no text.
PageRead ReadPage(FetchResult res, const DecodePage& decode);

// Fetches a page and hands it over read (ReadPage), on the loop.
using GetPage = std::function<void(const std::string& url, std::function<void(PageRead)>)>;

// Fetches an API call of a column's script with the column as Referer, as the page would;
// the answer is handed over raw, on the loop.
using GetApi = std::function<void(const std::string& url, const std::string& referer,
                                  std::function<void(FetchResult)>)>;

// Walks the portal of `start`; `done` runs once, on the loop. With `get_api`, a column with
// no CMS whose script fetches its list (FindScriptListCall) costs one request more: page 1
// of that list, whose answer gives the column's `list` template.
void Discover(const std::string& start, const DiscoveryOptions& options, GetPage get,
              std::function<void(DiscoveryResult)> done, GetApi get_api = nullptr);

// A column as one commented [[source]] of a sources file, named `name`; `comment` (may be
// empty) heads it, one "# " line per line.
std::string SourceToml(const FoundColumn& column, const std::string& name,
                       const std::string& comment);
// A column behind a gateway as comment lines: "# NOT CRAWLABLE: …" with the reason and the
// source it would be, commented out, for the day the portal lets crawlers through.
std::string BlockedToml(const FoundColumn& column, const std::string& name,
                        const std::string& comment);
// A source name for a portal URL: its host without "www.", port appended ("127.0.0.1-18481"),
// reduced to [a-z0-9._-].
std::string SourceNameFor(const std::string& url);

}  // namespace nianbao::crawler
