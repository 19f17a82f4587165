// Links of a list page: what the crawler follows.
//
// ExtractLinks() walks a page with Gumbo (iteratively) and returns every <a href> with its
// text (or its title attribute when the text is empty or cut short with "…"), resolved
// against the page's URL (and its <base href>), fragment dropped. TRS lists announce their
// pages in a script, `createPageHTML(5, 0, "index", "html")`; FindTrsPaging() reads that.
//
// Pure. Threading: safe from any thread. REQUIRES: html is valid UTF-8.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/page.h"

namespace nianbao::crawler {

using nianbao::Link;  // base/page.h

// At most `max_links` links are returned (a page with 10,000 links is a trap, not a list).
std::vector<Link> ExtractLinks(std::string_view html, const std::string& page_url,
                               size_t max_links = 2000);

// How a TRS list announces its pages in a script rather than in links. Three shapes:
//   createPageHTML(N, cur, "index", "html")                  0-based: index.html, index_1.html …
//   createPageHTML('page_div', N, cur, 'index', 'shtml', T)  1-based: index.shtml, index_2.shtml …
//   var countPage = N                                        0-based, stem and extension of the
//                                                            list URL (…/index.html when a folder)
// A list URL whose file is a number (…/1.html) is numbered: its pages are 2.html, 3.html …
// `pages` counts the first page too; a count too large for an int is INT_MAX (the caller caps
// it with max_pages before generating anything).
struct TrsPaging {
  int pages = 0;
  std::string stem;       // "index"
  std::string extension;  // "html"
  int first_suffix = 1;   // the number of the second page: 1 (index_1) or 2 (index_2, 2.html)
  bool numbered = false;  // pages are <n>.<extension>, without the stem
};
std::optional<TrsPaging> FindTrsPaging(std::string_view html, std::string_view list_url = {});
// The file names of the pages after the first, at most `max_pages` - 1 of them:
// {"index_1.html", "index_2.html", …}, {"index_2.shtml", …} or {"2.html", "3.html", …}.
std::vector<std::string> PageNames(const TrsPaging& paging, int max_pages);

// A report page that is only a pointer elsewhere: TRS portals answer a deleted article with
// 200 and a few hundred bytes whose <meta http-equiv="refresh" content="0;url=…"> sends the
// browser to the column. Returns the resolved target when `html` is at most kStubMaxBytes and
// has such a meta refresh; nullopt otherwise (a real report is never that small).
inline constexpr size_t kStubMaxBytes = 2048;
std::optional<std::string> FindRefreshStub(std::string_view html, const std::string& page_url);

// Whether `target` is the column of the report page `page`: a listed entry of its source, or
// a directory above the page (or that directory's index page) on the same host. Where a
// portal redirects a deleted report.
bool IsColumnOf(const std::string& target, const std::string& page,
                const std::vector<std::string>& entries);

// RFC 3986 resolution of `ref` against `base`, in canonical form (base/url.h: the form the
// parser publishes and report_id is derived from); "" when either is unusable, the result is
// not http(s), or `ref` is a javascript:, mailto:, tel: or data: link or only a fragment.
std::string ResolveUrl(const std::string& base, std::string_view ref);

// Lower-case host[:port] of an absolute URL, default port dropped ("" when none): the key of
// politeness and of allow_hosts.
std::string HostKey(std::string_view url);
// Path and query of an absolute URL, "/" when empty: what robots.txt rules match.
std::string PathAndQuery(std::string_view url);

}  // namespace nianbao::crawler
