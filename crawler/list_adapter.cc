#include "crawler/list_adapter.h"

#include <re2/re2.h>

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "crawler/links.h"

namespace nianbao::crawler {
namespace {

// Records read from one answer at most: a datastore of a million records is a trap.
constexpr int kMaxRecords = 5000;
// Records asked per call: the page's own size, within these bounds (some servers cap near 300).
constexpr int64_t kMaxPerPage = 300;
// Calls of one list at most, whatever the answers claim; the crawler's max_pages cuts sooner.
constexpr int64_t kMaxCalls = 10000;
// Nesting of a JSON answer at most: list APIs nest a few levels; a deeper answer is a trap.
constexpr int kMaxJsonDepth = 64;

std::optional<int64_t> ToCount(const std::string& digits) {
  if (digits.empty() || digits.size() > 12) return std::nullopt;
  int64_t n = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');
  }
  return n;
}

std::string Param(const ListCursor& c, std::string_view name) {
  auto it = c.params.find(std::string(name));
  return it != c.params.end() ? it->second : std::string();
}

// `name:'value'`, `name:"value"` or `name:value` in a script's object literal; with `equals`
// also `name="value"` (an attribute) and `name=value` (a query).
std::optional<std::string> ScriptValue(std::string_view text, std::string_view name,
                                       bool equals = false) {
  const RE2 re("\\b" + std::string(name) + (equals ? "\\s*[:=]\\s*" : "\\s*:\\s*") +
               R"re((?:'([^'\n]{0,200})'|"([^"\n]{0,200})"|([0-9A-Za-z_./-]{1,200})))re");
  std::string single, dbl, bare;
  if (!re.ok() || !RE2::PartialMatch(text, re, &single, &dbl, &bare)) return std::nullopt;
  return !single.empty() ? single : !dbl.empty() ? dbl : bare;
}

// The CDATA <record>s of a Hanweb-style XML answer, read as HTML, and its <totalrecord>.
void ReadXmlRecords(std::string_view text, const std::string& base, ListReading* reading) {
  static const RE2 record(R"re((?s)<record>\s*<!\[CDATA\[(.*?)\]\]>\s*</record>)re");
  re2::StringPiece input(text.data(), text.size());
  std::string html, one;
  while (reading->records < kMaxRecords && RE2::FindAndConsume(&input, record, &one)) {
    html += one;
    html += '\n';
    ++reading->records;
  }
  if (!html.empty()) reading->links = ExtractLinks(html, base);
  static const RE2 total_tag(R"re(<totalrecord>\s*(\d{1,12})\s*</totalrecord>)re");
  std::string digits;
  if (RE2::PartialMatch(text, total_tag, &digits)) reading->total = ToCount(digits);
}

// ---------------------------------------------------------------------------------------------
// Templates: placeholders filled with the call's numbers and the list's parameters

enum class Escape { kUrl, kForm, kJson, kHeader };

std::string JsonEscape(std::string_view value) {
  std::string out;
  for (unsigned char ch : value) {
    if (ch == '"' || ch == '\\') {
      out += '\\';
      out += static_cast<char>(ch);
    } else if (ch < 0x20) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\u00";
      out += kHex[ch >> 4];
      out += kHex[ch & 15];
    } else {
      out += static_cast<char>(ch);
    }
  }
  return out;
}

// Fills the {name} placeholders of `text`. A name the list does not know is a missing
// parameter: `missing` gets it and the result is empty. Braces around anything else (a JSON
// body's own) stay as written. A placeholder that opens a URL is its base (an API's path or
// URL, as the page wrote it), inserted as it is.
std::string Fill(std::string_view text, const std::map<std::string, std::string>& vars,
                 Escape escape, std::string* missing) {
  static const RE2 placeholder(R"re(\{([A-Za-z_][A-Za-z0-9_]{0,40})\})re");
  std::string out;
  re2::StringPiece input(text.data(), text.size());
  const char* done = text.data();
  std::string name;
  while (RE2::FindAndConsume(&input, placeholder, &name)) {
    const char* at = input.data() - name.size() - 2;
    out.append(done, at);
    done = input.data();
    auto it = vars.find(name);
    if (it == vars.end()) {
      *missing = name;
      return {};
    }
    switch (escape) {
      case Escape::kUrl:
        out += at == text.data() ? it->second : FormEncode(it->second);
        break;
      case Escape::kForm:
        out += FormEncode(it->second);
        break;
      case Escape::kJson:
        out += JsonEscape(it->second);
        break;
      case Escape::kHeader:
        // A header value is one line: a parameter cannot add a header of its own.
        for (char ch : it->second) out += ch == '\r' || ch == '\n' ? ' ' : ch;
        break;
    }
  }
  out.append(done, text.data() + text.size());
  return out;
}

// The JSON value at a dotted path ("data.list", "items.0.html"); nullptr when absent.
const nlohmann::json* At(const nlohmann::json& root, std::string_view path) {
  const nlohmann::json* node = &root;
  while (!path.empty()) {
    const size_t dot = path.find('.');
    const std::string key(path.substr(0, dot));
    path = dot == std::string_view::npos ? std::string_view() : path.substr(dot + 1);
    if (node->is_object()) {
      auto it = node->find(key);
      if (it == node->end()) return nullptr;
      node = &*it;
    } else if (node->is_array()) {
      auto index = ToCount(key);
      if (!index || *index >= static_cast<int64_t>(node->size())) return nullptr;
      node = &(*node)[static_cast<size_t>(*index)];
    } else {
      return nullptr;
    }
  }
  return node;
}

// A count or a text at a path: numbers as numbers, or numeric strings ("25").
std::optional<int64_t> CountAt(const nlohmann::json& root, std::string_view path) {
  if (path.empty()) return std::nullopt;
  const nlohmann::json* v = At(root, path);
  if (v == nullptr) return std::nullopt;
  if (v->is_number_unsigned())
    return static_cast<int64_t>(std::min<uint64_t>(v->get<uint64_t>(), 1000000000000));
  if (v->is_number_integer()) return std::max<int64_t>(v->get<int64_t>(), 0);
  if (v->is_string()) return ToCount(v->get<std::string>());
  return std::nullopt;
}

std::string TextAt(const nlohmann::json& record, std::string_view path) {
  if (path.empty()) return {};
  const nlohmann::json* v = At(record, path);
  if (v == nullptr) return {};
  if (v->is_string()) return v->get<std::string>();
  if (v->is_number()) return v->dump();
  return {};
}

// The JSON inside a JSONP answer, `callback({...});`. "" with `error` set when the answer is
// not a call of `expected` ("" = any name).
std::string_view Unwrap(std::string_view text, const std::string& expected, std::string* error) {
  static const RE2 call(R"re(\s*(?:/\*\*/\s*)?([A-Za-z_$][A-Za-z0-9_$.]{0,100})\s*\()re");
  re2::StringPiece input(text.data(), text.size());
  std::string name;
  if (!RE2::Consume(&input, call, &name)) {
    *error = "list_bad_jsonp";
    return {};
  }
  if (!expected.empty() && name != expected) {
    *error = "list_jsonp_callback";
    return {};
  }
  std::string_view rest(input.data(), input.size());
  const size_t close = rest.rfind(')');
  if (close == std::string_view::npos) {
    *error = "list_bad_jsonp";
    return {};
  }
  return rest.substr(0, close);
}

// Collapses runs of whitespace, as ExtractLinks does for link texts.
std::string Collapse(std::string_view text) {
  std::string out;
  bool space = false;
  for (char ch : text) {
    if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r') {
      space = !out.empty();
    } else {
      if (space) out += ' ';
      space = false;
      out += ch;
    }
  }
  return out;
}

