#include "parser/document_reader.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <string>

#include "parser/charset.h"
#include "parser/doc_reader.h"
#include "parser/docx_reader.h"
#include "parser/html_reader.h"
#include "parser/ofd_reader.h"
#include "parser/pdf_reader.h"
#include "parser/text_reader.h"

namespace nianbao::parser {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool IsHtml(std::string_view content_type, std::string_view bytes) {
  std::string ct = Lower(content_type);
  if (ct.find("html") != std::string::npos) return true;
  if (ct.find("text/plain") != std::string::npos) return false;
  return LooksLikeHtml(bytes);
}

Document ReadHtmlWithin(std::string_view utf8, const ReaderLimits& limits) {
  return ReadHtml(utf8, HtmlReadOptions{.prepass = limits.html_prepass});
}

Document ReadTextWithin(std::string_view utf8, const ReaderLimits& /*limits*/) {
  return ReadText(utf8);
}

// The markup readers decode first: the charset comes from the bytes and the Content-Type.
template <Document (*Read)(std::string_view, const ReaderLimits&)>
Result<Document> Decoding(std::string_view bytes, std::string_view content_type,
                          const ReaderLimits& limits) {
  Decoded decoded = DecodeToUtf8(bytes, content_type);
  Document doc = Read(decoded.utf8, limits);
  doc.charset = decoded.charset;
  return doc;
}

// The binary readers take no Content-Type: it says nothing reliable about them.
template <Result<Document> (*Read)(std::string_view, const ReaderLimits&)>
Result<Document> Binary(std::string_view bytes, std::string_view /*content_type*/,
                        const ReaderLimits& limits) {
  return Read(bytes, limits);
}

constexpr std::array<FormatSpec, 8> kFormats = {{
    {DocumentFormat::kHtml, "HTML", "text/html", "", false, &Decoding<&ReadHtmlWithin>},
    {DocumentFormat::kText, "text", "text/plain", "", false, &Decoding<&ReadTextWithin>},
    {DocumentFormat::kDocx, "DOCX",
     "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "utf-8", true,
     &Binary<&ReadDocx>},
    {DocumentFormat::kDoc, "DOC", "application/msword", "utf-16le", true, &Binary<&ReadDoc>},
    {DocumentFormat::kPdf, "PDF", "application/pdf", "utf-8", true, &Binary<&ReadPdf>},
    {DocumentFormat::kOfd, "OFD", "application/ofd", "utf-8", true, &Binary<&ReadOfd>},
    // Containers of something else (a spreadsheet, a zipped folder, an .xls): nothing reads
    // them, and the finding says what they were.
    {DocumentFormat::kUnsupportedZip, "ZIP", "application/zip", "binary", true, nullptr},
    {DocumentFormat::kUnsupportedCfb, "OLE2", "application/x-ole-storage", "binary", true, nullptr},
}};

constexpr std::string_view kZipLocal("PK\x03\x04", 4);
constexpr std::string_view kZipCentral("PK\x01\x02", 4);
constexpr std::string_view kCfbMagic("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8);

uint16_t Le16(std::string_view b, size_t at) {
  return static_cast<uint16_t>(static_cast<unsigned char>(b[at]) |
                               (static_cast<unsigned char>(b[at + 1]) << 8));
}

// The names of a ZIP's entries as its local and central headers give them, read straight off
// the bytes so that a truncated archive (no central directory) still sniffs as what it is.
// Stops at the first name that decides.
DocumentFormat SniffZip(std::string_view bytes) {
  struct Marker {
    std::string_view signature;
    size_t name_length_at;
    size_t name_at;
  };
  static constexpr std::array<Marker, 2> kMarkers = {{{kZipLocal, 26, 30}, {kZipCentral, 28, 46}}};
  for (const Marker& m : kMarkers) {
    for (size_t at = bytes.find(m.signature); at != std::string_view::npos;
         at = bytes.find(m.signature, at + 4)) {
      if (at + m.name_at > bytes.size()) break;
      std::string_view name = bytes.substr(at + m.name_at, Le16(bytes, at + m.name_length_at));
      if (name == "word/document.xml") return DocumentFormat::kDocx;
      if (name == "OFD.xml") return DocumentFormat::kOfd;
    }
  }
  return DocumentFormat::kUnsupportedZip;
}

// A Word 97 document (and a WPS file) is a compound file with a stream named WordDocument. The
// directory's 128-byte entries start at sector boundaries, so the name is looked for only at
// multiples of 128; doc_reader.h reads the directory properly.
DocumentFormat SniffCfb(std::string_view bytes) {
  static constexpr std::string_view kName("W\0o\0r\0d\0D\0o\0c\0u\0m\0e\0n\0t\0\0\0", 26);
  for (size_t at = 512; at + kName.size() <= bytes.size(); at += 128) {
    if (bytes.compare(at, kName.size(), kName) == 0) return DocumentFormat::kDoc;
  }
  return DocumentFormat::kUnsupportedCfb;
}

}  // namespace

std::span<const FormatSpec> Formats() { return kFormats; }

const FormatSpec& SpecOf(DocumentFormat format) {
  for (const FormatSpec& spec : kFormats) {
    if (spec.format == format) return spec;
  }
  return kFormats[1];  // unreachable: every format is in the table (checked by a test)
}

DocumentFormat SniffFormat(std::string_view bytes, std::string_view content_type) {
  if (bytes.starts_with("%PDF-")) return DocumentFormat::kPdf;
  if (bytes.starts_with(kZipLocal)) return SniffZip(bytes);
  if (bytes.starts_with(kCfbMagic)) return SniffCfb(bytes);
  return IsHtml(content_type, bytes) ? DocumentFormat::kHtml : DocumentFormat::kText;
}

Result<Document> ReadDocument(std::string_view bytes, std::string_view content_type,
                              const ReaderLimits& limits) {
  return ReadDocumentAs(SniffFormat(bytes, content_type), bytes, content_type, limits);
}

Result<Document> ReadDocumentAs(DocumentFormat format, std::string_view bytes,
                                std::string_view content_type, const ReaderLimits& limits) {
  const FormatSpec& spec = SpecOf(format);
  if (spec.read == nullptr) {
    return Status::InvalidArgument("a " + std::string(spec.name) +
                                   " container that holds no document nianbao reads");
  }
  auto doc = spec.read(bytes, content_type, limits);
  if (!doc.ok()) return doc;
  doc.value().media_type = std::string(spec.media_type);
  if (spec.binary) doc.value().charset = std::string(spec.charset);
  return doc;
}

}  // namespace nianbao::parser
