// DOC reader: a Word 97-2003 binary document (and a WPS file, which is the same container and
// format) into the Document model.
//
// Written here rather than taken from libwv: libwv opens its input through libgsf and reports
// text through callbacks made for its HTML converter, keeps global state, and has not been
// released since 2012; a report needs only the main text and its tables, which the format
// gives directly. The reader is bounded by the input: every offset is checked against the
// bytes, every sector chain is followed at most once per sector (a loop in the FAT is an
// error), and text past max_text_bytes is refused.
//
//   bytes ─► compound file (header, DIFAT, FAT, mini FAT, directory) ─► WordDocument stream
//         ─► FIB (which table stream, ccpText, fcClx, fcPlcfBtePapx, encrypted?)
//         ─► piece table (CLX in 0Table/1Table): characters of the main text, 16-bit or
//            8-bit "compressed" (CP1252, [MS-DOC] 2.4.1) pieces
//         ─► paragraph properties (PAPX in FKPs): in a table? end of a row (fTtp)?
//         ─► paragraphs, and tables from cell marks (0x07): a mark in a paragraph with fTtp
//            ends a row; fields keep their result, drop their code; a numbered paragraph
//            (sprmPIlfo/sprmPIlvl) gets the label of its list (PlfLst, LVL, PlfLfo), rendered
//            as the DOCX reader does (list_labels.h).
//
// Encrypted or obfuscated documents, Word 6/95 files and anything that does not hold
// together are a Status naming what stopped the reader.
//
// Pure. Threading: safe to call concurrently.
#pragma once

#include <string_view>

#include "base/status.h"
#include "parser/document.h"
#include "parser/reader_limits.h"

namespace nianbao::parser {

Result<Document> ReadDoc(std::string_view bytes, const ReaderLimits& limits);

}  // namespace nianbao::parser
