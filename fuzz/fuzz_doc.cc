// Fuzz target: parser::ReadDoc on arbitrary bytes (a Word 97 / WPS compound file: header,
// DIFAT, FAT, directory, mini stream, FIB, piece table, paragraph property pages). Checks an
// error has a message and a read document's paragraphs and cells are valid UTF-8.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz/fuzz_check.h"
#include "parser/doc_reader.h"
#include "parser/document_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using nianbao::fuzz::Check;
  namespace parser = nianbao::parser;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  parser::ReaderLimits limits;
  limits.max_text_bytes = 1u << 20;
  (void)parser::SniffFormat(bytes, "");
  auto doc = parser::ReadDoc(bytes, limits);
  if (!doc.ok()) {
    Check(!doc.status().message().empty(), "ReadDoc: an error without a message");
    return 0;
  }
  nianbao::fuzz::CheckBlocksAreUtf8(doc.value(), "ReadDoc: paragraph is not valid UTF-8",
                                    "ReadDoc: cell is not valid UTF-8");
  return 0;
}