void ReadJson(std::string_view text, const std::string& base, const ListTemplate& t,
              ListReading* reading) {
  if (t.answer == "jsonp") {
    text = Unwrap(text, t.callback, &reading->error);
    if (!reading->error.empty()) return;
  }
  if (JsonTooDeep(text)) {
    reading->error = "list_bad_json";
    return;
  }
  const nlohmann::json root = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) {
    reading->error = "list_bad_json";  // truncated, or not JSON at all (an error page)
    return;
  }
  reading->total = CountAt(root, t.total_field);
  reading->pages = CountAt(root, t.pages_field);
  if (!t.html_field.empty()) {
    const nlohmann::json* html = At(root, t.html_field);
    if (html == nullptr || !html->is_string()) {
      reading->error = "list_no_html";
      return;
    }
    reading->links = ExtractLinks(html->get<std::string>(), base);
    reading->records = static_cast<int64_t>(reading->links.size());
    return;
  }
  const nlohmann::json* records = At(root, t.records);
  if (records == nullptr || !records->is_array()) {
    reading->error = "list_no_records";
    return;
  }
  for (const nlohmann::json& record : *records) {
    if (reading->records >= kMaxRecords) break;
    ++reading->records;
    // A record without a usable URL (none, javascript:, another scheme) is counted, not linked.
    std::string url = ResolveUrl(base, TextAt(record, t.url_field));
    if (url.empty()) continue;
    std::string date = TextAt(record, t.date_field);
    if (!date.empty()) reading->dates[url] = date;
    reading->links.push_back(Link{std::move(url), Collapse(TextAt(record, t.title_field))});
  }
}

