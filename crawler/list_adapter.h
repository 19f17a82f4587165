// List adapters: lists whose records are not plain <a href> links of the column page.
//
// A source names a preset (`cms = "hanweb"` in the sources file) or writes its own request
// template (a `[source.list]` table, docs/sources.md); either way the adapter reads the
// column page (the parameters it carries, and records an HTML parser cannot see), then asks
// for the rest of the list one request after the other, each built from what the column page
// said and what the answers so far said. Presets are rows of one table (kListPresets in the
// .cc): a name, the parameters it knows, how it reads the column page and an answer, how it
// asks for the next one, and (for the template presets) its request template:
//   trs         TRS pagers the crawler does not see as links: createPageHTML (0- and 1-based),
//               `var countPage = N`, numbered files 1.html 2.html, a `listArgs` object
//   hanweb      Hanweb (大汉) jpage: the page's <script type="text/xml"> datastore, then
//               POST /module/web/jpage/dataproxy.jsp?startrecord=S&endrecord=E&perpage=P
//   trs-search  TRS 动静结合: 10 records static, the rest from a POST JSON search API
//               (channelid, classsql=chnlid=N, page, prepage; X-Requested-With: XMLHttpRequest)
//   gkmlpt      Guangdong: /gkmlpt/annualreport (window._CONFIG = {SID: …}), then
//               GET /gkmlpt/api/all/<cat>?page=N&sid=SID answering JSON
//   jpaas       Hanweb JPaaS: GET …/front/page/build/unit?…&paramJson={"pageNo":N,…}, the list
//               HTML inside the JSON answer
// A template is read the same way as the template presets, from the source's own keys.
//
// Pure: no I/O. Threading: safe from any thread; the table is immutable.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/page.h"

namespace nianbao::crawler {

using nianbao::Link;  // base/page.h

// One request of a list beyond the column page.
struct ListCall {
  std::string url;
  std::string method = "GET";        // "GET" or "POST"
  std::string body;                  // a POST's body (form-encoded, or JSON: see headers)
  std::vector<std::string> headers;  // extra request headers ("Referer: …")
};

// A declarative list (the `list` table of a source, or a template preset's row): how to ask
// for the pages after the column page and how to read the answers. Placeholders in `url`,
// `body` and the header values: {page} (first_page, first_page + 1, …), {start} and {end}
// (1-based records of the call), {offset} ({start} - 1), {size} (page_size), {column} (the
// column page's URL) and {NAME} for any parameter (detected on the column page, or the
// source's cms_params). Values are escaped for where they go: percent-encoded in the URL and
// a form body, JSON-escaped in a JSON body.
struct ListTemplate {
  std::string url;                 // required; relative to the column page
  std::string method = "GET";      // "GET" or "POST"
  std::string body;                // POST only
  std::string body_type = "form";  // "form" (application/x-www-form-urlencoded) or "json"
  // Sent with every call; a Referer (the column page) is sent unless one is set here.
  std::vector<std::pair<std::string, std::string>> headers;
  int first_page = 1;           // {page} of the first call (0 for APIs counting from 0)
  int page_size = 15;           // {size}: records asked per call, 1 to 300
  std::string answer = "html";  // "html", "xml" (CDATA <record>s), "json" or "jsonp"
  std::string callback;         // jsonp: the callback the answer must call, "" = any
  // JSON answers: dotted paths ("data.list", "" = the answer itself; a number indexes an array).
  std::string records;            // the array of records
  std::string url_field = "url";  // in each record: its URL (relative to the column page)
  std::string title_field = "title";
  std::string date_field;   // "" = none
  std::string html_field;   // a string of list HTML (read as HTML) instead of records
  std::string total_field;  // the number of records in the list, "" = not said
  std::string pages_field;  // the number of pages, "" = not said

  bool operator==(const ListTemplate&) const = default;
};

// What one answer says: its records as links (resolved against the column page), and what
// it tells of the list. `params` holds only what the answer itself carries. A non-empty
// `error` fails the list (counted in the pass summary under that reason): an answer that is
// not what the list promised (truncated JSON, a JSONP of another callback, no records array).
struct ListReading {
  std::vector<Link> links;
  int64_t records = 0;  // records in the answer (a record may hold no usable link)
  std::optional<int64_t> total;
  std::optional<int64_t> pages;
  std::optional<int64_t> per_page;
  std::map<std::string, std::string> params;
  std::map<std::string, std::string> dates;  // link URL -> the record's date, as written
  std::string error;
};

// Where a list stands after its answers so far. Copied from request to request.
struct ListCursor {
  std::map<std::string, std::string> params;  // detected, then the source's own on top
  std::string column_url;                     // base of the records' links; the calls' Referer
  int64_t next_record = 1;                    // 1-based: the first record not yet asked for
  std::optional<int64_t> total;               // records in the list, when an answer said so
  std::optional<int64_t> pages;               // pages of the list, when an answer said so
  int64_t per_page = 0;                       // records asked per call
  int64_t last_records = 0;                   // records in the latest answer
  int64_t calls = 0;                          // calls answered so far
};

struct ListPreset {
  std::string_view name;
  // The parameters a source may set (`cms_params`), in the order of the request body;
  // empty for the source's own template, whose parameters are any placeholder it names.
  std::vector<std::string_view> params;
  // Reads the column page: the parameters it carries and records an HTML parser cannot see
  // (its plain links are read as those of any list page). REQUIRES: text is valid UTF-8.
  ListReading (*read_column)(std::string_view text, const std::string& base);
  // Reads the answer to one of the preset's calls. `base` resolves the records' links.
  ListReading (*read)(std::string_view text, const std::string& base, const ListTemplate& t);
  // The next request, nullopt at the end of the list. A missing required parameter is not
  // the end: `error` names it and the list fails (counted, never a crash).
  std::optional<ListCall> (*next)(const ListCursor& cursor, const ListTemplate& t,
                                  std::string* error);
  // Template presets: their request and the mapping of their answers; empty otherwise.
  ListTemplate list;
};

// The preset of that name, nullptr when there is none.
const ListPreset* FindListPreset(std::string_view name);
// Every preset's name, for messages and docs.
std::vector<std::string_view> ListPresetNames();
// The adapter of a source that writes its own template (a `list` table and no `cms`).
const ListPreset& TemplateListPreset();

// The cursor after the column page: its reading's parameters overridden by the source's.
// `t` gives the page size of template lists (a hanweb page says its own).
ListCursor StartCursor(const ListReading& page, const std::string& column_url,
                       const std::map<std::string, std::string>& source_params,
                       const ListTemplate& t = {});
// The cursor after a later answer to the request made from `cursor`.
ListCursor AdvanceCursor(ListCursor cursor, const ListReading& answer);

// application/x-www-form-urlencoded encoding of one value (UTF-8 bytes percent-encoded).
std::string FormEncode(std::string_view value);

// Whether a JSON text nests deeper than the readers allow (64 levels; brackets outside
// strings): nlohmann's parser recurses, so deeper answers are refused before parsing.
bool JsonTooDeep(std::string_view text);

}  // namespace nianbao::crawler
