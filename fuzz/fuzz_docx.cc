// Fuzz target: parser::ReadDocx. The first byte chooses what the rest is: even, the whole
// DOCX (the ZIP container: local headers, central directory, deflate streams, encryption
// flags); odd, the XML of word/document.xml, stored in a valid ZIP (libzip) so that the
// WordprocessingML walk, the depth check, gridSpan/vMerge and numbering are reached past the
// container's checksums. Limits are lowered so that the bounds themselves are exercised.
// Checks every paragraph and cell is valid UTF-8 and no row is wider than the reader's cap.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/fuzz_check.h"
#include "parser/document_reader.h"
#include "parser/docx_reader.h"
#include "tests/parser/docx_zip.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using nianbao::fuzz::Check;
  namespace parser = nianbao::parser;
  if (size == 0) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::string docx;
  if ((data[0] & 1) == 0) {
    docx.assign(rest);
  } else {
    docx = parser::testing::MakeZip({{"word/document.xml", std::string(rest)}});
  }
  parser::ReaderLimits limits;
  limits.max_inflated_bytes = 4u << 20;
  limits.max_text_bytes = 1u << 20;
  (void)parser::SniffFormat(docx, "");
  auto doc = parser::ReadDocx(docx, limits);
  if (!doc.ok()) {
    Check(!doc.status().message().empty(), "ReadDocx: an error without a message");
    return 0;
  }
  nianbao::fuzz::CheckBlocksAreUtf8(doc.value(), "ReadDocx: paragraph is not valid UTF-8",
                                    "ReadDocx: cell is not valid UTF-8");
  for (const auto& block : doc.value().blocks) {
    for (const auto& row : block.table.rows) Check(row.size() <= 256, "ReadDocx: row too wide");
  }
  return 0;
}
