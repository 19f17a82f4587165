// Reports delivered as one long line: crawlers and portals' "text versions" often save a
// report's whole text on one line, with the section headings inline ("… 一、总体情况 2022年，…")
// and the tables' cells run together ("一、本年新收政府信息公开申请数量713000074").
//
// SplitRunOn() turns such a paragraph back into the Document the report parser expects: a
// paragraph per section heading and per run of prose, and, inside sections 二 to 四, table rows
// whose label is the row label of the form that ends the text before each run of digits and
// whose values are that run, split at its spaces. Values are marked Cell::run_on: the report
// parser reads them only when they are exactly as many as the form's columns and otherwise says
// that they ran together (structure.cells_merged). Nothing here guesses where a run of digits
// divides. A signature written inline at the end ("… 某某局 2020年1月7日 附件下载") is cut into
// lines of its own, so that its date is the report's (record-v1: the date under the signature
// before the page's 发布时间).
//
// Pure. Threading: safe from any thread.
#pragma once

#include "parser/document.h"

namespace nianbao::parser {

// The document with every paragraph that holds two or more inline section headings split as
// above; other blocks are copied unchanged. A document without such a paragraph is returned as
// it came.
Document SplitRunOn(const Document& doc);

}  // namespace nianbao::parser
