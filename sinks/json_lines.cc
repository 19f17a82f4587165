#include "sinks/json_lines.h"

#include <nlohmann/json.hpp>

namespace nianbao::sinks {

std::string FormatJsonLine(const Message& message) {
  // ordered_json keeps topic, key, headers, value in the documented order for human readers.
  nlohmann::ordered_json line;
  line["topic"] = message.topic;
  line["key"] = message.key;
  nlohmann::ordered_json headers = nlohmann::ordered_json::object();
  for (const Header& h : message.headers) headers[h.key] = h.value;
  line["headers"] = std::move(headers);
  // allow_exceptions=false: a value that is not JSON yields `discarded` instead of throwing.
  nlohmann::ordered_json value =
      nlohmann::ordered_json::parse(message.value, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) {
    line["value"] = message.value;
  } else {
    line["value"] = std::move(value);
  }
  // error_handler_t::replace: dump() would otherwise throw on invalid UTF-8 in a key or value.
  std::string out =
      line.dump(-1, ' ', /*ensure_ascii=*/false, nlohmann::ordered_json::error_handler_t::replace);
  out.push_back('\n');
  return out;
}

std::string FormatJsonLines(const Batch& batch) {
  std::string out;
  for (const Message& m : batch.messages) out += FormatJsonLine(m);
  return out;
}

}  // namespace nianbao::sinks
