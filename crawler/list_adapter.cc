#include "crawler/list_adapter.h"

#include <re2/re2.h>

#include <algorithm>
#include <cctype>

#include "crawler/links.h"

namespace nianbao::crawler {
namespace {

// Records read from one answer at most: a datastore of a million records is a trap.
constexpr int kMaxRecords = 5000;
// Records asked per call: the page's own size, within these bounds (some servers cap near 300).
constexpr int64_t kDefaultPerPage = 15;
constexpr int64_t kMaxPerPage = 300;

std::optional<int64_t> ToCount(const std::string& digits) {
  if (digits.empty() || digits.size() > 12) return std::nullopt;
  int64_t n = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');
  }
  return n;
}

// ---------------------------------------------------------------------------------------------
// Hanweb (大汉) jpage

constexpr std::string_view kHanwebProxy = "/module/web/jpage/dataproxy.jsp";

// The body's parameters with what a jpage call uses when the page does not say; "" = required.
struct HanwebParam {
  std::string_view name;
  std::string_view fallback;
  bool required;
};
constexpr HanwebParam kHanwebBody[] = {
    {"col", "1", false},   {"appid", "1", false},  {"webid", "", false},
    {"path", "/", false},  {"columnid", "", true}, {"sourceContentType", "1", false},
    {"unitid", "", false}, {"webname", "", false}, {"permissiontype", "0", false},
};

// `name:'value'`, `name:"value"` or `name:value` in the jpage call's object literal.
std::optional<std::string> ScriptValue(std::string_view text, std::string_view name) {
  const RE2 re("\\b" + std::string(name) +
               R"re(\s*:\s*(?:'([^'\n]{0,200})'|"([^"\n]{0,200})"|([0-9A-Za-z_./-]{1,200})))re");
  std::string single, dbl, bare;
  if (!re.ok() || !RE2::PartialMatch(text, re, &single, &dbl, &bare)) return std::nullopt;
  return !single.empty() ? single : !dbl.empty() ? dbl : bare;
}

ListReading HanwebRead(std::string_view text, const std::string& base) {
  ListReading reading;
  static const RE2 record(R"re((?s)<record>\s*<!\[CDATA\[(.*?)\]\]>\s*</record>)re");
  re2::StringPiece input(text.data(), text.size());
  std::string html, one;
  while (reading.records < kMaxRecords && RE2::FindAndConsume(&input, record, &one)) {
    html += one;
    html += '\n';
    ++reading.records;
  }
  if (!html.empty()) reading.links = ExtractLinks(html, base);
  static const RE2 total_tag(R"re(<totalrecord>\s*(\d{1,12})\s*</totalrecord>)re");
  static const RE2 total_var(R"re((?i)\btotalRecord\s*[:=]\s*['"]?(\d{1,12}))re");
  static const RE2 per_page(R"re((?i)\bper_?page\s*[:=]\s*['"]?(\d{1,12}))re");
  std::string digits;
  if (RE2::PartialMatch(text, total_tag, &digits) || RE2::PartialMatch(text, total_var, &digits)) {
    reading.total = ToCount(digits);
  }
  if (RE2::PartialMatch(text, per_page, &digits)) reading.per_page = ToCount(digits);
  // The parameters sit in the jpage call of the column page; an answer of the proxy has none.
  for (const HanwebParam& p : kHanwebBody) {
    if (auto v = ScriptValue(text, p.name)) reading.params[std::string(p.name)] = *v;
  }
  static const RE2 proxy(R"re(['"]([^'"\s]{0,200}dataproxy\.jsp)['"])re");
  std::string url;
  if (RE2::PartialMatch(text, proxy, &url)) reading.params["dataproxy"] = url;
  return reading;
}

std::optional<ListCall> HanwebNext(const ListCursor& c, std::string* error) {
  if (c.total ? c.next_record > *c.total : c.last_records == 0) return std::nullopt;
  auto param = [&](std::string_view name) -> std::string {
    auto it = c.params.find(std::string(name));
    return it != c.params.end() ? it->second : std::string();
  };
  std::string body;
  for (const HanwebParam& p : kHanwebBody) {
    std::string v = param(p.name);
    if (v.empty()) v = std::string(p.fallback);
    if (v.empty() && p.required) {
      *error = "hanweb_no_" + std::string(p.name);
      return std::nullopt;
    }
    if (!body.empty()) body += '&';
    body += std::string(p.name) + "=" + FormEncode(v);
  }
  std::string proxy = param("dataproxy");
  std::string url = ResolveUrl(c.column_url, proxy.empty() ? kHanwebProxy : proxy);
  if (url.empty()) {
    *error = "hanweb_bad_dataproxy";
    return std::nullopt;
  }
  const int64_t end = c.next_record + c.per_page - 1;
  url += url.find('?') == std::string::npos ? '?' : '&';
  url += "startrecord=" + std::to_string(c.next_record) + "&endrecord=" + std::to_string(end) +
         "&perpage=" + std::to_string(c.per_page);
  ListCall call;
  call.url = std::move(url);
  call.method = "POST";
  call.body = std::move(body);
  call.headers = {"Referer: " + c.column_url};
  return call;
}

// ---------------------------------------------------------------------------------------------
// The presets. A new one (trs-search, gkmlpt, jpaas) is a row: its parameters, a reader of
// its answers and a builder of its next request.

const std::vector<ListPreset>& Presets() {
  static const auto* const kListPresets = new std::vector<ListPreset>{
      {"hanweb",
       {"col", "appid", "webid", "path", "columnid", "sourceContentType", "unitid", "webname",
        "permissiontype", "perpage", "dataproxy"},
       HanwebRead,
       HanwebNext},
  };
  return *kListPresets;
}

}  // namespace

const ListPreset* FindListPreset(std::string_view name) {
  for (const ListPreset& p : Presets()) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

std::vector<std::string_view> ListPresetNames() {
  std::vector<std::string_view> names;
  for (const ListPreset& p : Presets()) names.push_back(p.name);
  return names;
}

ListCursor StartCursor(const ListReading& page, const std::string& column_url,
                       const std::map<std::string, std::string>& source_params) {
  ListCursor c;
  c.params = page.params;
  for (const auto& [k, v] : source_params) c.params[k] = v;
  c.column_url = column_url;
  c.total = page.total;
  c.per_page = page.per_page.value_or(kDefaultPerPage);
  if (auto it = source_params.find("perpage"); it != source_params.end()) {
    c.per_page = ToCount(it->second).value_or(c.per_page);
  }
  c.per_page = std::clamp<int64_t>(c.per_page, 1, kMaxPerPage);
  c.next_record = page.records + 1;
  c.last_records = page.records;
  return c;
}

ListCursor AdvanceCursor(ListCursor c, const ListReading& answer) {
  if (answer.total) c.total = answer.total;
  // An empty answer ends the list whatever the total said: never ask past it.
  if (answer.records == 0) c.total = c.next_record - 1;
  c.next_record += c.per_page;
  c.last_records = answer.records;
  return c;
}

std::string FormEncode(std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char ch : value) {
    if (std::isalnum(ch) != 0 || ch == '-' || ch == '_' || ch == '.' || ch == '*') {
      out.push_back(static_cast<char>(ch));
    } else if (ch == ' ') {
      out.push_back('+');
    } else {
      out.push_back('%');
      out.push_back(kHex[ch >> 4]);
      out.push_back(kHex[ch & 15]);
    }
  }
  return out;
}

}  // namespace nianbao::crawler
