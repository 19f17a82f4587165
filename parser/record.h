// The report record and its findings as C++ values (the shapes of spec record-v1 / rules v1).
//
// The record is built by the report parser and checked by the rules; record_json.h turns it
// into the JSON that consumers receive. Absent or unreadable values are std::nullopt, never 0.
//
// Ownership: plain values. Threading: none.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace nianbao::parser {

using Value = std::optional<double>;  // counts are integral; money is in 万元
using Cells = std::vector<Value>;     // one table row, in the template's column order

enum class Template { kUnknown, k2019, k2021 };

// A document of a report page (its attachment), or the page, named in source.document and
// source.attachments. Set by the daemon, never by Parse().
struct DocumentRef {
  std::string url;
  std::string media_type;
  std::string sha256;
  int64_t bytes = 0;  // source.attachments only
};

struct Source {
  std::optional<std::string> url;         // null for local files
  std::optional<std::string> fetched_at;  // RFC 3339; null for local files
  std::string sha256;                     // of the raw bytes, lower-case hex
  std::string media_type;                 // "text/html" or "text/plain"
  std::string charset;                    // the charset the bytes were decoded from
  // Reports with attachments, and documents linked from a list: what the tables were read
  // from, and every attachment fetched with the page. Absent from the JSON when unset.
  std::optional<DocumentRef> document;
  std::vector<DocumentRef> attachments;
};

struct Narrative {
  std::optional<int64_t> proactive_total;
  std::optional<int64_t> applications_received;
};

struct Record {
  std::string report_id;
  Source source;
  std::optional<std::string> title;
  std::optional<std::string> organization;
  std::optional<int> year;
  Template form = Template::kUnknown;
  std::optional<std::string> published_on;  // YYYY-MM-DD
  std::vector<std::string> sections;        // ids from kSections, in document order

  // Section 二: present when its table (or heading) was found. Row key -> cells (null when
  // the row is absent). Keys and field names come from the template's table in labels.h.
  std::optional<std::map<std::string, std::optional<Cells>>> proactive;
  // Section 三: row key -> 7 cells (null when the row is absent).
  std::optional<std::map<std::string, std::optional<Cells>>> applications;
  // Section 四: group key -> 5 cells.
  std::optional<std::map<std::string, std::optional<Cells>>> reviews_litigation;

  Narrative narrative;
  std::optional<std::string> problems;
  std::optional<std::string> other_matters;
};

enum class Severity { kError, kWarning, kInfo };

struct Finding {
  std::string rule;  // an id from the rule table (rule_table.h)
  Severity severity = Severity::kError;
  std::optional<std::string> path;  // JSON path into the record, e.g. "applications.new[6]"
  std::string message;              // names the row and column in the report's own words
  std::optional<double> expected;
  std::optional<double> actual;
};

}  // namespace nianbao::parser
