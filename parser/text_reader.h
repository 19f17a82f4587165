// Plain-text reader: reports saved as text, as in tests/fixtures/seeds, into the Document model.
//
// Table layouts understood, all of which occur in the seeds or in portals' text versions:
//   * one cell per line, each line starting with a tab, a blank line between rows; a line
//     without a tab directly under a cell continues that cell (不予\n以公\n开);
//   * one row per line, cells separated by tabs;
//   * markdown-style rows `| a | b |` and rules `|---|---|` / `---\t---` (rules are dropped);
// Everything else is a paragraph; markdown list markers ("- ") and bold marks (**) are
// stripped from paragraphs.
//
// Pure. Threading: safe to call from any thread. REQUIRES: utf8 is valid UTF-8.
#pragma once

#include <string_view>

#include "parser/document.h"

namespace nianbao::parser {

Document ReadText(std::string_view utf8);

}  // namespace nianbao::parser
