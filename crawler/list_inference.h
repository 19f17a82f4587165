// Lists fed by a script: from a column page whose records its script fetches (a JSON or
// JSONP API no preset names) to the `[source.list]` template that reads them.
//
// Discovery (crawler/discovery.h) calls these on a column page it recognised no CMS on:
// FindScriptListCall() finds the API call the page's script builds (a URL string with a page
// parameter that the script completes with a variable: '…/list.jsp?callback=cb&page=' + p);
// discovery asks page 1 of it once, as the page would (the column as Referer), and
// InferJsonList() reads that answer: the first array of objects one of whose fields holds URLs
// and another titles in Chinese, with the count of records beside it. The result is a
// template (crawler/list_adapter.h) the crawl then reads like any other.
//
// Pure: no I/O. Threading: safe from any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "crawler/list_adapter.h"

namespace nianbao::crawler {

// An API call a page's script builds. `url` is as the script writes it (relative to the
// page), with {page} where the script puts the page number; `page_param` is its name.
struct ScriptListCall {
  std::string url;
  std::string page_param;
};
// The first such call in the page's <script> elements, nullopt when there is none. A call is
// a string literal ending in `?name=` or `&name=` for a page parameter (page, pageNo,
// pageIndex, pageNum, curPage, currentPage, p, pn; any case) followed by `+ variable`, and
// optionally `+ 'rest'`.
std::optional<ScriptListCall> FindScriptListCall(std::string_view html);

// What one answer of a list API says about its shape, as a template's mapping, or `error`.
struct InferredList {
  ListTemplate list;  // answer, callback, records, url_field, title_field, date_field, total_field
  std::string error;  // "" when inferred: "not JSON", "no records array", ...
};
// Reads an answer: JSONP (`name(…)` or `name(…);`) or JSON, at most 64 levels deep. The
// records array is the first (objects before arrays, members in name order) array of objects
// in which most records have a URL-like string field (no spaces; http(s)://, /, ./, ../ or a
// path ending in .htm, .html, .shtml, .jsp, .php, .asp, .aspx) and another with Chinese
// text that is not a date; the date field is one holding dates (2023-01-18, 2023/01/18,
// 2023年1月18日) when there is one; the total, a whole number beside the array named total,
// totalCount, count, recordCount, totalRecord or totalRecords (any case). `list.url` is left empty.
InferredList InferJsonList(std::string_view answer);

}  // namespace nianbao::crawler
