#include "crawler/sources.h"

#include <glob.h>
#include <limits.h>
#include <re2/re2.h>
#include <stdlib.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <functional>
#include <limits>
#include <map>
#include <sstream>
#include <system_error>
#include <utility>

#include "base/near_miss.h"
#include "base/read_file.h"
#include "crawler/address_policy.h"
#include "crawler/list_adapter.h"

namespace nianbao::crawler {
namespace {

// A sources file is a few kilobytes; anything this big is the wrong file, and reading it whole
// would be an unbounded read.
constexpr size_t kMaxFileBytes = 16 << 20;

// Durations beyond a year are typos ("6000d") and could overflow the integer clocks that the
// scheduler converts them to.
constexpr double kMaxDurationSeconds = 366 * 86400.0;

constexpr int kIntMax = std::numeric_limits<int>::max();

// toml++ makes a table of every segment of a dotted key ("a.b.c = 1", "[a.b.c]") and recurses
// over them: a key of 50,000 segments (100 KB of "a.") overflows the stack and kills the
// daemon instead of giving an error. No sources file nests keys more than a few deep, so a
// line with more dots than this outside strings and comments is refused before toml++ sees it
// (with toml++'s own limit of 256 nested arrays and inline tables, that bounds the depth).
constexpr size_t kMaxDotsPerLine = 1000;

// The first line (1-based) with more than kMaxDotsPerLine '.' outside strings and comments, or
// 0. A TOML lexer only as far as strings go: basic, literal and multi-line ones (whose closing
// delimiter may carry up to two more quotes); toml++ judges the rest.
int LineWithTooManyDots(std::string_view text) {
  enum class In { kCode, kComment, kBasic, kLiteral, kMultiBasic, kMultiLiteral };
  In in = In::kCode;
  int line = 1;
  size_t dots = 0;
  auto quotes_at = [&](size_t i, char q) {
    size_t n = 0;
    while (i + n < text.size() && text[i + n] == q) ++n;
    return n;
  };
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\n') {
      ++line;
      dots = 0;
      if (in != In::kMultiBasic && in != In::kMultiLiteral) in = In::kCode;
      continue;
    }
    switch (in) {
      case In::kCode:
        if (c == '#') {
          in = In::kComment;
        } else if (c == '.') {
          if (++dots > kMaxDotsPerLine) return line;
        } else if (c == '"' || c == '\'') {
          const bool multi = quotes_at(i, c) >= 3;
          in = c == '"' ? (multi ? In::kMultiBasic : In::kBasic)
                        : (multi ? In::kMultiLiteral : In::kLiteral);
          if (multi) i += 2;
        }
        break;
      case In::kComment:
        break;
      case In::kBasic:
      case In::kMultiBasic:
        if (c == '\\') {
          // An escaped character; a backslash ending a line of a multi-line string is a
          // line break all the same.
          if (i + 1 < text.size() && text[i + 1] != '\n') ++i;
        } else if (c == '"') {
          if (in == In::kBasic) {
            in = In::kCode;
          } else if (const size_t run = quotes_at(i, '"'); run >= 3) {
            in = In::kCode;
            i += run - 1;
          }
        }
        break;
      case In::kLiteral:
      case In::kMultiLiteral:
        if (c == '\'') {
          if (in == In::kLiteral) {
            in = In::kCode;
          } else if (const size_t run = quotes_at(i, '\''); run >= 3) {
            in = In::kCode;
            i += run - 1;
          }
        }
        break;
    }
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------
// Messages

// `text` in double quotes, with control characters escaped so that a message stays one line.
std::string Quote(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (byte < 0x20 || byte == 0x7f) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[byte >> 4];
      out += kHex[byte & 0xf];
    } else {
      out += c;
    }
  }
  out += '"';
  return out;
}

std::string TypeName(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a floating-point number";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

std::string Expected(std::string_view what, const toml::node& got) {
  return "expected " + std::string(what) + ", got " + TypeName(got);
}

std::string FormatDouble(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

int LineOf(const toml::source_region& where, int fallback) {
  return where.begin.line > 0 ? static_cast<int>(where.begin.line) : fallback;
}
int LineOf(const toml::node& node, int fallback) { return LineOf(node.source(), fallback); }

// Keeps the mistake that comes first in the file, so that the operator fixes the file top down
// whatever order toml++ (a sorted map) hands the keys over in.
class Errors {
 public:
  void Add(int line, std::string message) {
    if (!message_.empty() && line >= line_) return;
    line_ = std::max(line, 1);
    message_ = std::move(message);
  }
  bool empty() const { return message_.empty(); }
  Status ToStatus(const std::string& path) const {
    return Status::InvalidArgument(path + ":" + std::to_string(line_) + ": " + message_);
  }

 private:
  int line_ = 0;
  std::string message_;
};

// ---------------------------------------------------------------------------------------------
// Checks of single strings: "" when fine, else why not (without the key, which the caller adds).

std::string CheckRegex(std::string_view pattern) {
  const RE2 re(pattern, RE2::Quiet);
  if (re.ok()) return "";
  return "invalid regular expression: " + re.error();
}

std::string CheckPagePattern(std::string_view pattern) {
  if (pattern.empty() || pattern.find("{n}") != std::string_view::npos) return "";
  return Quote(pattern) + " has no {n} for the page number";
}

std::string CheckPreset(std::string_view name) {
  if (FindListPreset(name) != nullptr) return "";
  std::string known;
  for (std::string_view n : ListPresetNames()) known += (known.empty() ? "" : ", ") + Quote(n);
  return Quote(name) + " is not a list preset (known: " + known + ")";
}

std::string CheckName(std::string_view name) {
  const auto allowed = [](char c, bool first) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           (!first && (c == '.' || c == '_' || c == '-'));
  };
  bool ok = !name.empty();
  for (size_t i = 0; ok && i < name.size(); ++i) ok = allowed(name[i], i == 0);
  if (ok) return "";
  return Quote(name) + " does not match [a-z0-9][a-z0-9._-]*";
}

// An attachment's file extension: a dot and 1 to 15 lower-case ASCII letters or digits.
std::string CheckExtension(std::string_view ext) {
  bool ok = ext.size() >= 2 && ext.size() <= 16 && ext.front() == '.';
  for (size_t i = 1; ok && i < ext.size(); ++i) {
    ok = (ext[i] >= 'a' && ext[i] <= 'z') || (ext[i] >= '0' && ext[i] <= '9');
  }
  if (ok) return "";
  return Quote(ext) + " is not a dot and lower-case letters or digits (\".pdf\")";
}

std::string CheckNotEmpty(std::string_view text) { return text.empty() ? "must not be empty" : ""; }

// The value goes into an HTTP header: a line break would inject a header of its own.
std::string CheckHeaderValue(std::string_view text) {
  if (text.empty()) return "must not be empty";
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) return Quote(text) + " contains a control character";
  }
  return "";
}

