// Fuzz target: parser::ReadText on arbitrary bytes, made valid UTF-8 first as ReadText
// REQUIRES. Checks that every paragraph and cell it produces is still valid UTF-8 (the
// reader strips markers such as "- ", "**" and "|" byte-wise).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/fuzz_check.h"
#include "parser/charset.h"
#include "parser/text_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using nianbao::fuzz::Check;
  using nianbao::fuzz::IsValidUtf8;
  namespace parser = nianbao::parser;

  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const std::string utf8 = parser::SanitizeUtf8(bytes);
  const parser::Document doc = parser::ReadText(utf8);

  nianbao::fuzz::CheckBlocksAreUtf8(doc, "ReadText: paragraph is not valid UTF-8",
                                    "ReadText: cell is not valid UTF-8");
  return 0;
}
