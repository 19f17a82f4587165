// The input of the targets that fuzz parser::Parse (fuzz_parse, fuzz_parse_schema): the first
// byte picks the Content-Type (kContentTypes, modulo their number) and whether the page has
// a URL (odd quotient); the rest is the page. scripts/fuzz.sh writes its seeds in this form.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "parser/parser.h"

namespace nianbao::fuzz {

inline constexpr std::array<std::string_view, 8> kContentTypes = {
    "text/html; charset=utf-8",
    "text/html",
    "text/plain; charset=utf-8",
    "text/plain",
    "",
    "text/html; charset=gbk",
    "text/plain; charset=gb18030",
    "application/octet-stream",
};

// REQUIRES: size > 0. The returned input points into data.
inline parser::ParseInput ParseInputFrom(const uint8_t* data, size_t size) {
  parser::ParseInput input;
  input.content_type = std::string(kContentTypes[data[0] % kContentTypes.size()]);
  if ((data[0] / kContentTypes.size()) % 2 == 1) {
    input.url = "HTTP://www.Example.gov.cn:80/zwgk/ndbg/202101/t20210119_1.html#top";
    input.fetched_at = "2021-01-19T08:00:00Z";
  }
  input.bytes = std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1);
  return input;
}

}  // namespace nianbao::fuzz
