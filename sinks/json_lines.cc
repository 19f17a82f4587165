#include "sinks/json_lines.h"

#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>

namespace nianbao::sinks {

namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t'; }

// The value with the blanks around it removed, when it can go into the line as it is: one line
// (no CR or LF, which would split the line) of valid JSON. Checked by nlohmann's accept(), a
// pass that builds no document and writes nothing; the values nianbao publishes (compact JSON
// from nlohmann) always pass.
std::optional<std::string_view> AsIs(std::string_view v) {
  while (!v.empty() && IsSpace(v.front())) v.remove_prefix(1);
  while (!v.empty() && IsSpace(v.back())) v.remove_suffix(1);
  if (v.empty() || v.find_first_of("\r\n") != std::string_view::npos) return std::nullopt;
  if (!nlohmann::json::accept(v)) return std::nullopt;
  return v;
}

}  // namespace

std::string FormatJsonLine(const Message& message) {
  // ordered_json keeps topic, key, headers, value in the documented order for human readers.
  nlohmann::ordered_json line;
  line["topic"] = message.topic;
  line["key"] = message.key;
  nlohmann::ordered_json headers = nlohmann::ordered_json::object();
  for (const Header& h : message.headers) headers[h.key] = h.value;
  line["headers"] = std::move(headers);
  constexpr auto kReplace = nlohmann::ordered_json::error_handler_t::replace;
  if (std::optional<std::string_view> value = AsIs(message.value)) {
    // The envelope is small; the value (a whole record) is copied in as it is, not parsed into
    // a document and dumped again. Same bytes as before for compact JSON.
    std::string out = line.dump(-1, ' ', /*ensure_ascii=*/false, kReplace);
    out.pop_back();  // the envelope's closing brace
    out.reserve(out.size() + value->size() + 12);
    out += ",\"value\":";
    out += *value;
    out += "}\n";
    return out;
  }
  // allow_exceptions=false: a value that is not JSON yields `discarded` instead of throwing.
  nlohmann::ordered_json value =
      nlohmann::ordered_json::parse(message.value, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) {
    line["value"] = message.value;
  } else {
    line["value"] = std::move(value);
  }
  // error_handler_t::replace: dump() would otherwise throw on invalid UTF-8 in a key or value.
  std::string out = line.dump(-1, ' ', /*ensure_ascii=*/false, kReplace);
  out.push_back('\n');
  return out;
}

std::string FormatJsonLines(const Batch& batch) {
  std::string out;
  for (const Message& m : batch.messages) out += FormatJsonLine(m);
  return out;
}

}  // namespace nianbao::sinks
