// The one entry point from a page's or a file's bytes to a Document, whatever its format.
//
// The format is sniffed from the bytes (magic numbers, then a look inside the container),
// never from a URL's extension and never from a server's Content-Type for binaries: portals
// serve .doc files as application/octet-stream, DOCX files named .doc and WPS files that are
// Word 97 inside. The Content-Type only tells HTML from plain text, as it always did.
//
//   %PDF-                      PDF
//   PK\3\4 + word/document.xml DOCX      PK\3\4 + OFD.xml  OFD      other ZIP   unsupported
//   D0 CF 11 E0 A1 B1 1A E1    + a WordDocument stream: DOC (also WPS)   else  unsupported
//   anything else              HTML when it looks like HTML (or says so), else text
//
// The formats are one table (Formats()): media type, name, whether the format is binary and
// the reader that reads it. A binary reader fails with a Status naming what stopped it
// (encrypted, corrupt, truncated, over a ReaderLimits bound); parser.h turns that into the
// finding meta.unreadable_document.
//
// Pure: no I/O, no logging. Threading: safe to call concurrently; the table is immutable.
#pragma once

#include <span>
#include <string_view>

#include "base/status.h"
#include "parser/document.h"
#include "parser/reader_limits.h"

namespace nianbao::parser {

enum class DocumentFormat {
  kHtml,
  kText,
  kDocx,
  kDoc,
  kPdf,
  kOfd,
  kUnsupportedZip,
  kUnsupportedCfb
};

using ReaderFn = Result<Document> (*)(std::string_view bytes, std::string_view content_type,
                                      const ReaderLimits& limits);

struct FormatSpec {
  DocumentFormat format;
  std::string_view name;        // "DOCX", as findings and messages name it
  std::string_view media_type;  // becomes source.media_type
  // The encoding of the text inside a binary format (source.charset); HTML and text say the
  // charset they were decoded from instead.
  std::string_view charset;
  // Binary formats are held to ParseOptions::max_document_bytes, the others to max_bytes.
  bool binary;
  ReaderFn read;  // nullptr: nothing reads this format (the document is unreadable)
};

std::span<const FormatSpec> Formats();
const FormatSpec& SpecOf(DocumentFormat format);

DocumentFormat SniffFormat(std::string_view bytes, std::string_view content_type);

// Reads the document in whichever format the bytes are. Document::media_type and ::charset
// are set. Fails (InvalidArgument, TooLarge, Corruption) only for a binary format that cannot
// be read; the message says why, without the format's name (the caller has it from
// SniffFormat). HTML and text never fail.
Result<Document> ReadDocument(std::string_view bytes, std::string_view content_type,
                              const ReaderLimits& limits);
// The same, for a caller that has sniffed the format already (parser.h: the format decides
// the size limit before anything is read).
Result<Document> ReadDocumentAs(DocumentFormat format, std::string_view bytes,
                                std::string_view content_type, const ReaderLimits& limits);

}  // namespace nianbao::parser