// A DNS name or an IPv4 address, or an IPv6 address in brackets. Internationalized names must be
// written in punycode (xn--...), as libcurl is not built with IDN support everywhere.
bool IsHost(std::string_view host) {
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    return std::all_of(host.begin() + 1, host.end() - 1, [](char c) {
      return std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.';
    });
  }
  if (host.empty() || host.front() == '.' || host.front() == '-') return false;
  return std::all_of(host.begin(), host.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.';
  });
}

std::string CheckHost(std::string_view host) {
  if (IsHost(host)) return "";
  return Quote(host) + " is not a host name (write the host alone: \"www.example.gov.cn\")";
}

// "HOST:PORT:ADDRESS[,ADDRESS...]", curl's --resolve form; an IPv6 address may be bracketed.
std::string CheckResolve(std::string_view entry) {
  const std::string why =
      Quote(entry) + " is not \"HOST:PORT:ADDRESS\" (\"gov.test:80:127.0.0.1\")";
  const size_t first = entry.find(':');
  if (first == std::string_view::npos) return why;
  const size_t second = entry.find(':', first + 1);
  if (second == std::string_view::npos) return why;
  const std::string_view host = entry.substr(0, first);
  const std::string_view port = entry.substr(first + 1, second - first - 1);
  if (!IsHost(host)) return why;
  int64_t number = 0;
  if (port.empty() || port.size() > 5 ||
      !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return why;
  }
  for (char c : port) number = number * 10 + (c - '0');
  if (number < 1 || number > 65535) return why;
  std::string_view addresses = entry.substr(second + 1);
  while (true) {
    const size_t comma = addresses.find(',');
    if (!ClassifyAddressText(addresses.substr(0, comma))) {
      return Quote(entry) + ": " + Quote(addresses.substr(0, comma)) + " is not an IP address";
    }
    if (comma == std::string_view::npos) break;
    addresses.remove_prefix(comma + 1);
  }
  return "";
}

std::string CheckUrl(std::string_view url) {
  const std::string quoted = Quote(url);
  for (char c : url) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte == 0x7f) return quoted + " contains a space or control character";
  }
  const size_t scheme_end = url.find("://");
  std::string scheme(url.substr(0, scheme_end == std::string_view::npos ? 0 : scheme_end));
  std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (scheme != "http" && scheme != "https") {
    return quoted + " is not an absolute http:// or https:// URL";
  }
  const std::string_view rest = url.substr(scheme_end + 3);
  const std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  if (authority.find('@') != std::string_view::npos) {
    return quoted + " carries credentials; portals are public";
  }
  std::string_view host = authority;
  // The port follows the last ':' unless that ':' is inside an IPv6 literal.
  const size_t colon = authority.rfind(':');
  if (colon != std::string_view::npos && authority.find(']', colon) == std::string_view::npos) {
    host = authority.substr(0, colon);
    const std::string_view port = authority.substr(colon + 1);
    int number = 0;
    const auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), number);
    if (port.empty() || error != std::errc() || end != port.data() + port.size() || number < 1 ||
        number > 65535) {
      return quoted + " has an invalid port";
    }
  }
  if (host.empty()) return quoted + " has no host";
  if (!IsHost(host)) return quoted + " has an invalid host";
  return "";
}

// ---------------------------------------------------------------------------------------------
// Readers: each reads one key's value into its field of a struct, checking type and range.

// What is wrong with a value ("" = nothing), and where when it is an element of an array.
struct Problem {
  std::string why;
  const toml::node* at = nullptr;
};

template <typename S>
using Reader = std::function<Problem(const toml::node& value, S* target)>;

template <typename S>
struct Field {
  std::string_view key;
  Reader<S> read;
};

std::string RangeText(int64_t lo, int64_t hi) {
  if (hi == kIntMax || hi == std::numeric_limits<int64_t>::max()) {
    return "must be at least " + std::to_string(lo);
  }
  return "must be between " + std::to_string(lo) + " and " + std::to_string(hi);
}

template <typename S>
Reader<S> Int(int S::*member, int64_t lo, int64_t hi = kIntMax) {
  return [=](const toml::node& value, S* target) -> Problem {
    const auto* integer = value.as_integer();
    if (integer == nullptr) return {Expected("an integer", value)};
    const int64_t n = integer->get();
    if (n < lo || n > hi) return {RangeText(lo, hi) + ", not " + std::to_string(n)};
    target->*member = static_cast<int>(n);
    return {};
  };
}

