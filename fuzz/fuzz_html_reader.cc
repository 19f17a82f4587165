// Fuzz target: parser::ReadHtml on arbitrary bytes, made valid UTF-8 first as ReadHtml
// REQUIRES (the parse facade always decodes before reading). Exercises the TagScanner
// rewrite, Gumbo and the iterative tree walk; checks that every string of the Document is
// valid UTF-8 and that table grids have no empty rows.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/fuzz_check.h"
#include "parser/charset.h"
#include "parser/html_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using nianbao::fuzz::Check;
  using nianbao::fuzz::IsValidUtf8;
  namespace parser = nianbao::parser;

  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const std::string utf8 = parser::SanitizeUtf8(bytes);
  (void)parser::LooksLikeHtml(bytes);
  const parser::Document doc = parser::ReadHtml(utf8);

  Check(IsValidUtf8(doc.page_title), "ReadHtml: page_title is not valid UTF-8");
  Check(IsValidUtf8(doc.page_date), "ReadHtml: page_date is not valid UTF-8");
  Check(doc.page_date.empty() || doc.page_date.size() == 10, "ReadHtml: page_date not YYYY-MM-DD");
  nianbao::fuzz::CheckBlocksAreUtf8(doc, "ReadHtml: paragraph is not valid UTF-8",
                                    "ReadHtml: cell is not valid UTF-8");
  return 0;
}
