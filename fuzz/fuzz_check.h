// Invariant checks shared by the fuzz targets. A failed check prints what broke and aborts,
// which libFuzzer reports as a crash and saves the input as an artefact.
#pragma once

#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace nianbao::fuzz {

[[noreturn]] inline void Fail(const char* what) {
  std::fprintf(stderr, "fuzz invariant violated: %s\n", what);
  std::abort();
}

inline void Check(bool ok, const char* what) {
  if (!ok) Fail(what);
}

// Strict UTF-8 (Unicode table 3-7: no overlongs, no surrogates, nothing above U+10FFFF),
// written independently of parser/charset.cc so that it can judge that code.
inline bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    size_t len = 0;
    unsigned char lo = 0x80;
    unsigned char hi = 0xBF;
    if (b0 < 0x80) {
      ++i;
      continue;
    } else if (b0 >= 0xC2 && b0 <= 0xDF) {
      len = 2;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
      len = 3;
      if (b0 == 0xE0) lo = 0xA0;
      if (b0 == 0xED) hi = 0x9F;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
      len = 4;
      if (b0 == 0xF0) lo = 0x90;
      if (b0 == 0xF4) hi = 0x8F;
    } else {
      return false;
    }
    if (i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k) {
      const auto b = static_cast<unsigned char>(s[i + k]);
      if (b < (k == 1 ? lo : 0x80) || b > (k == 1 ? hi : 0xBF)) return false;
    }
    i += len;
  }
  return true;
}

// Every paragraph and table cell of a reader's Document (parser/document.h) is valid UTF-8
// (the messages say which reader failed). A template so that the targets that do not read
// documents need not include the parser.
template <typename Document>
void CheckBlocksAreUtf8(const Document& doc, const char* paragraph_message,
                        const char* cell_message) {
  for (const auto& block : doc.blocks) {
    if (block.kind == decltype(block.kind)::kParagraph) {
      Check(IsValidUtf8(block.text), paragraph_message);
      continue;
    }
    for (const auto& row : block.table.rows) {
      for (const auto& cell : row) Check(IsValidUtf8(cell.text), cell_message);
    }
  }
}

}  // namespace nianbao::fuzz
