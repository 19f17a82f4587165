// Layout rebuild for fixed-layout documents (PDF, OFD): positioned text runs in, the Document
// model of paragraphs and grid tables out, so that the report parser reads a PDF as it reads
// a web page.
//
//   runs (page, box, text, font size) [+ ruled line segments]
//     ──► drop page furniture (page numbers "- 3 -", lines repeated at the top or bottom of
//         most pages)
//     ──► lines by baseline (tolerance from the font size), pages chained into one flow
//     ──► cells: the runs of a line split at wide gaps (WPS and Word's "save as PDF" write a
//         cell as several runs, sometimes one per glyph: narrow gaps are joined)
//     ──► tables: lines that carry figures in ≥2 cells are a table's rows; its columns are the
//         x ranges of the figures (and of the header above them); label text on the lines in
//         between belongs to the nearest row (不予\n公开 stays one cell with '\n'); a table
//         continued on the next page goes on in the same table
//     ──► paragraphs from what is left: a new one at a wider gap, an indented first line, or
//         after a short line
//
// Coordinates are in points, y growing downward from the top of the page (PDF readers flip
// the PDF's own y before calling). Ruled lines are optional (poppler-cpp does not expose a
// PDF's paths; OFD gives them): when given, a horizontal rule parts label text from a row it
// does not belong to, and a line crossed by a vertical rule is inside a table (the first
// row's label begun above its figures is that row's, not a header or prose).
//
// Pure: no I/O. Threading: safe from any thread; each call is independent.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "parser/document.h"

namespace nianbao::parser {

struct TextRun {
  int page = 0;  // 0-based
  double x0 = 0, y0 = 0, x1 = 0, y1 = 0;
  std::string text;          // UTF-8
  double font_size = 0;      // points; 0 when unknown (the box's height stands in)
  bool space_after = false;  // the producer put a space after the run
};

// A ruled line (a table border) on a page: horizontal when y0 == y1, vertical when x0 == x1.
struct RuleSegment {
  int page = 0;
  double x0 = 0, y0 = 0, x1 = 0, y1 = 0;
};

struct PageSize {
  double width = 0;
  double height = 0;
};

struct LayoutInput {
  std::vector<PageSize> pages;
  std::vector<TextRun> runs;
  std::vector<RuleSegment> rules;  // may be empty
};

// Blocks in reading order. Runs with an empty text or a page outside `pages` are ignored.
std::vector<Block> BuildBlocks(const LayoutInput& input);

// True when the text is page furniture wherever it stands: a page number such as "- 3 -",
// "第3页", "第 3 页 共 12 页", "3/12".
bool IsPageNumber(const std::string& text);

}  // namespace nianbao::parser
