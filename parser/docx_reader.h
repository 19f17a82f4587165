// DOCX reader: an Office Open XML word-processing document (Word, WPS, LibreOffice) into the
// Document model.
//
// Reads word/document.xml (and word/numbering.xml for list labels) out of the ZIP in memory
// (zip_archive.h). Paragraphs become paragraph blocks, with the label of a numbered paragraph
// ("一、", "（一）", "1.") rendered in front when its numbering format is one of those the
// reader knows (decimal, Chinese counting, letters, roman; others give no label); a paragraph
// is numbered by its own w:numPr or by its paragraph style's (word/styles.xml). Tables
// become grid tables: a cell spanning columns (w:gridSpan) and a cell merged down (w:vMerge)
// are expanded into copies marked span_copy, as the HTML reader does with colspan/rowspan;
// line breaks and paragraphs inside a cell become '\n'; a table nested in a cell is flattened
// into that cell's text. Headers, footers, footnotes, comments, text boxes and deleted
// revisions are not read.
//
// Bounds (ReaderLimits): the ZIP's entries and inflated bytes; elements nested deeper than
// max_xml_depth, and any DTD (WordprocessingML has none; one is how entity expansion would be
// smuggled in), are refused; text past max_text_bytes is refused.
//
// Pure. Threading: safe to call concurrently.
#pragma once

#include <string_view>

#include "base/status.h"
#include "parser/document.h"
#include "parser/reader_limits.h"

namespace nianbao::parser {

Result<Document> ReadDocx(std::string_view bytes, const ReaderLimits& limits);

}  // namespace nianbao::parser