// Reads an answer of a template list, as its `answer` says.
ListReading TemplateRead(std::string_view text, const std::string& base, const ListTemplate& t) {
  ListReading reading;
  if (t.answer == "json" || t.answer == "jsonp") {
    ReadJson(text, base, t, &reading);
  } else if (t.answer == "xml") {
    ReadXmlRecords(text, base, &reading);
  } else {
    reading.links = ExtractLinks(text, base);
    reading.records = static_cast<int64_t>(reading.links.size());
  }
  return reading;
}

// The call after `c`, from the template: until an empty answer, the total or the page count.
std::optional<ListCall> TemplateNext(const ListCursor& c, const ListTemplate& t,
                                     std::string* error) {
  if (c.calls >= kMaxCalls || (c.calls > 0 && c.last_records == 0)) return std::nullopt;
  if (c.total && c.next_record > *c.total) return std::nullopt;
  const int64_t page = t.first_page + c.calls;
  // Pages are counted 1..N by an API whose first page is 1, 0..N-1 by one that starts at 0.
  if (c.pages && (t.first_page == 0 ? page + 1 : page) > *c.pages) return std::nullopt;
  std::map<std::string, std::string> vars = c.params;
  vars["page"] = std::to_string(page);
  vars["start"] = std::to_string(c.next_record);
  vars["end"] = std::to_string(c.next_record + c.per_page - 1);
  vars["offset"] = std::to_string(c.next_record - 1);
  vars["size"] = std::to_string(c.per_page);
  vars["column"] = c.column_url;
  std::string missing;
  ListCall call;
  call.url = ResolveUrl(c.column_url, Fill(t.url, vars, Escape::kUrl, &missing));
  call.method = t.method;
  const bool json = t.body_type == "json";
  if (t.method == "POST") {
    call.body = Fill(t.body, vars, json ? Escape::kJson : Escape::kForm, &missing);
  }
  bool referer = false;
  for (const auto& [name, value] : t.headers) {
    call.headers.push_back(name + ": " + Fill(value, vars, Escape::kHeader, &missing));
    referer = referer ||
              (name.size() == 7 && std::equal(name.begin(), name.end(), "referer",
                                              [](char a, char b) { return std::tolower(a) == b; }));
  }
  if (!missing.empty()) {
    *error = "list_no_" + missing;
    return std::nullopt;
  }
  if (call.url.empty()) {
    *error = "list_bad_url";
    return std::nullopt;
  }
  if (!referer) call.headers.insert(call.headers.begin(), "Referer: " + c.column_url);
  if (t.method == "POST" && json) call.headers.push_back("Content-Type: application/json");
  return call;
}