template <typename S>
Reader<S> Flag(bool S::*member) {
  return [=](const toml::node& value, S* target) -> Problem {
    const auto* flag = value.as_boolean();
    if (flag == nullptr) return {Expected("true or false", value)};
    target->*member = flag->get();
    return {};
  };
}

// `check` (may be null) returns why the string is not acceptable, "" if it is.
template <typename S>
Reader<S> Text(std::string S::*member, std::string (*check)(std::string_view)) {
  return [=](const toml::node& value, S* target) -> Problem {
    const auto* text = value.as_string();
    if (text == nullptr) return {Expected("a string", value)};
    if (check != nullptr) {
      if (std::string why = check(text->get()); !why.empty()) return {std::move(why)};
    }
    target->*member = text->get();
    return {};
  };
}

// An array of strings, each passing `check`; `required` refuses an empty array.
template <typename S>
Reader<S> TextList(std::vector<std::string> S::*member, std::string (*check)(std::string_view),
                   bool required) {
  return [=](const toml::node& value, S* target) -> Problem {
    const auto* array = value.as_array();
    if (array == nullptr) return {Expected("an array of strings", value)};
    if (required && array->empty()) return {"must list at least one URL"};
    std::vector<std::string> out;
    for (const toml::node& element : *array) {
      const auto* text = element.as_string();
      if (text == nullptr) return {Expected("an array of strings", element), &element};
      if (std::string why = check(text->get()); !why.empty()) return {std::move(why), &element};
      out.push_back(text->get());
    }
    target->*member = std::move(out);
    return {};
  };
}

template <typename S>
Reader<S> Duration(Seconds S::*member, bool zero_ok) {
  return [=](const toml::node& value, S* target) -> Problem {
    static constexpr std::string_view kWhat =
        "a duration string with a unit (\"500ms\", \"2s\", \"5m\", \"6h\", \"1d\")";
    const auto* text = value.as_string();
    if (text == nullptr) return {Expected(kWhat, value)};
    Seconds seconds{0};
    if (!ParseDuration(text->get(), &seconds)) {
      return {Quote(text->get()) + " is not " + std::string(kWhat)};
    }
    if (!zero_ok && seconds.count() == 0) return {"must be longer than zero"};
    if (seconds.count() > kMaxDurationSeconds) return {Quote(text->get()) + " is over 366d"};
    target->*member = seconds;
    return {};
  };
}

template <typename S>
Reader<S> Size(int64_t S::*member, int64_t lo) {
  return [=](const toml::node& value, S* target) -> Problem {
    int64_t bytes = 0;
    if (const auto* integer = value.as_integer()) {
      bytes = integer->get();
    } else if (const auto* text = value.as_string()) {
      if (!ParseSize(text->get(), &bytes)) {
        return {Quote(text->get()) + " is not a size (\"512KiB\", \"8MiB\", \"100KB\" or bytes)"};
      }
    } else {
      return {Expected("a size (\"8MiB\" or an integer of bytes)", value)};
    }
    if (bytes < lo)
      return {"must be at least " + std::to_string(lo) + ", not " + std::to_string(bytes)};
    target->*member = bytes;
    return {};
  };
}

// cms_params: a table of strings (numbers are taken as written: columnid = 1234).
Problem ReadCmsParams(const toml::node& value, Source* target) {
  const auto* table = value.as_table();
  if (table == nullptr) return {Expected("a table of strings: { columnid = \"1234\" }", value)};
  std::map<std::string, std::string> params;
  for (auto&& [key, v] : *table) {
    if (const auto* text = v.as_string()) {
      params[std::string(key.str())] = text->get();
    } else if (const auto* integer = v.as_integer()) {
      params[std::string(key.str())] = std::to_string(integer->get());
    } else {
      return {std::string(key.str()) + ": " + Expected("a string", v), &v};
    }
  }
  target->cms_params = std::move(params);
  return {};
}

// sublists: an array of tables { text = 'RE2', url = 'RE2' }, each with at least one of them.
Problem ReadSublists(const toml::node& value, Source* target) {
  static constexpr std::string_view kWhat =
      "an array of tables: [{ text = '^\\d{4}年$', url = '/gknb\\d{4}/' }]";
  const auto* array = value.as_array();
  if (array == nullptr) return {Expected(kWhat, value)};
  std::vector<SublistRule> rules;
  for (const toml::node& element : *array) {
    const auto* table = element.as_table();
    if (table == nullptr) return {Expected(kWhat, element), &element};
    SublistRule rule;
    for (auto&& [key, v] : *table) {
      std::string* field = key.str() == "text"  ? &rule.text
                           : key.str() == "url" ? &rule.url
                                                : nullptr;
      if (field == nullptr) {
        return {"unknown key " + Quote(key.str()) + " in a rule (text, url)", &v};
      }
      const auto* text = v.as_string();
      if (text == nullptr) return {std::string(key.str()) + ": " + Expected("a string", v), &v};
      if (std::string why = CheckRegex(text->get()); !why.empty()) {
        return {std::string(key.str()) + ": " + why, &v};
      }
      *field = text->get();
    }
    if (rule.text.empty() && rule.url.empty()) {
      return {"a rule needs text or url (one that matches every link would follow them all)",
              &element};
    }
    rules.push_back(std::move(rule));
  }
  target->sublists = std::move(rules);
  return {};
}

// ---------------------------------------------------------------------------------------------
// A source's list template (`list`): its keys, each onto the preset's template (or the empty one).

