// A ZIP container read from memory (DOCX; OFD may share it), bounded by ReaderLimits.
//
// Opens the archive over the caller's bytes with libzip (no file, no copy), refuses more than
// max_zip_entries entries and inflates each entry with a hard cap: what the headers say about
// an entry's size is never trusted, and all entries read from one archive share the
// max_inflated_bytes budget, so a ZIP bomb stops at the cap. Encrypted entries are refused.
//
// Ownership: a ZipArchive owns its libzip handle; the bytes it was opened on must outlive it.
// Threading: one thread at a time per archive.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"
#include "parser/reader_limits.h"

struct zip;

namespace nianbao::parser {

class ZipArchive {
 public:
  // Fails (Corruption) on bytes that are not a readable ZIP (truncated: no central directory)
  // and (TooLarge) over max_zip_entries.
  static Result<ZipArchive> Open(std::string_view bytes, const ReaderLimits& limits);

  bool Has(std::string_view name) const;
  // The inflated entry. NotFound when absent; TooLarge past the budget; Corruption on a bad
  // CRC or deflate stream; InvalidArgument when encrypted.
  Result<std::string> Read(std::string_view name);

 private:
  struct Closer {
    void operator()(zip* z) const;
  };
  ZipArchive(zip* archive, std::size_t budget) : archive_(archive), budget_(budget) {}

  std::unique_ptr<zip, Closer> archive_;
  std::size_t budget_;  // inflated bytes still allowed
};

}  // namespace nianbao::parser
