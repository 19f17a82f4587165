// Fuzz target: the whole parser, parser::Parse, then ToJson(...).dump() as the sinks do.
// The first byte of the input picks the Content-Type (HTML, text, none, with or without a
// charset) and whether the page has a URL; the rest is the page. Nothing may throw: a
// nlohmann::json exception from dump() (invalid UTF-8 in a string) would take down a
// parse worker of the daemon.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "fuzz/fuzz_check.h"
#include "fuzz/parse_input.h"
#include "parser/parser.h"
#include "parser/record_json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using nianbao::fuzz::Check;
  using nianbao::fuzz::Fail;
  using nianbao::fuzz::IsValidUtf8;
  namespace parser = nianbao::parser;

  if (size == 0) return 0;
  const parser::ParseInput input = nianbao::fuzz::ParseInputFrom(data, size);

  try {
    auto result = parser::Parse(input);
    Check(result.ok(), "Parse failed below max_bytes");
    const parser::ParseOutput& out = result.value();
    Check(!out.findings.empty() || out.is_report, "Parse: not a report but no finding");
    const std::string json = parser::ToJson(out).dump();
    Check(IsValidUtf8(json), "ToJson: dump() is not valid UTF-8");
    (void)nlohmann::ordered_json::parse(json);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "exception: %s\n", e.what());
    Fail("Parse / ToJson / dump threw");
  }
  return 0;
}