std::string CheckMethod(std::string_view m) {
  return m == "GET" || m == "POST" ? "" : Quote(m) + " is not \"GET\" or \"POST\"";
}
std::string CheckBodyType(std::string_view t) {
  return t == "form" || t == "json" ? "" : Quote(t) + " is not \"form\" or \"json\"";
}
std::string CheckAnswer(std::string_view a) {
  for (std::string_view known : {"html", "xml", "json", "jsonp"}) {
    if (a == known) return "";
  }
  return Quote(a) + " is not \"html\", \"xml\", \"json\" or \"jsonp\"";
}
std::string CheckHeaderName(std::string_view name) {
  const bool token = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
  });
  return token ? "" : Quote(name) + " is not a header name";
}

// headers = { Referer = "{column}", X-Requested-With = "XMLHttpRequest" }
Problem ReadListHeaders(const toml::node& value, ListTemplate* target) {
  const auto* table = value.as_table();
  if (table == nullptr)
    return {Expected("a table of strings: { X-Requested-With = \"…\" }", value)};
  for (auto&& [key, v] : *table) {
    const std::string name(key.str());
    if (std::string why = CheckHeaderName(name); !why.empty()) return {why, &v};
    const auto* text = v.as_string();
    if (text == nullptr) return {name + ": " + Expected("a string", v), &v};
    if (std::string why = CheckHeaderValue(text->get()); !why.empty())
      return {name + ": " + why, &v};
    auto same = [&](const auto& h) { return h.first == name; };
    auto& headers = target->headers;
    headers.erase(std::remove_if(headers.begin(), headers.end(), same), headers.end());
    headers.emplace_back(name, text->get());
  }
  return {};
}

const std::vector<Field<ListTemplate>>& ListFields() {
  static const auto* const kFields = new std::vector<Field<ListTemplate>>{
      {"url", Text(&ListTemplate::url, CheckNotEmpty)},
      {"method", Text(&ListTemplate::method, CheckMethod)},
      {"body", Text(&ListTemplate::body, nullptr)},
      {"body_type", Text(&ListTemplate::body_type, CheckBodyType)},
      {"headers", ReadListHeaders},
      {"first_page", Int(&ListTemplate::first_page, 0, 1000000)},
      {"page_size", Int(&ListTemplate::page_size, 1, 300)},
      {"answer", Text(&ListTemplate::answer, CheckAnswer)},
      {"callback", Text(&ListTemplate::callback, nullptr)},
      {"records", Text(&ListTemplate::records, nullptr)},
      {"url_field", Text(&ListTemplate::url_field, CheckNotEmpty)},
      {"title_field", Text(&ListTemplate::title_field, nullptr)},
      {"date_field", Text(&ListTemplate::date_field, nullptr)},
      {"html_field", Text(&ListTemplate::html_field, nullptr)},
      {"total_field", Text(&ListTemplate::total_field, nullptr)},
      {"pages_field", Text(&ListTemplate::pages_field, nullptr)},
  };
  return *kFields;
}

// `list` is read once `cms` is known (its preset's template is the base): here only its type.
Problem CheckListTable(const toml::node& value, Source* /*target*/) {
  if (value.as_table() == nullptr)
    return {Expected("a table: write [source.list] or list = { … }", value)};
  return {};
}

// organization_aliases: a table of names to names, neither empty (docs/sources.md).
Problem ReadOrganizationAliases(const toml::node& value, Source* target) {
  const auto* table = value.as_table();
  if (table == nullptr) {
    return {Expected("a table of names: { \"洛碛镇人民政府\" = \"重庆市渝北区洛碛镇人民政府\" }",
                     value)};
  }
  std::map<std::string, std::string> aliases;
  for (auto&& [key, v] : *table) {
    const auto* text = v.as_string();
    if (text == nullptr) return {std::string(key.str()) + ": " + Expected("a string", v), &v};
    if (key.str().empty() || text->get().empty()) return {"a name may not be empty", &v};
    aliases[std::string(key.str())] = text->get();
  }
  target->organization_aliases = std::move(aliases);
  return {};
}

// The jitter factor: TOML writes 0 as an integer and 0.1 as a float, both are fine.
Problem ReadJitter(const toml::node& value, SourceSettings* target) {
  double jitter = 0;
  if (const auto* integer = value.as_integer()) {
    jitter = static_cast<double>(integer->get());
  } else if (const auto* number = value.as_floating_point()) {
    jitter = number->get();
  } else {
    return {Expected("a number", value)};
  }
  if (!(jitter >= 0 && jitter < 1)) {
    return {"must be at least 0 and less than 1, not " + FormatDouble(jitter)};
  }
  target->jitter = jitter;
  return {};
}

// An empty list is allowed: a source without a reporting season polls at `interval` all year.
Problem ReadMonths(const toml::node& value, SourceSettings* target) {
  const auto* array = value.as_array();
  if (array == nullptr) return {Expected("an array of months (1 to 12)", value)};
  std::vector<int> months;
  for (const toml::node& element : *array) {
    const auto* month = element.as_integer();
    if (month == nullptr) return {Expected("an array of months (1 to 12)", element), &element};
    if (month->get() < 1 || month->get() > 12) {
      return {"month " + std::to_string(month->get()) + " is not between 1 and 12", &element};
    }
    months.push_back(static_cast<int>(month->get()));
  }
  target->season_months = std::move(months);
  return {};
}

// ---------------------------------------------------------------------------------------------
// The tables of keys. Adding a setting: a field in sources.h, a row here, a line in
// docs/sources.md and in examples/sources.example.toml.