// A template list's column page says nothing the template needs: its parameters are the
// source's own (cms_params); its plain links are read as any list page's.
ListReading NoColumnReading(std::string_view /*text*/, const std::string& /*base*/) { return {}; }

// ---------------------------------------------------------------------------------------------
// TRS pagers the crawler does not follow by itself: the preset reads the pager of the column
// page (FindTrsPaging's shapes, numbered files, a `listArgs` object) and asks for each page
// with the column page as Referer.

ListReading TrsReadColumn(std::string_view text, const std::string& base) {
  ListReading reading;
  std::optional<TrsPaging> paging = FindTrsPaging(text, base);
  // listArgs = {pageCount: 7, prefix: 'index', suffix: 'shtml', channelid: '123'}: pages
  // index.shtml, index_1.shtml … (0-based like createPageHTML's four-argument form).
  static const RE2 list_args(R"re(\blistArgs\s*=\s*\{([^}]{0,1000})\})re");
  std::string args;
  if (!paging && RE2::PartialMatch(text, list_args, &args)) {
    std::optional<std::string> count = ScriptValue(args, "pageCount");
    if (!count) count = ScriptValue(args, "countPage");
    if (auto n = count ? ToCount(*count) : std::nullopt) {
      TrsPaging p;
      p.pages = static_cast<int>(std::min<int64_t>(*n, kMaxCalls));
      p.stem = ScriptValue(args, "prefix").value_or("index");
      p.extension = ScriptValue(args, "suffix").value_or("html");
      p.first_suffix = 1;
      paging = p;
    }
    if (auto id = ScriptValue(args, "channelid")) reading.params["channelid"] = *id;
  }
  if (paging) {
    reading.pages = std::min<int64_t>(paging->pages, kMaxCalls);
    reading.params["pager_stem"] = paging->stem;
    reading.params["pager_extension"] = paging->extension;
    reading.params["pager_first"] = std::to_string(paging->first_suffix);
    reading.params["pager_numbered"] = paging->numbered ? "1" : "0";
  }
  return reading;
}

ListReading TrsRead(std::string_view text, const std::string& base, const ListTemplate& t) {
  return TemplateRead(text, base, t);  // HTML pages like the column page
}

