// Fuzz target: the HTML pre-pass (parser/html_prepass.h) changes nothing that is read.
// Arbitrary bytes, made valid UTF-8 as ReadHtml REQUIRES, are read with and without the
// pre-pass; the two Documents must be equal, block for block and cell for cell. A difference
// aborts with the first block that differs. The pre-pass alone must not crash and must not
// lengthen the page.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/fuzz_check.h"
#include "parser/charset.h"
#include "parser/html_reader.h"

namespace {

namespace parser = nianbao::parser;

bool SameBlocks(const parser::Document& a, const parser::Document& b) {
  if (a.page_title != b.page_title || a.page_date != b.page_date) return false;
  if (a.blocks.size() != b.blocks.size()) return false;
  for (size_t i = 0; i < a.blocks.size(); ++i) {
    const parser::Block& x = a.blocks[i];
    const parser::Block& y = b.blocks[i];
    if (x.kind != y.kind || x.text != y.text || x.table.rows.size() != y.table.rows.size()) {
      return false;
    }
    for (size_t r = 0; r < x.table.rows.size(); ++r) {
      const parser::Row& rx = x.table.rows[r];
      const parser::Row& ry = y.table.rows[r];
      if (rx.size() != ry.size()) return false;
      for (size_t c = 0; c < rx.size(); ++c) {
        if (rx[c].text != ry[c].text || rx[c].span_copy != ry[c].span_copy) return false;
      }
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using nianbao::fuzz::Check;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const std::string utf8 = parser::SanitizeUtf8(bytes);

  std::string out;
  parser::PrepassHtml(bytes, parser::HtmlReaderPrepassRules(), &out);
  Check(out.size() <= bytes.size(), "PrepassHtml: the output is longer than the input");

  const parser::Document with = parser::ReadHtml(utf8, parser::HtmlReadOptions{.prepass = true});
  const parser::Document without =
      parser::ReadHtml(utf8, parser::HtmlReadOptions{.prepass = false});
  Check(SameBlocks(with, without), "ReadHtml: the pre-pass changed the Document");
  return 0;
}