const std::vector<Field<SourceSettings>>& SettingFields() {
  static const auto* const kFields = new std::vector<Field<SourceSettings>>{
      {"user_agent", Text(&SourceSettings::user_agent, CheckHeaderValue)},
      {"interval", Duration(&SourceSettings::interval, false)},
      {"season_interval", Duration(&SourceSettings::season_interval, false)},
      {"season_months", ReadMonths},
      {"jitter", ReadJitter},
      {"per_host_concurrency", Int(&SourceSettings::per_host_concurrency, 1)},
      {"min_delay", Duration(&SourceSettings::min_delay, true)},
      {"max_retries", Int(&SourceSettings::max_retries, 0)},
      {"backoff_base", Duration(&SourceSettings::backoff_base, false)},
      {"backoff_max", Duration(&SourceSettings::backoff_max, false)},
      {"obey_robots", Flag(&SourceSettings::obey_robots)},
      {"robots_cache", Duration(&SourceSettings::robots_cache, true)},
      {"robots_retry", Duration(&SourceSettings::robots_retry, false)},
      {"robots_max_body", Size(&SourceSettings::robots_max_body, 1)},
      {"max_crawl_delay", Duration(&SourceSettings::max_crawl_delay, true)},
      {"connect_timeout", Duration(&SourceSettings::connect_timeout, false)},
      {"total_timeout", Duration(&SourceSettings::total_timeout, false)},
      {"low_speed_limit", Size(&SourceSettings::low_speed_limit, 0)},  // 0 turns the check off
      {"low_speed_time", Duration(&SourceSettings::low_speed_time, false)},
      {"max_body", Size(&SourceSettings::max_body, 1)},
      {"max_document_body", Size(&SourceSettings::max_document_body, 1)},
      {"max_redirects", Int(&SourceSettings::max_redirects, 0, 50)},
      {"http2", Flag(&SourceSettings::http2)},
      {"tls_verify", Flag(&SourceSettings::tls_verify)},
      {"ca_bundle", Text(&SourceSettings::ca_bundle, nullptr)},
      {"allow_private_addresses", Flag(&SourceSettings::allow_private_addresses)},
      {"page_budget", Int(&SourceSettings::page_budget, 1)},
      {"max_depth", Int(&SourceSettings::max_depth, 0)},
      {"max_pages", Int(&SourceSettings::max_pages, 1)},
      {"sublist_depth", Int(&SourceSettings::sublist_depth, 0, 10)},
      {"attachment_extensions",
       TextList(&SourceSettings::attachment_extensions, CheckExtension, false)},
      {"confirm_delay", Duration(&SourceSettings::confirm_delay, true)},
      {"withdraw_after", Int(&SourceSettings::withdraw_after, 1, 1000)},
  };
  return *kFields;
}

// Keys of a [[source]] besides the settings; "name" is also read ahead for messages.
const std::vector<Field<Source>>& SourceFields() {
  static const auto* const kFields = new std::vector<Field<Source>>{
      {"name", Text(&Source::name, CheckName)},
      {"entry", TextList(&Source::entry, CheckUrl, true)},
      {"portal", Text(&Source::portal, CheckUrl)},
      {"report_url", Text(&Source::report_url, CheckRegex)},
      {"report_text", Text(&Source::report_text, CheckRegex)},
      {"exclude_text", Text(&Source::exclude_text, CheckRegex)},
      {"next_page_text", Text(&Source::next_page_text, CheckRegex)},
      {"page_pattern", Text(&Source::page_pattern, CheckPagePattern)},
      {"allow_hosts", TextList(&Source::allow_hosts, CheckHost, false)},
      {"cms", Text(&Source::cms, CheckPreset)},
      {"cms_params", ReadCmsParams},
      {"sublists", ReadSublists},
      {"list", CheckListTable},
      {"organization_aliases", ReadOrganizationAliases},
  };
  return *kFields;
}

const std::vector<Field<GlobalSettings>>& GlobalFields() {
  static const auto* const kFields = new std::vector<Field<GlobalSettings>>{
      {"max_concurrency", Int(&GlobalSettings::max_concurrency, 1)},
      {"state_dir", Text(&GlobalSettings::state_dir, CheckNotEmpty)},
      {"resolve", TextList(&GlobalSettings::resolve, CheckResolve, false)},
  };
  return *kFields;
}

template <typename T>
const Field<T>* FindField(const std::vector<Field<T>>& fields, std::string_view key) {
  for (const Field<T>& field : fields) {
    if (field.key == key) return &field;
  }
  return nullptr;
}

// ---------------------------------------------------------------------------------------------
// Tables

// The table where a key misplaced in another one belongs ("" if none): max_concurrency written
// in [defaults] is a common slip.
std::string_view HomeOf(std::string_view key) {
  if (FindField(GlobalFields(), key) != nullptr) return "[global]";
  if (FindField(SettingFields(), key) != nullptr) return "[defaults] or a [[source]]";
  if (FindField(SourceFields(), key) != nullptr) return "a [[source]]";
  return "";
}

// Reads one table's keys; `context` names the table in messages ("[defaults]", "source \"x\"").
class TableReader {
 public:
  TableReader(const toml::table& table, std::string context, int line, Errors* errors)
      : table_(table), context_(std::move(context)), line_(line), errors_(errors) {}

  // Reads every key that one of the tables knows, into that table's target.
  template <typename A, typename B = A>
  void Read(const std::vector<Field<A>>& fields_a, A* target_a,
            const std::vector<Field<B>>* fields_b = nullptr, B* target_b = nullptr) {
    for (auto&& [key, value] : table_) {
      const std::string_view name = key.str();
      const int line = LineOf(key.source(), LineOf(value, line_));
      if (const Field<A>* field = FindField(fields_a, name)) {
        Report(name, field->read(value, target_a), line);
      } else if (const Field<B>* other = fields_b ? FindField(*fields_b, name) : nullptr) {
        Report(name, other->read(value, target_b), line);
      } else {
        std::vector<std::string_view> known;
        for (const auto& f : fields_a) known.push_back(f.key);
        if (fields_b != nullptr) {
          for (const auto& f : *fields_b) known.push_back(f.key);
        }
        UnknownKey(name, line, known);
      }
    }
  }

