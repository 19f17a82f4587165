// Bounds on what a document reader may spend on one input.
//
// The readers of binary documents (DOCX, DOC/WPS, PDF, OFD) unpack, inflate and lay out what a
// portal serves; a hostile or broken file (a ZIP bomb, 100,000 nested XML elements, a PDF of
// 2,000 pages) must end in a clear error or a partial read within these bounds, never in
// unbounded time or memory. Every reader takes them; ParseOptions carries them.
//
// Ownership: a plain value. Threading: none.
#pragma once

#include <cstddef>

namespace nianbao::parser {

struct ReaderLimits {
  // Bytes inflated out of a ZIP container (DOCX, OFD) in total: a report's XML is well under
  // 10 MiB; a bomb stops here.
  std::size_t max_inflated_bytes = 64u << 20;
  // Entries of a ZIP container read at most (a DOCX has ~20, an OFD a few per page).
  std::size_t max_zip_entries = 10000;
  // Pages read from a PDF or OFD; a report has 5-30. Beyond, the first pages are read and the
  // document says it was cut.
  std::size_t max_pages = 300;
  // Nesting depth of XML elements accepted (DOCX, OFD); deeper input is refused.
  std::size_t max_xml_depth = 256;
  // UTF-8 text produced from one document at most.
  std::size_t max_text_bytes = 16u << 20;
  // Whether the HTML reader rewrites a page with its pre-pass before parsing it (default:
  // true; html_prepass.h). Not a bound: the Document is the same either way, and false is
  // only for the tests and benchmarks that compare the two.
  bool html_prepass = true;
};

}  // namespace nianbao::parser
