// Builds small ZIP containers in memory for the document reader tests (libzip), so that each
// test's DOCX is written out in the test itself and its expected values read from it.
#pragma once

#include <zip.h>

#include <string>
#include <utility>
#include <vector>

namespace nianbao::parser::testing {

struct ZipEntry {
  std::string name;
  std::string data;
};

// The ZIP of entries, deflated. Empty on a libzip failure (the test then fails on it).
inline std::string MakeZip(const std::vector<ZipEntry>& entries) {
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* out = zip_source_buffer_create(nullptr, 0, 0, &error);
  if (out == nullptr) return {};
  zip_source_keep(out);
  zip_t* archive = zip_open_from_source(out, ZIP_TRUNCATE, &error);
  if (archive == nullptr) {
    zip_source_free(out);
    return {};
  }
  for (const auto& e : entries) {
    zip_source_t* s = zip_source_buffer(archive, e.data.data(), e.data.size(), 0);
    if (s == nullptr || zip_file_add(archive, e.name.c_str(), s, ZIP_FL_OVERWRITE) < 0) {
      if (s != nullptr) zip_source_free(s);
      zip_discard(archive);
      zip_source_free(out);
      return {};
    }
  }
  if (zip_close(archive) != 0) {
    zip_discard(archive);
    zip_source_free(out);
    return {};
  }
  std::string bytes;
  if (zip_source_open(out) == 0) {
    char buf[65536];
    zip_int64_t n;
    while ((n = zip_source_read(out, buf, sizeof buf)) > 0)
      bytes.append(buf, static_cast<size_t>(n));
    zip_source_close(out);
  }
  zip_source_free(out);
  return bytes;
}

inline const char* kWordNs =
    "xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"";

// A DOCX whose body is `body` (WordprocessingML inside <w:body>), with numbering.xml and
// styles.xml when given (their content inside the root element).
inline std::string MakeDocx(const std::string& body, const std::string& numbering = "",
                            const std::string& styles = "") {
  std::vector<ZipEntry> entries = {
      {"[Content_Types].xml",
       "<?xml version=\"1.0\"?><Types "
       "xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"/>"},
      {"word/document.xml", std::string("<?xml version=\"1.0\" encoding=\"UTF-8\"?><w:document ") +
                                kWordNs + "><w:body>" + body + "</w:body></w:document>"}};
  if (!numbering.empty()) {
    entries.push_back({"word/numbering.xml", std::string("<?xml version=\"1.0\"?><w:numbering ") +
                                                 kWordNs + ">" + numbering + "</w:numbering>"});
  }
  if (!styles.empty()) {
    entries.push_back({"word/styles.xml", std::string("<?xml version=\"1.0\"?><w:styles ") +
                                              kWordNs + ">" + styles + "</w:styles>"});
  }
  return MakeZip(entries);
}

}  // namespace nianbao::parser::testing