  void Fail(int line, const std::string& message) { errors_->Add(line, context_ + ": " + message); }

 private:
  void Report(std::string_view key, const Problem& problem, int line) {
    if (problem.why.empty()) return;
    if (problem.at != nullptr) line = LineOf(*problem.at, line);
    Fail(line, std::string(key) + ": " + problem.why);
  }

  void UnknownKey(std::string_view key, int line, const std::vector<std::string_view>& known) {
    std::string message = "unknown key " + Quote(key);
    if (std::string_view home = HomeOf(key); !home.empty()) {
      message += " (it belongs in " + std::string(home) + ")";
    } else if (std::string_view near = NearestKey(key, known); !near.empty()) {
      message += " (did you mean " + Quote(near) + "?)";
    }
    Fail(line, message);
  }

  const toml::table& table_;
  std::string context_;
  int line_;
  Errors* errors_;
};

// The source's name for messages when it is a valid one, else its position in the file.
std::string SourceContext(const toml::table& table, size_t index) {
  if (const auto* name = table.get_as<std::string>("name")) {
    if (CheckName(name->get()).empty()) return "source " + Quote(name->get());
  }
  return "source #" + std::to_string(index + 1);
}

// The source's list adapter: its preset (cms), or the template adapter for a `list` table
// alone; the template is the preset's with the table's keys on top.
void ReadListAdapter(const toml::table& table, TableReader* reader, Source* source,
                     Errors* errors) {
  const ListPreset* preset = source->cms.empty() ? nullptr : FindListPreset(source->cms);
  const auto* list = table.get_as<toml::table>("list");
  if (preset != nullptr) source->list = preset->list;
  if (list != nullptr) {
    const int line = LineOf(*list, source->line);
    if (preset != nullptr && preset->list.url.empty()) {
      // hanweb and trs read their own shapes; only the template presets take a template.
      reader->Fail(line, "list: the preset " + Quote(source->cms) + " takes no list template");
    }
    const std::string context =
        (table.get_as<std::string>("name") ? "source " + Quote(source->name) : "source") + ": list";
    TableReader(*list, context, line, errors).Read(ListFields(), &source->list);
    const ListTemplate& t = source->list;
    if (t.url.empty()) reader->Fail(line, "list: missing required key \"url\"");
    if (!t.body.empty() && t.method != "POST") {
      reader->Fail(line, "list: body is sent only with method = \"POST\"");
    }
    if (!t.callback.empty() && t.answer != "jsonp") {
      reader->Fail(line, "list: callback needs answer = \"jsonp\"");
    }
    const bool json = t.answer == "json" || t.answer == "jsonp";
    if (!json && (!t.records.empty() || !t.html_field.empty() || !t.total_field.empty() ||
                  !t.pages_field.empty())) {
      reader->Fail(line,
                   "list: records, html_field, total_field and pages_field map a JSON "
                   "answer: set answer = \"json\" or \"jsonp\"");
    }
  }
  source->preset = preset != nullptr ? preset : list != nullptr ? &TemplateListPreset() : nullptr;
  if (const toml::node* params = table.get("cms_params")) {
    // Checked once both keys are read: the preset decides which parameters exist; a source's
    // own template takes any (its placeholders).
    const int line = LineOf(*params, source->line);
    if (source->preset == nullptr && !source->cms_params.empty()) {
      reader->Fail(line, "cms_params: needs cms (a list preset) or a list table");
    } else if (preset != nullptr) {
      for (const auto& [key, value] : source->cms_params) {
        const auto& known = preset->params;
        if (std::find(known.begin(), known.end(), key) == known.end()) {
          std::string names;
          for (std::string_view n : known) names += (names.empty() ? "" : ", ") + std::string(n);
          reader->Fail(line, "cms_params: " + Quote(key) + " is not a parameter of " +
                                 Quote(source->cms) + " (" + names + ")");
        }
      }
    }
  }
}

// Where each source name was first given: the file (as named by the include that read it)
// and the line, across the files a sources file includes.
using NameSites = std::map<std::string, std::pair<std::string, int>>;

void ReadSources(const toml::node& node, const SourceSettings& defaults, const std::string& path,
                 NameSites* sites, Errors* errors, std::vector<Source>* sources) {
  const int array_line = LineOf(node, 1);
  const auto* array = node.as_array();
  if (array != nullptr && array->empty()) {
    errors->Add(array_line, "source: at least one [[source]] is required");
    return;
  }
  if (array == nullptr || !array->is_array_of_tables()) {
    errors->Add(array_line, "source: " + Expected("an array of tables: write [[source]]", node));
    return;
  }
  for (size_t i = 0; i < array->size(); ++i) {
    const toml::table& table = *array->get(i)->as_table();
    Source source;
    source.settings = defaults;
    source.line = LineOf(table, array_line);
    TableReader reader(table, SourceContext(table, i), source.line, errors);
    reader.Read(SourceFields(), &source, &SettingFields(), &source.settings);
    if (!table.contains("name")) reader.Fail(source.line, "missing required key \"name\"");
    // Where the source's lists are: its entry pages, or a portal whose column is discovered.
    if (!table.contains("entry") && !table.contains("portal")) {
      reader.Fail(source.line, "missing required key \"entry\" (or \"portal\")");
    } else if (table.contains("entry") && table.contains("portal")) {
      reader.Fail(LineOf(*table.get("portal"), source.line),
                  "portal: give either entry or portal, not both");
    }
    ReadListAdapter(table, &reader, &source, errors);
    if (!source.name.empty()) {
      const auto [it, inserted] = sites->emplace(source.name, std::pair(path, source.line));
      if (!inserted) {
        const auto& [file, line] = it->second;
        reader.Fail(LineOf(*table.get("name"), source.line),
                    "name: " + Quote(source.name) + " is already the name of the source at " +
                        (file == path ? "line " : file + ":") + std::to_string(line));
      }
    }
    sources->push_back(std::move(source));
  }
}

