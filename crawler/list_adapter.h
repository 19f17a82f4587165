// List presets: lists whose records are not plain <a href> links of the column page.
//
// A source names a preset (`cms = "hanweb"` in the sources file); the preset reads the
// records of each answer (the column page, then the answers to its own requests) and builds
// the next request from what the column page said (its parameters, the total, the page size)
// and the records read so far. Presets are rows of one table (kListPresets in the .cc):
// a name, the parameters it knows, how it reads an answer and how it asks for the next one.
// Only "hanweb" exists today: the column page keeps its first records in
//   <script type="text/xml"><datastore><recordset><record><![CDATA[<li><a …>]]></record>…
// and the rest come from
//   POST /module/web/jpage/dataproxy.jsp?startrecord=S&endrecord=E&perpage=P
// with a form body (col, appid, webid, path, columnid, sourceContentType, unitid, webname,
// permissiontype), answered with the same XML and <totalrecord>N</totalrecord>.
//
// Pure. Threading: safe from any thread; the table is immutable.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/page.h"

namespace nianbao::crawler {

using nianbao::Link;  // base/page.h

// One request of a list beyond the column page.
struct ListCall {
  std::string url;
  std::string method = "GET";        // "GET" or "POST"
  std::string body;                  // a POST's form body (application/x-www-form-urlencoded)
  std::vector<std::string> headers;  // extra request headers ("Referer: …")
};

// What one answer says: its records as links (resolved against the column page), and what
// it tells of the list. `params` holds only what the answer itself carries.
struct ListReading {
  std::vector<Link> links;
  int64_t records = 0;  // records in the answer (a record may hold no usable link)
  std::optional<int64_t> total;
  std::optional<int64_t> per_page;
  std::map<std::string, std::string> params;
};

// Where a list stands after its answers so far. Copied from request to request.
struct ListCursor {
  std::map<std::string, std::string> params;  // detected, then the source's own on top
  std::string column_url;                     // base of the records' links; the calls' Referer
  int64_t next_record = 1;                    // 1-based: the first record not yet asked for
  std::optional<int64_t> total;               // records in the list, when an answer said so
  int64_t per_page = 0;                       // records asked per call
  int64_t last_records = 0;                   // records in the latest answer
};

struct ListPreset {
  std::string_view name;
  // The parameters a source may set (`cms_params`), in the order of the request body.
  std::vector<std::string_view> params;
  // Reads an answer. REQUIRES: text is valid UTF-8. `base` resolves the records' links.
  ListReading (*read)(std::string_view text, const std::string& base);
  // The next request, nullopt at the end of the list. A missing required parameter is not
  // the end: `error` names it and the list fails (counted, never a crash).
  std::optional<ListCall> (*next)(const ListCursor& cursor, std::string* error);
};

// The preset of that name, nullptr when there is none.
const ListPreset* FindListPreset(std::string_view name);
// Every preset's name, for messages and docs.
std::vector<std::string_view> ListPresetNames();

// The cursor after the column page: its reading's parameters overridden by the source's.
ListCursor StartCursor(const ListReading& page, const std::string& column_url,
                       const std::map<std::string, std::string>& source_params);
// The cursor after a later answer to the request made from `cursor`.
ListCursor AdvanceCursor(ListCursor cursor, const ListReading& answer);

// application/x-www-form-urlencoded encoding of one value (UTF-8 bytes percent-encoded).
std::string FormEncode(std::string_view value);

}  // namespace nianbao::crawler