std::optional<ListCall> TrsNext(const ListCursor& c, const ListTemplate& /*t*/,
                                std::string* /*error*/) {
  // A deep page that is an empty stub ends the list, whatever the pager claimed.
  if (c.calls > 0 && c.last_records == 0) return std::nullopt;
  const std::string stem = Param(c, "pager_stem");
  const auto first = ToCount(Param(c, "pager_first"));
  const int64_t n = c.calls + 1;  // the page after the column page: 1 … pages - 1
  if (!c.pages || !first || n >= *c.pages || n > kMaxCalls) return std::nullopt;
  const std::string number = std::to_string(n - 1 + *first);
  const std::string name = (Param(c, "pager_numbered") == "1" ? number : stem + "_" + number) +
                           "." + Param(c, "pager_extension");
  ListCall call;
  call.url = ResolveUrl(c.column_url, name);
  if (call.url.empty()) return std::nullopt;
  call.headers = {"Referer: " + c.column_url};
  return call;
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

ListReading HanwebReadColumn(std::string_view text, const std::string& base) {
  ListReading reading;
  ReadXmlRecords(text, base, &reading);
  static const RE2 total_var(R"re((?i)\btotalRecord\s*[:=]\s*['"]?(\d{1,12}))re");
  static const RE2 per_page(R"re((?i)\bper_?page\s*[:=]\s*['"]?(\d{1,12}))re");
  std::string digits;
  if (!reading.total && RE2::PartialMatch(text, total_var, &digits)) {
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

ListReading HanwebRead(std::string_view text, const std::string& base, const ListTemplate& /*t*/) {
  return HanwebReadColumn(text, base);
}

std::optional<ListCall> HanwebNext(const ListCursor& c, const ListTemplate& /*t*/,
                                   std::string* error) {
  if (c.total ? c.next_record > *c.total : c.last_records == 0) return std::nullopt;
  if (c.calls >= kMaxCalls) return std::nullopt;
  std::string body;
  for (const HanwebParam& p : kHanwebBody) {
    std::string v = Param(c, p.name);
    if (v.empty()) v = std::string(p.fallback);
    if (v.empty() && p.required) {
      *error = "hanweb_no_" + std::string(p.name);
      return std::nullopt;
    }
    if (!body.empty()) body += '&';
    body += std::string(p.name) + "=" + FormEncode(v);
  }
  std::string proxy = Param(c, "dataproxy");
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
// TRS 动静结合 (the Fujian cluster): the page's script posts to a search API with the
// column's channel id; the page names both.

ListReading TrsSearchReadColumn(std::string_view text, const std::string& /*base*/) {
  ListReading reading;
  static const RE2 chnl(R"re(\bchnlid\s*=\s*(\d{1,20}))re");
  std::string id;
  if (auto v = ScriptValue(text, "channelid", true)) {
    reading.params["channelid"] = *v;
  } else if (RE2::PartialMatch(text, chnl, &id)) {
    reading.params["channelid"] = id;
  }
  // The API: the `url:` of the script that sends classsql.
  const size_t at = text.find("classsql");
  if (at != std::string_view::npos) {
    size_t open = text.rfind("<script", at);
    if (open == std::string_view::npos) open = 0;
    const size_t close = text.find("</script", at);
    std::string_view script =
        text.substr(open, close == std::string_view::npos ? std::string_view::npos : close - open);
    if (auto url = ScriptValue(script, "url")) reading.params["api"] = *url;
  }
  return reading;
}

// ---------------------------------------------------------------------------------------------
// Guangdong gkmlpt: the column page holds only window._CONFIG = {SID: …}; its records come
// from /gkmlpt/api/all/<cat>?page=N&sid=SID.

ListReading GkmlptReadColumn(std::string_view text, const std::string& base) {
  ListReading reading;
  static const RE2 config(R"re(_CONFIG\s*=\s*\{([^}]{0,1000})\})re");
  std::string object;
  if (RE2::PartialMatch(text, config, &object)) {
    if (auto sid = ScriptValue(object, "SID")) reading.params["sid"] = *sid;
  }
  // The category: the one the page's script asks for, else the column's own slug
  // (/gkmlpt/annualreport -> annualreport).
  static const RE2 api(R"re(/gkmlpt/api/all/([0-9A-Za-z_]{1,60}))re");
  static const RE2 slug(R"re(/gkmlpt/([0-9A-Za-z_]{1,60})/?$)re");
  std::string cat;
  if (RE2::PartialMatch(text, api, &cat) ||
      RE2::PartialMatch(PathAndQuery(base).substr(0, PathAndQuery(base).find('?')), slug, &cat)) {
    reading.params["cat"] = cat;
  }
  return reading;
}

// ---------------------------------------------------------------------------------------------
// Hanweb JPaaS: the column page's unit names its webId, pageId, tagId and tplSetId; the list
// HTML of page N comes inside {"data":{"html":…}} from the build-unit API.

ListReading JpaasReadColumn(std::string_view text, const std::string& /*base*/) {
  ListReading reading;
  for (std::string_view name : {"webId", "pageId", "tagId", "tplSetId"}) {
    if (auto v = ScriptValue(text, name, true)) reading.params[std::string(name)] = *v;
  }
  static const RE2 api(R"re(['"]([^'"\s?]{0,200}/front/page/build/unit))re");
  std::string url;
  // Where the page names no API, the path every JPaaS site serves it at.
  reading.params["api"] =
      RE2::PartialMatch(text, api, &url) ? url : "/jpaas-publish-server/front/page/build/unit";
  return reading;
}

ListTemplate TrsTemplate() {
  ListTemplate t;
  t.answer = "html";
  return t;
}

ListTemplate TrsSearchTemplate() {
  ListTemplate t;
  t.url = "{api}";
  t.method = "POST";
  t.body = "channelid={channelid}&classsql=chnlid%3D{channelid}&page={page}&prepage={size}";
  t.headers = {{"X-Requested-With", "XMLHttpRequest"}};
  t.first_page = 2;  // page 1 is the page's own 10 static records
  t.page_size = 10;
  t.answer = "json";
  t.records = "data";
  t.url_field = "docpuburl";
  t.title_field = "doctitle";
  t.date_field = "pubdate";
  t.pages_field = "pageCount";
  return t;
}

ListTemplate GkmlptTemplate() {
  ListTemplate t;
  t.url = "/gkmlpt/api/all/{cat}?page={page}&sid={sid}";
  t.answer = "json";
  t.records = "articles";
  t.url_field = "url";
  t.title_field = "title";
  t.date_field = "date";
  t.total_field = "total";
  return t;
}

ListTemplate JpaasTemplate() {
  ListTemplate t;
  t.url =
      "{api}?webId={webId}&pageId={pageId}&parseType=bulidstatic&pageType=column"
      "&tagId={tagId}&tplSetId={tplSetId}"
      "&paramJson=%7B%22pageNo%22%3A{page}%2C%22pageSize%22%3A%22{size}%22%7D";
  t.answer = "json";
  t.html_field = "data.html";
  return t;
}

// ---------------------------------------------------------------------------------------------
// The presets: a new one is a row (its parameters, its readers, its next request, and for a
// template preset the template).

const std::vector<ListPreset>& Presets() {
  static const auto* const kListPresets = new std::vector<ListPreset>{
      {"trs",
       {"pager_stem", "pager_extension", "pager_first", "pager_numbered"},
       TrsReadColumn,
       TrsRead,
       TrsNext,
       TrsTemplate()},
      {"hanweb",
       {"col", "appid", "webid", "path", "columnid", "sourceContentType", "unitid", "webname",
        "permissiontype", "perpage", "dataproxy"},
       HanwebReadColumn,
       HanwebRead,
       HanwebNext,
       {}},
      {"trs-search",
       {"api", "channelid"},
       TrsSearchReadColumn,
       TemplateRead,
       TemplateNext,
       TrsSearchTemplate()},
      {"gkmlpt", {"sid", "cat"}, GkmlptReadColumn, TemplateRead, TemplateNext, GkmlptTemplate()},
      {"jpaas",
       {"api", "webId", "pageId", "tagId", "tplSetId"},
       JpaasReadColumn,
       TemplateRead,
       TemplateNext,
       JpaasTemplate()},
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

const ListPreset& TemplateListPreset() {
  static const auto* const kTemplate =
      new ListPreset{"list", {}, NoColumnReading, TemplateRead, TemplateNext, {}};
  return *kTemplate;
}

ListCursor StartCursor(const ListReading& page, const std::string& column_url,
                       const std::map<std::string, std::string>& source_params,
                       const ListTemplate& t) {
  ListCursor c;
  c.params = page.params;
  for (const auto& [k, v] : source_params) c.params[k] = v;
  c.column_url = column_url;
  c.total = page.total;
  c.pages = page.pages;
  c.per_page = page.per_page.value_or(t.page_size);
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
  if (answer.pages) c.pages = answer.pages;
  // An empty answer ends the list whatever the total said: never ask past it.
  if (answer.records == 0) c.total = c.next_record - 1;
  // The records that came, not those asked for: a server that answers fewer than asked (its
  // own page size) is asked on from where it stopped, one that answers more is not asked twice.
  c.next_record += answer.records;
  c.last_records = answer.records;
  ++c.calls;
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

bool JsonTooDeep(std::string_view text) {
  int depth = 0;
  bool in_string = false, escaped = false;
  for (char ch : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (ch == '\\') {
        escaped = true;
      } else if (ch == '"') {
        in_string = false;
      }
    } else if (ch == '"') {
      in_string = true;
    } else if (ch == '[' || ch == '{') {
      if (++depth > kMaxJsonDepth) return true;
    } else if (ch == ']' || ch == '}') {
      --depth;
    }
  }
  return false;
}

}  // namespace nianbao::crawler