// Reads [global] or [defaults]; refuses any other type than a table.
template <typename T>
void ReadSection(const toml::node& node, std::string_view name, const std::vector<Field<T>>& fields,
                 T* target, Errors* errors) {
  const std::string context = "[" + std::string(name) + "]";
  const auto* table = node.as_table();
  if (table == nullptr) {
    errors->Add(LineOf(node, 1),
                std::string(name) + ": " + Expected("a table: write " + context, node));
    return;
  }
  TableReader(*table, context, LineOf(node, 1), errors).Read(fields, target);
}

}  // namespace

std::vector<std::string_view> GlobalKeys() {
  std::vector<std::string_view> keys;
  for (const auto& f : GlobalFields()) keys.push_back(f.key);
  return keys;
}

std::vector<std::string_view> SettingKeys() {
  std::vector<std::string_view> keys;
  for (const auto& f : SettingFields()) keys.push_back(f.key);
  return keys;
}

bool ParseDuration(std::string_view text, Seconds* out) {
  struct Unit {
    std::string_view suffix;
    double seconds;
  };
  static constexpr Unit kUnits[] = {
      {"ms", 0.001}, {"s", 1}, {"m", 60}, {"h", 3600}, {"d", 86400},
  };
  // The number is digits with an optional fraction; from_chars alone would also take "-1",
  // "1e3", "inf" and ".5".
  const size_t number_end = text.find_first_not_of("0123456789.");
  const std::string_view number = text.substr(0, number_end);
  const std::string_view suffix =
      number_end == std::string_view::npos ? std::string_view() : text.substr(number_end);
  const size_t dot = number.find('.');
  if (number.empty() || number.front() == '.' || number.back() == '.' ||
      (dot != std::string_view::npos && number.find('.', dot + 1) != std::string_view::npos)) {
    return false;
  }
  const auto unit = std::find_if(std::begin(kUnits), std::end(kUnits),
                                 [&](const Unit& u) { return u.suffix == suffix; });
  if (unit == std::end(kUnits)) return false;
  double value = 0;
  const auto [end, error] = std::from_chars(number.data(), number.data() + number.size(), value);
  if (error != std::errc() || end != number.data() + number.size() || !std::isfinite(value)) {
    return false;
  }
  *out = Seconds(value * unit->seconds);
  return true;
}

bool ParseSize(std::string_view text, int64_t* out) {
  struct Unit {
    std::string_view suffix;
    int64_t bytes;
  };
  static constexpr Unit kUnits[] = {
      {"", 1},
      {"B", 1},
      {"KB", 1000},
      {"kB", 1000},
      {"MB", 1000 * 1000},
      {"GB", 1000 * 1000 * 1000},
      {"TB", int64_t{1000} * 1000 * 1000 * 1000},
      {"KiB", int64_t{1} << 10},
      {"MiB", int64_t{1} << 20},
      {"GiB", int64_t{1} << 30},
      {"TiB", int64_t{1} << 40},
  };
  const size_t number_end = text.find_first_not_of("0123456789");
  const std::string_view number = text.substr(0, number_end);
  const std::string_view suffix =
      number_end == std::string_view::npos ? std::string_view() : text.substr(number_end);
  if (number.empty()) return false;
  const auto unit = std::find_if(std::begin(kUnits), std::end(kUnits),
                                 [&](const Unit& u) { return u.suffix == suffix; });
  if (unit == std::end(kUnits)) return false;
  int64_t value = 0;
  const auto [end, error] = std::from_chars(number.data(), number.data() + number.size(), value);
  if (error != std::errc() || end != number.data() + number.size() ||
      value > std::numeric_limits<int64_t>::max() / unit->bytes) {
    return false;
  }
  *out = value * unit->bytes;
  return true;
}

namespace {

// Included files: a bound on how many one sources file may pull in (a glob over the wrong
// directory is a mistake, not a configuration).
constexpr size_t kMaxIncludedFiles = 1000;

// What one file of a sources file and its includes shares with the others while they are read.
struct IncludeWalk {
  SourcesConfig* config;
  NameSites names;
  std::vector<std::string> open;  // canonical paths of the files being read, outermost first
  size_t files = 0;
};

std::string DirectoryOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? "" : path.substr(0, slash + 1);
}

// The files one `include` pattern names, sorted; a pattern without wildcards must name a
// file that exists, a glob may match none (a directory of sources still empty).
void ExpandInclude(const std::string& pattern, const std::string& base_dir,
                   std::vector<std::string>* out, std::string* why) {
  const std::string full =
      !pattern.empty() && pattern.front() == '/' ? pattern : base_dir + pattern;
  glob_t matches{};
  const int rc = glob(full.c_str(), 0, nullptr, &matches);
  if (rc == 0) {
    for (size_t i = 0; i < matches.gl_pathc; ++i) out->emplace_back(matches.gl_pathv[i]);
  }
  globfree(&matches);
  const bool wildcard = pattern.find_first_of("*?[") != std::string::npos;
  if (rc == GLOB_NOMATCH) {
    if (!wildcard) *why = Quote(pattern) + ": no such file";
  } else if (rc != 0) {
    *why = Quote(pattern) + ": cannot read the directory";
  }
  std::sort(out->begin(), out->end());
}

Status ParseOne(std::string_view toml_text, const std::string& path, bool root, IncludeWalk* walk);

