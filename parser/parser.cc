#include "parser/parser.h"

#include <openssl/sha.h>

#include <algorithm>
#include <cctype>

#include "base/url.h"
#include "parser/document_reader.h"
#include "parser/narrative.h"
#include "parser/report_parser.h"
#include "parser/rules.h"

namespace nianbao::parser {
namespace {

// A document is taken for an annual report when its structure says so: numbered section
// headings of the form, or rows of the form's tables. A title alone is not enough (notices
// about compiling the report carry the same words).
bool LooksLikeReport(const ParsedReport& p) {
  if (p.headings_found >= 2 || p.recognised_rows >= 3) return true;
  return p.record.title && p.headings_found >= 1 && p.recognised_rows >= 1;
}

}  // namespace

std::string Sha256Hex(std::string_view bytes) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * SHA256_DIGEST_LENGTH);
  for (unsigned char b : digest) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
  return out;
}

std::string CanonicalizeUrl(std::string_view url) {
  std::string canonical = url::Canonicalize(url);
  return canonical.empty() ? std::string(url) : canonical;
}

std::string ReportIdForUrl(std::string_view url) {
  return Sha256Hex(url::IdentityKey(CanonicalizeUrl(url))).substr(0, 32);
}

Result<ParseOutput> Parse(const ParseInput& input, const ParseOptions& options) {
  DocumentFormat format = SniffFormat(input.bytes, input.content_type);
  const FormatSpec& spec = SpecOf(format);
  std::size_t max_bytes = spec.binary ? options.max_document_bytes : options.max_bytes;
  if (input.bytes.size() > max_bytes) {
    return Status::TooLarge("document of " + std::to_string(input.bytes.size()) +
                            " bytes is over the limit of " + std::to_string(max_bytes) + " bytes");
  }
  ParseOutput out;
  // Hashed here only when the caller did not hash the body already.
  std::string sha = input.sha256.empty() ? Sha256Hex(input.bytes) : input.sha256;
  auto read = ReadDocumentAs(format, input.bytes, input.content_type, options.limits);
  Document doc = read.ok() ? std::move(read).value() : Document{};

  ParsedReport parsed = ParseDocument(doc);
  NarrativeFacts narrative = ReadNarrative(parsed.overview_text);
  parsed.record.narrative = narrative.values;

  Record& r = parsed.record;
  r.source.sha256 = sha;
  // The reader's own words when it gives them, else the format table's.
  r.source.media_type =
      read.ok() && !doc.media_type.empty() ? doc.media_type : std::string(spec.media_type);
  r.source.charset = read.ok() && !doc.charset.empty() ? doc.charset : std::string(spec.charset);
  if (!input.url.empty()) {
    r.source.url = CanonicalizeUrl(input.url);
    r.report_id = ReportIdForUrl(input.url);
  } else {
    r.report_id = sha.substr(0, 32);
  }
  if (!input.fetched_at.empty()) r.source.fetched_at = input.fetched_at;

  if (!read.ok()) {
    // Nothing was read: the record is empty but for its source, and the one finding says
    // which format could not be read and why.
    out.findings.push_back(MakeFinding(
        "meta.unreadable_document", "source.media_type",
        "the " + std::string(spec.name) + " document cannot be read: " + read.status().message()));
    out.record = std::move(parsed.record);
    return out;
  }

  // A document whose tables are pictures (a scan) is published with what could be read and
  // structure.image_only saying why its tables are missing: the crawler took it for a report
  // by its link, and the text cannot say otherwise.
  out.is_report = LooksLikeReport(parsed) || doc.image_only;
  if (!out.is_report) {
    // Structural findings about a page that is not a report would only be noise.
    out.findings.push_back(MakeFinding("meta.not_a_report", std::nullopt,
                                       "the document is not recognisable as a government "
                                       "information-disclosure annual report"));
  } else {
    out.findings = std::move(parsed.findings);
    for (auto& f : narrative.findings) out.findings.push_back(std::move(f));
    RunRules(RuleInput{parsed, narrative}, &out.findings);
  }
  if (!options.disabled_rules.empty()) {
    std::erase_if(out.findings, [&](const Finding& f) {
      return std::find(options.disabled_rules.begin(), options.disabled_rules.end(), f.rule) !=
             options.disabled_rules.end();
    });
  }
  out.record = std::move(parsed.record);
  out.overview_text = std::move(parsed.overview_text);
  return out;
}

}  // namespace nianbao::parser
