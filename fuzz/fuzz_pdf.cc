// Fuzz target: parser::ReadPdf on arbitrary bytes (seeded with tests/fixtures/documents/*.pdf).
// Checks that it either fails with a Status naming the format or yields a PDF document whose
// text is valid UTF-8, within small limits so that a run stays fast. Poppler itself is not
// instrumented (the Debian library): what is fuzzed is our use of it and the layout after it;
// ASan still sees poppler's heap through its malloc.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz/fuzz_check.h"
#include "parser/pdf_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using nianbao::fuzz::Check;
  namespace parser = nianbao::parser;

  parser::ReaderLimits limits;
  limits.max_pages = 20;
  limits.max_text_bytes = 1u << 20;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto doc = parser::ReadPdf(bytes, limits);
  if (!doc.ok()) {
    Check(doc.status().message().rfind("PDF", 0) == 0, "ReadPdf: error does not name PDF");
    return 0;
  }
  Check(doc.value().media_type == "application/pdf", "ReadPdf: wrong media type");
  nianbao::fuzz::CheckBlocksAreUtf8(doc.value(), "ReadPdf: paragraph is not valid UTF-8",
                                    "ReadPdf: cell is not valid UTF-8");
  return 0;
}