// Reads `include = ["jiangsu/*.toml", ...]` of the file at `path`: each file found, in order,
// adds its [[source]] tables (with the including file's [defaults]).
void ReadIncludes(const toml::node& node, const std::string& path, IncludeWalk* walk,
                  Errors* errors, Status* failed) {
  const int line = LineOf(node, 1);
  const auto* array = node.as_array();
  if (array == nullptr) {
    errors->Add(line, "include: " + Expected("an array of file names or globs", node));
    return;
  }
  for (const toml::node& element : *array) {
    const int at = LineOf(element, line);
    const auto* text = element.as_string();
    if (text == nullptr) {
      errors->Add(at, "include: " + Expected("an array of file names or globs", element));
      return;
    }
    const std::string& pattern = text->get();
    if (pattern.size() < 5 || pattern.compare(pattern.size() - 5, 5, ".toml") != 0) {
      errors->Add(at, "include: " + Quote(pattern) + " does not end in .toml");
      return;
    }
    std::vector<std::string> files;
    std::string why;
    ExpandInclude(pattern, DirectoryOf(path), &files, &why);
    if (!why.empty()) {
      errors->Add(at, "include: " + why);
      return;
    }
    for (const std::string& file : files) {
      if (++walk->files > kMaxIncludedFiles) {
        errors->Add(at, "include: more than " + std::to_string(kMaxIncludedFiles) + " files");
        return;
      }
      char resolved[PATH_MAX];
      const std::string canonical = realpath(file.c_str(), resolved) ? resolved : file;
      if (std::find(walk->open.begin(), walk->open.end(), canonical) != walk->open.end()) {
        errors->Add(at, "include: " + Quote(file) + " includes itself (through " + Quote(pattern) +
                            "): includes may not form a cycle");
        return;
      }
      auto text_of = ReadFileCapped(file, kMaxFileBytes, "16 MiB", "a sources file");
      if (!text_of.ok()) {
        errors->Add(at, "include: " + text_of.status().message());
        return;
      }
      walk->open.push_back(canonical);
      Status st = ParseOne(text_of.value(), file, false, walk);
      walk->open.pop_back();
      if (!st.ok()) {
        // The included file's own message (its name and line) stands; this file's errors are
        // left for the next run.
        *failed = std::move(st);
        return;
      }
    }
  }
}

Status ParseOne(std::string_view toml_text, const std::string& path, bool root, IncludeWalk* walk) {
  if (const int line = LineWithTooManyDots(toml_text); line > 0) {
    return Status::InvalidArgument(path + ":" + std::to_string(line) + ": more than " +
                                   std::to_string(kMaxDotsPerLine) +
                                   " '.' outside strings (keys nested that deep are not a "
                                   "sources file)");
  }
  toml::table table;
  try {
    table = toml::parse(toml_text, std::string_view(path));
  } catch (const toml::parse_error& error) {
    return Status::InvalidArgument(path + ":" + std::to_string(LineOf(error.source(), 1)) + ": " +
                                   std::string(error.description()));
  }

  SourcesConfig& config = *walk->config;
  Errors errors;
  // [defaults] must be read before any source copies it, wherever it is in the file.
  if (const toml::node* defaults = table.get("defaults"); defaults != nullptr && root) {
    ReadSection(*defaults, "defaults", SettingFields(), &config.defaults, &errors);
  }
  for (auto&& [key, value] : table) {
    const std::string_view name = key.str();
    const int line = LineOf(key.source(), LineOf(value, 1));
    if (!root && (name == "global" || name == "defaults")) {
      errors.Add(line, "[" + std::string(name) +
                           "] belongs in the main sources file, not in an included one");
    } else if (name == "global") {
      ReadSection(value, name, GlobalFields(), &config.global, &errors);
    } else if (name == "source") {
      ReadSources(value, config.defaults, path, &walk->names, &errors, &config.sources);
    } else if (name != "defaults" && name != "include") {
      errors.Add(line, "unknown top-level key " + Quote(name) +
                           " (expected include, [global], [defaults] or [[source]])");
    }
  }
  if (!errors.empty()) return errors.ToStatus(path);
  // Included files after the file's own sources, in the order the patterns are written.
  if (const toml::node* include = table.get("include")) {
    Status failed;
    ReadIncludes(*include, path, walk, &errors, &failed);
    if (!failed.ok()) return failed;
    if (!errors.empty()) return errors.ToStatus(path);
  }
  return Status::Ok();
}

}  // namespace

Result<SourcesConfig> ParseSources(std::string_view toml_text, const std::string& path) {
  SourcesConfig config;
  config.path = path;
  IncludeWalk walk{&config, {}, {}, 0};
  char resolved[PATH_MAX];
  walk.open.push_back(realpath(path.c_str(), resolved) ? resolved : path);
  if (Status st = ParseOne(toml_text, path, true, &walk); !st.ok()) return st;
  // Only when all else is right: an early mistake is a better hint than "no source".
  if (config.sources.empty()) {
    return Status::InvalidArgument(path + ":1: no [[source]]: at least one source is required");
  }
  return config;
}

Status KeepSources(const std::vector<std::string>& names, SourcesConfig* config) {
  for (const std::string& name : names) {
    const bool known = std::any_of(config->sources.begin(), config->sources.end(),
                                   [&](const Source& s) { return s.name == name; });
    if (!known) {
      return Status::InvalidArgument(config->path + ": no source named " + Quote(name));
    }
  }
  std::erase_if(config->sources, [&](const Source& s) {
    return std::find(names.begin(), names.end(), s.name) == names.end();
  });
  return Status::Ok();
}

Result<SourcesConfig> LoadSources(const std::string& path) {
  auto text = ReadFileCapped(path, kMaxFileBytes, "16 MiB", "a sources file");
  if (!text.ok()) return text.status();
  return ParseSources(text.value(), path);
}

}  // namespace nianbao::crawler
