#include "parser/zip_archive.h"

#include <zip.h>

#include <array>

namespace nianbao::parser {

void ZipArchive::Closer::operator()(zip* z) const { zip_discard(z); }

Result<ZipArchive> ZipArchive::Open(std::string_view bytes, const ReaderLimits& limits) {
  zip_error_t error;
  zip_error_init(&error);
  // freep = 0: the source reads the caller's buffer and never frees it.
  zip_source_t* source = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
  if (source == nullptr) {
    std::string why = zip_error_strerror(&error);
    zip_error_fini(&error);
    return Status::Internal("cannot read the ZIP: " + why);
  }
  zip_t* archive = zip_open_from_source(source, ZIP_RDONLY, &error);
  if (archive == nullptr) {
    std::string why = zip_error_strerror(&error);
    zip_error_fini(&error);
    zip_source_free(source);  // not taken over by a failed open
    return Status::Corruption("not a readable ZIP (truncated or damaged): " + why);
  }
  zip_error_fini(&error);
  ZipArchive out(archive, limits.max_inflated_bytes);
  zip_int64_t entries = zip_get_num_entries(archive, 0);
  if (entries < 0 || static_cast<std::size_t>(entries) > limits.max_zip_entries) {
    return Status::TooLarge("a ZIP of " + std::to_string(entries) +
                            " entries is over the limit of " +
                            std::to_string(limits.max_zip_entries));
  }
  return out;
}

bool ZipArchive::Has(std::string_view name) const {
  return zip_name_locate(archive_.get(), std::string(name).c_str(), 0) >= 0;
}

Result<std::string> ZipArchive::Read(std::string_view name) {
  std::string entry(name);
  zip_int64_t index = zip_name_locate(archive_.get(), entry.c_str(), 0);
  if (index < 0) return Status::NotFound("no " + entry + " in the ZIP");
  zip_stat_t st;
  zip_stat_init(&st);
  if (zip_stat_index(archive_.get(), static_cast<zip_uint64_t>(index), 0, &st) == 0 &&
      (st.valid & ZIP_STAT_ENCRYPTION_METHOD) != 0 && st.encryption_method != ZIP_EM_NONE) {
    return Status::InvalidArgument(entry + " is encrypted");
  }
  zip_file_t* file = zip_fopen_index(archive_.get(), static_cast<zip_uint64_t>(index), 0);
  if (file == nullptr) {
    zip_error_t* error = zip_get_error(archive_.get());
    if (zip_error_code_zip(error) == ZIP_ER_NOPASSWD ||
        zip_error_code_zip(error) == ZIP_ER_WRONGPASSWD) {
      return Status::InvalidArgument(entry + " is encrypted");
    }
    return Status::Corruption("cannot open " + entry + ": " + zip_error_strerror(error));
  }
  std::string out;
  std::array<char, 64 * 1024> chunk{};
  Status status;
  while (true) {
    zip_int64_t n = zip_fread(file, chunk.data(), chunk.size());
    if (n < 0) {
      status = Status::Corruption("cannot inflate " + entry + ": " +
                                  zip_error_strerror(zip_file_get_error(file)));
      break;
    }
    if (n == 0) break;
    if (static_cast<std::size_t>(n) > budget_) {
      status = Status::TooLarge(entry + " inflates past the limit of inflated bytes");
      break;
    }
    budget_ -= static_cast<std::size_t>(n);
    out.append(chunk.data(), static_cast<std::size_t>(n));
  }
  if (zip_fclose(file) != 0 && status.ok()) {
    status = Status::Corruption("cannot inflate " + entry + " (checksum)");
  }
  if (!status.ok()) return status;
  return out;
}

}  // namespace nianbao::parser
