#include "parser/ofd_reader.h"

#include <zip.h>

#include <cmath>
#include <cstdlib>
#include <memory>
#include <pugixml.hpp>
#include <string>
#include <vector>

#include "parser/layout.h"

namespace nianbao::parser {
namespace {

constexpr double kPointsPerMm = 72.0 / 25.4;

struct ZipCloser {
  void operator()(zip_t* z) const { zip_discard(z); }
};
struct ZipFileCloser {
  void operator()(zip_file_t* f) const { zip_fclose(f); }
};

// The entries of one ZIP, read under one budget of inflated bytes.
class Archive {
 public:
  Archive(zip_t* zip, std::size_t budget) : zip_(zip), budget_(budget) {}

  Result<std::string> Read(const std::string& name) {
    zip_int64_t index = zip_name_locate(zip_.get(), name.c_str(), 0);
    if (index < 0) return Status::NotFound("OFD: part " + name + " is missing");
    std::unique_ptr<zip_file_t, ZipFileCloser> file(
        zip_fopen_index(zip_.get(), static_cast<zip_uint64_t>(index), 0));
    if (!file) {
      return Status::Corruption("OFD: part " + name + " cannot be opened (" +
                                zip_strerror(zip_.get()) + ")");
    }
    std::string out;
    char buf[16384];
    for (;;) {
      zip_int64_t n = zip_fread(file.get(), buf, sizeof buf);
      if (n < 0) {
        return Status::Corruption("OFD: part " + name + " cannot be inflated (" +
                                  zip_file_strerror(file.get()) + ")");
      }
      if (n == 0) break;
      if (static_cast<std::size_t>(n) > budget_) {
        return Status::TooLarge("OFD: more than the limit of inflated bytes (a ZIP bomb?)");
      }
      budget_ -= static_cast<std::size_t>(n);
      out.append(buf, static_cast<std::size_t>(n));
    }
    return out;
  }

