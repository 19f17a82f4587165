// Fuzz target: parser::ReadOfd on arbitrary bytes (seeded with tests/fixtures/documents/*.ofd).
// Checks that it either fails with a Status naming the format or yields an OFD document whose
// text is valid UTF-8, within limits small enough that a bomb is stopped fast.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz/fuzz_check.h"
#include "parser/ofd_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using nianbao::fuzz::Check;
  namespace parser = nianbao::parser;

  parser::ReaderLimits limits;
  limits.max_inflated_bytes = 4u << 20;
  limits.max_zip_entries = 200;
  limits.max_pages = 20;
  limits.max_text_bytes = 1u << 20;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto doc = parser::ReadOfd(bytes, limits);
  if (!doc.ok()) {
    Check(doc.status().message().rfind("OFD", 0) == 0, "ReadOfd: error does not name OFD");
    return 0;
  }
  Check(doc.value().media_type == "application/ofd", "ReadOfd: wrong media type");
  nianbao::fuzz::CheckBlocksAreUtf8(doc.value(), "ReadOfd: paragraph is not valid UTF-8",
                                    "ReadOfd: cell is not valid UTF-8");
  return 0;
}
