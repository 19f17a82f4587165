// PDF reader: a PDF held in memory into the Document model, through poppler-cpp's words with
// their boxes and the position-based rebuild of layout.h (rows by baseline, columns from the
// figures and the header, cells written as many runs joined).
//
// Bounds (ReaderLimits): the first max_pages pages are read, and reading stops once
// max_text_bytes of text were taken. An encrypted PDF, a truncated or damaged file, or bytes
// that are not a PDF at all are an error Status whose message starts with "PDF" and says why.
// A PDF whose pages carry no table text (a scan, tables pasted as images) is read with
// Document::image_only set; no OCR is attempted.
//
// Poppler's messages (it writes them to stderr by default) are collected per call and never
// reach stderr. Threading: safe to call from any thread, but calls are serialised by one
// process-wide mutex: poppler-cpp keeps process state (the count of open documents that
// creates and frees its global parameters, and the message callback) that is not guarded
// against concurrent documents. A report reads in a few milliseconds.
#pragma once

#include <string_view>

#include "base/status.h"
#include "parser/document.h"
#include "parser/reader_limits.h"

namespace nianbao::parser {

Result<Document> ReadPdf(std::string_view bytes, const ReaderLimits& limits);

}  // namespace nianbao::parser