 private:
  std::unique_ptr<zip_t, ZipCloser> zip_;
  std::size_t budget_;
};

// The deepest nesting of elements in XML bytes, counted without parsing (so that a document
// nested 100,000 levels is refused before any tree is built). Comments, CDATA, processing
// instructions and declarations do not nest.
std::size_t MaxDepth(std::string_view xml) {
  std::size_t depth = 0, max = 0;
  std::size_t i = 0;
  auto skip_to = [&](std::string_view end) {
    std::size_t at = xml.find(end, i);
    i = at == std::string_view::npos ? xml.size() : at + end.size();
  };
  while (i < xml.size()) {
    std::size_t lt = xml.find('<', i);
    if (lt == std::string_view::npos) break;
    i = lt + 1;
    if (xml.substr(lt, 4) == "<!--") {
      skip_to("-->");
    } else if (xml.substr(lt, 9) == "<![CDATA[") {
      skip_to("]]>");
    } else if (i < xml.size() && (xml[i] == '?' || xml[i] == '!')) {
      skip_to(">");
    } else if (i < xml.size() && xml[i] == '/') {
      if (depth > 0) --depth;
      skip_to(">");
    } else {
      std::size_t gt = xml.find('>', i);
      if (gt == std::string_view::npos) break;
      bool empty = gt > 0 && xml[gt - 1] == '/';
      if (!empty && ++depth > max) max = depth;
      i = gt + 1;
    }
  }
  return max;
}

Result<std::unique_ptr<pugi::xml_document>> ParseXml(const std::string& xml,
                                                     const std::string& name,
                                                     const ReaderLimits& limits) {
  if (MaxDepth(xml) > limits.max_xml_depth) {
    return Status::InvalidArgument("OFD: part " + name + " nests its XML deeper than " +
                                   std::to_string(limits.max_xml_depth) + " levels");
  }
  auto doc = std::make_unique<pugi::xml_document>();
  // Default flags: no DOCTYPE is kept and no entity of a DTD is expanded (pugixml knows
  // only the five predefined entities and character references).
  pugi::xml_parse_result r =
      doc->load_buffer(xml.data(), xml.size(), pugi::parse_default, pugi::encoding_utf8);
  if (!r) {
    return Status::Corruption("OFD: part " + name + " is not well-formed XML (" + r.description() +
                              " at byte " + std::to_string(r.offset) + ")");
  }
  return doc;
}

// Element names without their namespace prefix (ofd:Page → Page).
std::string_view Local(const pugi::xml_node& n) {
  std::string_view name = n.name();
  auto colon = name.find(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

pugi::xml_node Child(const pugi::xml_node& n, std::string_view local) {
  for (pugi::xml_node c = n.first_child(); c; c = c.next_sibling()) {
    if (c.type() == pugi::node_element && Local(c) == local) return c;
  }
  return {};
}

std::vector<double> Numbers(std::string_view text) {
  std::vector<double> out;
  std::string s(text);
  const char* p = s.c_str();
  char* end = nullptr;
  for (;;) {
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == ',') ++p;
    if (*p == '\0') break;
    double v = std::strtod(p, &end);
    if (end == p) break;
    if (std::isfinite(v)) out.push_back(v);
    p = end;
  }
  return out;
}

// DeltaX: advances between glyphs, "g N d" standing for N advances of d.
std::vector<double> Advances(std::string_view text, std::size_t glyphs) {
  std::vector<double> out;
  std::string s(text);
  std::size_t i = 0;
  while (i < s.size() && out.size() < glyphs) {
    while (i < s.size() && s[i] == ' ') ++i;
    if (i >= s.size()) break;
    if (s[i] == 'g') {
      ++i;
      auto nums = Numbers(std::string_view(s).substr(i));
      if (nums.size() < 2) break;
      std::size_t n = static_cast<std::size_t>(std::max(0.0, std::min(nums[0], 1e6)));
      for (std::size_t k = 0; k < n && out.size() < glyphs; ++k) out.push_back(nums[1]);
      // Skip the two numbers just read.
      for (int skip = 0; skip < 2; ++skip) {
        while (i < s.size() && s[i] == ' ') ++i;
        while (i < s.size() && s[i] != ' ') ++i;
      }
      continue;
    }
    char* end = nullptr;
    double v = std::strtod(s.c_str() + i, &end);
    if (end == s.c_str() + i) break;
    out.push_back(std::isfinite(v) ? v : 0);
    i = static_cast<std::size_t>(end - s.c_str());
  }
  return out;
}

std::size_t Utf8Glyphs(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80 ? 1 : 0;
  return n;
}

// A path relative to the part that names it ("Pages/Page_0/Content.xml" from
// "Doc_0/Document.xml"), or absolute from the ZIP's root ("/Doc_0/…").
std::string Resolve(const std::string& base_part, std::string ref) {
  if (!ref.empty() && ref.front() == '/') return ref.substr(1);
  auto slash = base_part.rfind('/');
  return slash == std::string::npos ? ref : base_part.substr(0, slash + 1) + ref;
}

struct PageReader {
  const ReaderLimits& limits;
  LayoutInput* layout;
  std::size_t text_bytes = 0;
  bool text_cut = false;

  // Walks a page's objects without recursion (layers, groups and blocks may nest).
  void Read(const pugi::xml_node& page, int index) {
    std::vector<pugi::xml_node> stack{page};
    while (!stack.empty() && !text_cut) {
      pugi::xml_node n = stack.back();
      stack.pop_back();
      std::string_view kind = Local(n);
      if (kind == "TextObject") {
        ReadText(n, index);
        continue;
      }
      if (kind == "PathObject") {
        ReadPath(n, index);
        continue;
      }
      // Children in reverse so that the stack yields them in document order.
      std::vector<pugi::xml_node> kids;
      for (pugi::xml_node c = n.first_child(); c; c = c.next_sibling()) {
        if (c.type() == pugi::node_element) kids.push_back(c);
      }
      for (auto it = kids.rbegin(); it != kids.rend(); ++it) stack.push_back(*it);
    }
  }

  void ReadText(const pugi::xml_node& obj, int index) {
    auto box = Numbers(obj.attribute("Boundary").value());
    if (box.size() < 4) return;
    double size = obj.attribute("Size").as_double(0);
    if (!(size > 0) || !std::isfinite(size)) size = box[3] / 1.2;
    for (pugi::xml_node code = obj.first_child(); code; code = code.next_sibling()) {
      if (code.type() != pugi::node_element || Local(code) != "TextCode") continue;
      std::string text = code.text().get();
      if (text.empty()) continue;
      text_bytes += text.size();
      if (text_bytes > limits.max_text_bytes) {
        text_cut = true;
        return;
      }
      double x = box[0] + code.attribute("X").as_double(0);
      double baseline = box[1] + code.attribute("Y").as_double(size);
      std::size_t glyphs = Utf8Glyphs(text);
      auto adv = Advances(code.attribute("DeltaX").value(), glyphs > 0 ? glyphs - 1 : 0);
      double width = size;  // the last glyph's advance is not written; one em stands for it
      for (double a : adv) width += a;
      if (adv.empty() && glyphs > 1) width = box[2];
      TextRun run;
      run.page = index;
      run.x0 = x * kPointsPerMm;
      run.x1 = (x + std::max(width, 0.0)) * kPointsPerMm;
      run.y0 = (baseline - size) * kPointsPerMm;
      run.y1 = (baseline + 0.2 * size) * kPointsPerMm;
      run.font_size = size * kPointsPerMm;
      run.text = std::move(text);
      layout->runs.push_back(std::move(run));
    }
  }

  void ReadPath(const pugi::xml_node& obj, int index) {
    auto box = Numbers(obj.attribute("Boundary").value());
    if (box.size() < 4) return;
    // A ruled line is a path whose boundary is a line: a table border.
    constexpr double kThin = 0.6;  // mm
    if (box[3] <= kThin && box[2] > kThin) {
      double y = (box[1] + box[3] / 2) * kPointsPerMm;
      layout->rules.push_back(
          {index, box[0] * kPointsPerMm, y, (box[0] + box[2]) * kPointsPerMm, y});
    } else if (box[2] <= kThin && box[3] > kThin) {
      double x = (box[0] + box[2] / 2) * kPointsPerMm;
      layout->rules.push_back(
          {index, x, box[1] * kPointsPerMm, x, (box[1] + box[3]) * kPointsPerMm});
    }
  }
};

}  // namespace

Result<Document> ReadOfd(std::string_view bytes, const ReaderLimits& limits) {
  if (bytes.size() < 4 || bytes.substr(0, 4) != std::string_view("PK\x03\x04", 4)) {
    return Status::InvalidArgument("OFD: not an OFD file (not a ZIP container)");
  }
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* source = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
  if (source == nullptr) {
    std::string why = zip_error_strerror(&error);
    zip_error_fini(&error);
    return Status::Internal("OFD: cannot read the ZIP from memory (" + why + ")");
  }
  zip_t* raw = zip_open_from_source(source, ZIP_RDONLY, &error);
  if (raw == nullptr) {
    std::string why = zip_error_strerror(&error);
    zip_source_free(source);  // still ours when the open failed
    zip_error_fini(&error);
    return Status::Corruption("OFD: damaged or truncated ZIP container (" + why + ")");
  }
  zip_error_fini(&error);
  zip_int64_t entries = zip_get_num_entries(raw, 0);
  if (entries < 0 || static_cast<std::size_t>(entries) > limits.max_zip_entries) {
    zip_discard(raw);
    return Status::TooLarge("OFD: " + std::to_string(entries) +
                            " entries in the ZIP, over the limit of " +
                            std::to_string(limits.max_zip_entries));
  }
  Archive zip(raw, limits.max_inflated_bytes);

  auto read_xml = [&](const std::string& part) -> Result<std::unique_ptr<pugi::xml_document>> {
    auto text = zip.Read(part);
    if (!text.ok()) return text.status();
    return ParseXml(text.value(), part, limits);
  };

  auto ofd = read_xml("OFD.xml");
  if (!ofd.ok()) return ofd.status();
  pugi::xml_node root = ofd.value()->document_element();
  pugi::xml_node doc_root = Child(Child(root, "DocBody"), "DocRoot");
  std::string doc_part = Resolve("", doc_root.text().get());
  if (Local(root) != "OFD" || doc_part.empty()) {
    return Status::Corruption("OFD: OFD.xml names no document (DocBody/DocRoot)");
  }
  auto document = read_xml(doc_part);
  if (!document.ok()) return document.status();
  pugi::xml_node d = document.value()->document_element();
  std::vector<double> area =
      Numbers(Child(Child(Child(d, "CommonData"), "PageArea"), "PhysicalBox").text().get());
  PageSize default_size{210 * kPointsPerMm, 297 * kPointsPerMm};
  if (area.size() >= 4 && area[2] > 0 && area[3] > 0) {
    default_size = {area[2] * kPointsPerMm, area[3] * kPointsPerMm};
  }

  LayoutInput layout;
  PageReader reader{limits, &layout};
  for (pugi::xml_node p = Child(d, "Pages").first_child(); p && !reader.text_cut;
       p = p.next_sibling()) {
    if (p.type() != pugi::node_element || Local(p) != "Page") continue;
    if (layout.pages.size() >= limits.max_pages) break;
    std::string part = Resolve(doc_part, p.attribute("BaseLoc").value());
    auto content = read_xml(part);
    if (!content.ok()) return content.status();
    pugi::xml_node page = content.value()->document_element();
    PageSize size = default_size;
    std::vector<double> box = Numbers(Child(Child(page, "Area"), "PhysicalBox").text().get());
    if (box.size() >= 4 && box[2] > 0 && box[3] > 0) {
      size = {box[2] * kPointsPerMm, box[3] * kPointsPerMm};
    }
    int index = static_cast<int>(layout.pages.size());
    layout.pages.push_back(size);
    reader.Read(page, index);
  }
  if (layout.pages.empty()) return Status::Corruption("OFD: the document has no pages");

  Document out;
  out.media_type = "application/ofd";
  out.blocks = BuildBlocks(layout);
  bool has_table = false;
  for (const Block& b : out.blocks) has_table = has_table || b.kind == Block::Kind::kTable;
  out.image_only = !has_table;
  return out;
}

}  // namespace nianbao::parser
