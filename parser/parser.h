// The shared report parser: bytes in, record and findings out.
//
//   bytes ──► document_reader: format sniffed from the bytes
//         ├─ HTML, text ──► charset (BOM / Content-Type / <meta> / uchardet) ──► UTF-8
//         │                ──► html_reader (Gumbo) or text_reader
//         └─ DOCX, DOC/WPS, PDF, OFD ──► their reader, within ReaderLimits
//         ──► Document (paragraphs + grid tables)
//         ──► report_parser (labels.h tables) ──► Record + structural findings
//         ──► rules (rules.h table) + narrative ──► findings
//
// Pure: no I/O, no logging, no globals; every call is independent. Used by `nianbao parse`,
// by ingest/ for crawled pages, and by the tests. Threading: safe to call concurrently.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "parser/reader_limits.h"
#include "parser/record.h"

namespace nianbao::parser {

struct ParseInput {
  std::string_view bytes;    // the raw page or file, any encoding
  std::string content_type;  // HTTP Content-Type, or "" (then the content decides)
  std::string url;           // canonical URL of the page, or "" for a local file
  std::string fetched_at;    // RFC 3339, or "" for a local file
  // Lower-case hex SHA-256 of `bytes` when the caller has it already (the crawler hashes each
  // body once on its way); "" and Parse() computes it. REQUIRES: when set, it is the hash of
  // `bytes` (it becomes source.sha256 and, without a URL, the report_id).
  std::string sha256;
};

struct ParseOptions {
  // Documents larger than this are refused with Status::TooLarge (default: 16 MiB). A report
  // is ~10 KB inside 100-350 KB of portal chrome, so anything near the limit is not a report.
  std::size_t max_bytes = 16u << 20;
  // The same for binary documents (DOCX, DOC/WPS, PDF, OFD; default: 32 MiB): a report
  // published as a document carries fonts and pictures, and is often several MiB.
  std::size_t max_document_bytes = 32u << 20;
  // What a reader of a binary document may spend on one input (reader_limits.h).
  ReaderLimits limits;
  // Rule ids whose findings are left out (default: none). For tests only: it stands for a
  // change of the rules (`nianbao reparse --test-disable-rule`), so that re-parsing an archive
  // with "another parser" can be tested without a second build. Unknown ids are ignored.
  std::vector<std::string> disabled_rules;
};

struct ParseOutput {
  Record record;
  std::vector<Finding> findings;
  bool is_report = false;  // false when meta.not_a_report fired
  // The prose of section 一 as read, one paragraph per line (the record keeps only the facts
  // read from it). Not published: the rules across years (history.h) compare it.
  std::string overview_text;
};

// Fails only when the input cannot be examined at all (over max_bytes, or max_document_bytes
// for a binary document). Empty, binary or unrelated input is a ParseOutput with is_report ==
// false and a meta.not_a_report finding. A document in a binary format that its reader cannot
// read (encrypted, truncated, corrupt, over a ReaderLimits bound, a ZIP or OLE2 container of
// something else) is a ParseOutput with is_report == false, an empty record whose
// source.media_type names the format, and exactly one finding, meta.unreadable_document,
// whose message names the format and the reason.
Result<ParseOutput> Parse(const ParseInput& input, const ParseOptions& options = {});

// The JSON form of ParseOutput, Record and Finding: parser/record_json.h.

// The canonical form of a page's URL (base/url.h: lower-case scheme and host, default port
// dropped, dot segments removed, percent-encoding normalised, no fragment, query kept); the
// input as given when it is not an http(s) URL.
std::string CanonicalizeUrl(std::string_view url);
// report_id: the first 32 hex digits of the SHA-256 of the canonical URL's host, path and
// query (url::IdentityKey: no scheme, no credentials), so that http -> https keeps the id.
std::string ReportIdForUrl(std::string_view url);
std::string Sha256Hex(std::string_view bytes);

}  // namespace nianbao::parser
