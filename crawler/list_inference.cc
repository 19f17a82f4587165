#include "crawler/list_inference.h"

#include <re2/re2.h>

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <string_view>
#include <vector>

namespace nianbao::crawler {
namespace {

// Names of a page-number parameter, lower-cased.
constexpr std::string_view kPageParams[] = {"page",    "pageno",      "pageindex", "pagenum",
                                            "curpage", "currentpage", "p",         "pn"};
// Names of a list's record count beside its records, lower-cased.
constexpr std::string_view kTotalNames[] = {"total",       "totalcount",  "count",
                                            "recordcount", "totalrecord", "totalrecords"};
// Path endings of a page's URL.
constexpr std::string_view kPageExtensions[] = {".htm", ".html", ".shtml", ".jsp",
                                                ".php", ".asp",  ".aspx"};

// Arrays looked at and records sampled per array: an answer is a page of a list.
constexpr int kMaxArrays = 200;
constexpr size_t kSample = 50;

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool UrlLike(const std::string& v) {
  if (v.empty() || v.size() > 2000) return false;
  for (unsigned char c : v) {
    if (std::isspace(c) || c >= 0x80) return false;
  }
  if (v.rfind("http://", 0) == 0 || v.rfind("https://", 0) == 0 || v.rfind("./", 0) == 0 ||
      v.rfind("../", 0) == 0 || (v[0] == '/' && v.size() > 1)) {
    return true;
  }
  const std::string path = Lower(v.substr(0, v.find_first_of("?#")));
  return std::any_of(std::begin(kPageExtensions), std::end(kPageExtensions),
                     [&](std::string_view ext) {
                       return path.size() > ext.size() &&
                              path.compare(path.size() - ext.size(), ext.size(), ext) == 0;
                     });
}

// Chinese text: a UTF-8 lead byte of the CJK Unified Ideographs (U+4E00..U+9FFF).
bool ChineseText(const std::string& v) {
  return std::any_of(v.begin(), v.end(), [](char c) {
    const auto b = static_cast<unsigned char>(c);
    return b >= 0xE4 && b <= 0xE9;
  });
}

bool DateLike(const std::string& v) {
  static const RE2 kDate(R"(^\s*(19|20)\d\d\s*(-|/|\.|年)\s*\d{1,2})");
  return RE2::PartialMatch(v, kDate);
}

// The first member name (in name order) whose string value satisfies `test` in most of the
// sampled records, other than `not_this`; "" when none.
template <typename Test>
std::string FieldWhere(const nlohmann::json& records, Test test, const std::string& not_this) {
  std::vector<std::string> names;
  const size_t n = std::min(records.size(), kSample);
  for (size_t i = 0; i < n; ++i) {
    for (const auto& [key, value] : records[i].items()) {
      if (key != not_this && value.is_string() &&
          std::find(names.begin(), names.end(), key) == names.end()) {
        names.push_back(key);
      }
    }
  }
  std::sort(names.begin(), names.end());
  for (const std::string& name : names) {
    size_t hits = 0;
    for (size_t i = 0; i < n; ++i) {
      auto it = records[i].find(name);
      if (it != records[i].end() && it->is_string() && test(it->get<std::string>())) ++hits;
    }
    if (hits * 2 > n) return name;
  }
  return "";
}

struct Found {
  std::string path;
  const nlohmann::json* array = nullptr;
  const nlohmann::json* parent = nullptr;  // the object holding the array, nullptr at the root
  std::string url_field, title_field;
};

bool AllObjects(const nlohmann::json& array) {
  if (array.empty()) return false;
  const size_t n = std::min(array.size(), kSample);
  for (size_t i = 0; i < n; ++i) {
    if (!array[i].is_object()) return false;
  }
  return true;
}

// Breadth first over object members (nlohmann keeps them in name order).
std::optional<Found> FindRecords(const nlohmann::json& root) {
  struct Node {
    const nlohmann::json* value;
    const nlohmann::json* parent;
    std::string path;
  };
  std::vector<Node> queue{{&root, nullptr, ""}};
  int arrays = 0;
  for (size_t head = 0; head < queue.size() && arrays < kMaxArrays; ++head) {
    const Node node = queue[head];
    if (node.value->is_array()) {
      ++arrays;
      if (!AllObjects(*node.value)) continue;
      Found f;
      f.url_field = FieldWhere(*node.value, UrlLike, "");
      if (f.url_field.empty()) continue;
      f.title_field = FieldWhere(
          *node.value,
          [](const std::string& v) { return ChineseText(v) && !UrlLike(v) && !DateLike(v); },
          f.url_field);
      if (f.title_field.empty()) continue;
      f.path = node.path;
      f.array = node.value;
      f.parent = node.parent;
      return f;
    }
    if (!node.value->is_object()) continue;
    for (const auto& [key, value] : node.value->items()) {
      if (key.find('.') != std::string::npos) continue;  // not addressable by a dotted path
      if (value.is_object() || value.is_array()) {
        queue.push_back({&value, node.value, node.path.empty() ? key : node.path + "." + key});
      }
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<ScriptListCall> FindScriptListCall(std::string_view html) {
  static const RE2 kScript(R"re((?is)<script\b[^>]*>(.*?)</script>)re");
  // 'url?...&name=' + variable [+ 'rest']
  static const RE2 kCall(
      R"re(["']([^"'\s<>]*[?&]([A-Za-z_]+)=)["']\s*\+\s*[A-Za-z_$][\w$.]*\s*(?:\+\s*["']([^"'\s<>]*)["'])?)re");
  re2::StringPiece page(html.data(), html.size());
  std::string script;
  while (RE2::FindAndConsume(&page, kScript, &script)) {
    re2::StringPiece code(script);
    std::string head, name, tail;
    while (RE2::FindAndConsume(&code, kCall, &head, &name, &tail)) {
      const std::string lower = Lower(name);
      if (std::find(std::begin(kPageParams), std::end(kPageParams), lower) ==
          std::end(kPageParams)) {
        continue;
      }
      // A template's braces are its placeholders: a URL holding braces is not one to copy.
      if ((head + tail).find_first_of("{}") != std::string::npos) continue;
      return ScriptListCall{head + "{page}" + tail, name};
    }
  }
  return std::nullopt;
}

InferredList InferJsonList(std::string_view answer) {
  InferredList out;
  ListTemplate& t = out.list;
  t.answer = "json";
  static const RE2 kJsonp(R"re(^\s*(?:/\*\*/\s*)?([A-Za-z_$][A-Za-z0-9_$.]{0,100})\s*\()re");
  std::string callback;
  std::string_view text = answer;
  if (RE2::PartialMatch(answer, kJsonp, &callback)) {
    const size_t open = answer.find('(');
    const size_t close = answer.rfind(')');
    if (close == std::string_view::npos || close < open) {
      out.error = "a JSONP answer without its closing parenthesis";
      return out;
    }
    text = answer.substr(open + 1, close - open - 1);
    t.answer = "jsonp";
    t.callback = callback;
  }
  if (JsonTooDeep(text)) {
    out.error = "JSON nested too deep";
    return out;
  }
  const nlohmann::json root = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) {
    out.error = "not JSON";
    return out;
  }
  std::optional<Found> found = FindRecords(root);
  if (!found) {
    out.error = "no array of records with a URL field and a Chinese title field";
    return out;
  }
  t.records = found->path;
  t.url_field = found->url_field;
  t.title_field = found->title_field;
  const nlohmann::json& records = *found->array;
  t.date_field = FieldWhere(records, DateLike, t.url_field);
  if (t.date_field == t.title_field) t.date_field.clear();
  if (found->parent != nullptr) {
    const std::string prefix = found->path.rfind('.') == std::string::npos
                                   ? ""
                                   : found->path.substr(0, found->path.rfind('.') + 1);
    for (const auto& [key, value] : found->parent->items()) {
      const std::string lower = Lower(key);
      if (value.is_number_integer() && std::find(std::begin(kTotalNames), std::end(kTotalNames),
                                                 lower) != std::end(kTotalNames)) {
        t.total_field = prefix + key;
        break;
      }
    }
  }
  return out;
}

}  // namespace nianbao::crawler
