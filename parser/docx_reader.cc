#include "parser/docx_reader.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <map>
#include <pugixml.hpp>
#include <string>
#include <vector>

#include "parser/charset.h"
#include "parser/list_labels.h"
#include "parser/zip_archive.h"

namespace nianbao::parser {
namespace {

// Elements are matched by local name: WordprocessingML is always one namespace, but writers
// differ in the prefix they bind it to ("w:" almost always, "ns0:" from some generators).
std::string_view LocalName(const pugi::xml_node& node) {
  std::string_view name = node.name();
  size_t colon = name.find(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

pugi::xml_node Child(const pugi::xml_node& node, std::string_view local) {
  for (pugi::xml_node c = node.first_child(); c; c = c.next_sibling()) {
    if (c.type() == pugi::node_element && LocalName(c) == local) return c;
  }
  return {};
}

std::string_view Attr(const pugi::xml_node& node, std::string_view local) {
  for (pugi::xml_attribute a = node.first_attribute(); a; a = a.next_attribute()) {
    std::string_view name = a.name();
    size_t colon = name.find(':');
    if ((colon == std::string_view::npos ? name : name.substr(colon + 1)) == local) {
      return a.value();
    }
  }
  return {};
}

int IntAttr(const pugi::xml_node& node, std::string_view local, int fallback) {
  std::string_view v = Attr(node, local);
  int out = fallback;
  auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  return ec == std::errc() && ptr == v.data() + v.size() ? out : fallback;
}

// Parses one part of the package and checks it against the limits. pugixml's parser is not
// recursive and never expands entities other than the five predefined ones (an unknown
// reference such as &lol9; stays as text), so a parse cannot blow up; a DTD is still refused,
// and the depth is checked here, without recursion, before anything walks the tree.
Status ParseXml(const std::string& xml, std::string_view part, const ReaderLimits& limits,
                pugi::xml_document* doc) {
  pugi::xml_parse_result parsed = doc->load_buffer(
      xml.data(), xml.size(), pugi::parse_default | pugi::parse_doctype, pugi::encoding_utf8);
  if (!parsed) {
    return Status::Corruption(std::string(part) +
                              " is not well-formed XML: " + parsed.description());
  }
  for (pugi::xml_node c = doc->first_child(); c; c = c.next_sibling()) {
    if (c.type() == pugi::node_doctype) {
      return Status::InvalidArgument(std::string(part) + " has a DTD (refused: entity expansion)");
    }
  }
  std::size_t depth = 0;
  pugi::xml_node node = doc->first_child();
  if (node) depth = 1;
  while (node) {
    if (depth > limits.max_xml_depth) {
      return Status::TooLarge(std::string(part) + " nests elements deeper than " +
                              std::to_string(limits.max_xml_depth) + " levels");
    }
    if (node.first_child()) {
      node = node.first_child();
      ++depth;
      continue;
    }
    while (node && !node.next_sibling()) {
      node = node.parent();
      --depth;
    }
    if (node) node = node.next_sibling();
  }
  return Status::Ok();
}

// ---- Numbering (word/numbering.xml) ----

constexpr int kLevels = 9;

struct Level {
  const ListNumberFormat* format = nullptr;
  std::string text;  // w:lvlText, e.g. "%1、" or "（%2）"
  int start = 1;
};

struct Instance {  // a w:num: an abstract definition with its own counters
  std::array<Level, kLevels> levels;
  std::array<int, kLevels> counters{};
  std::array<bool, kLevels> started{};
};

class Numbering {
 public:
  void Load(const pugi::xml_node& numbering) {
    std::map<int, std::array<Level, kLevels>> abstracts;
    for (pugi::xml_node a = numbering.first_child(); a; a = a.next_sibling()) {
      if (LocalName(a) != "abstractNum") continue;
      abstracts[IntAttr(a, "abstractNumId", -1)] = ReadLevels(a, {});
    }
    for (pugi::xml_node n = numbering.first_child(); n; n = n.next_sibling()) {
      if (LocalName(n) != "num") continue;
      auto abstract = abstracts.find(IntAttr(Child(n, "abstractNumId"), "val", -1));
      if (abstract == abstracts.end()) continue;
      Instance instance;
      instance.levels = ReadLevels(n, abstract->second);  // w:lvlOverride
      instances_[IntAttr(n, "numId", -1)] = std::move(instance);
    }
  }

  // The label of the next paragraph of list num_id at level ilvl, counting it.
  std::string Next(int num_id, int ilvl) {
    auto it = instances_.find(num_id);
    if (it == instances_.end() || ilvl < 0 || ilvl >= kLevels) return {};
    Instance& in = it->second;
    in.counters[ilvl] = in.started[ilvl] ? in.counters[ilvl] + 1 : in.levels[ilvl].start;
    in.started[ilvl] = true;
    for (int deeper = ilvl + 1; deeper < kLevels; ++deeper) in.started[deeper] = false;
    const Level& level = in.levels[ilvl];
    if (level.format == nullptr) return {};
    std::string out;
    const std::string& t = level.text;
    for (std::size_t i = 0; i < t.size(); ++i) {
      if (t[i] == '%' && i + 1 < t.size() && t[i + 1] >= '1' && t[i + 1] <= '9') {
        int k = t[i + 1] - '1';
        const Level& named = in.levels[k];
        int value = in.started[k] ? in.counters[k] : named.start;
        out += named.format != nullptr ? named.format->format(value) : std::to_string(value);
        ++i;
      } else {
        out += t[i];
      }
    }
    return out;
  }

 private:
  // The w:lvl children of an abstractNum (or the w:lvlOverride children of a num, over base).
  static std::array<Level, kLevels> ReadLevels(const pugi::xml_node& parent,
                                               std::array<Level, kLevels> levels) {
    for (pugi::xml_node c = parent.first_child(); c; c = c.next_sibling()) {
      pugi::xml_node lvl = c;
      int start_override = -1;
      if (LocalName(c) == "lvlOverride") {
        if (pugi::xml_node so = Child(c, "startOverride")) start_override = IntAttr(so, "val", 1);
        lvl = Child(c, "lvl");
      } else if (LocalName(c) != "lvl") {
        continue;
      }
      int ilvl = IntAttr(LocalName(c) == "lvlOverride" ? c : lvl, "ilvl", -1);
      if (ilvl < 0 || ilvl >= kLevels) continue;
      Level& level = levels[ilvl];
      if (lvl) {
        level.format = FindListNumberFormat(Attr(Child(lvl, "numFmt"), "val"));
        level.text = std::string(Attr(Child(lvl, "lvlText"), "val"));
        level.start = IntAttr(Child(lvl, "start"), "val", 1);
      }
      if (start_override >= 0) level.start = start_override;
    }
    return levels;
  }

  std::map<int, Instance> instances_;
};

// Paragraph styles that number their paragraphs (a heading style bound to a list): the
// w:numPr of each style, or of the style it is based on.
class Styles {
 public:
  void Load(const pugi::xml_node& styles) {
    for (pugi::xml_node st = styles.first_child(); st; st = st.next_sibling()) {
      if (LocalName(st) != "style") continue;
      Style style;
      style.based_on = std::string(Attr(Child(st, "basedOn"), "val"));
      if (pugi::xml_node num_pr = Child(Child(st, "pPr"), "numPr")) {
        style.num_id = IntAttr(Child(num_pr, "numId"), "val", -1);
        style.ilvl = IntAttr(Child(num_pr, "ilvl"), "val", 0);
      }
      styles_[std::string(Attr(st, "styleId"))] = std::move(style);
    }
  }

  // {numId, ilvl} of a paragraph style, {-1, 0} when it numbers nothing. A chain of basedOn
  // is followed a few steps at most (a loop in it ends there).
  std::pair<int, int> NumberingOf(std::string_view style_id) const {
    std::string id(style_id);
    for (int hop = 0; hop < 16 && !id.empty(); ++hop) {
      auto it = styles_.find(id);
      if (it == styles_.end()) break;
      if (it->second.num_id >= 0) return {it->second.num_id, it->second.ilvl};
      id = it->second.based_on;
    }
    return {-1, 0};
  }

 private:
  struct Style {
    int num_id = -1;
    int ilvl = 0;
    std::string based_on;
  };
  std::map<std::string, Style> styles_;
};

// ---- The body ----

// A cell costs its text plus this much of the text budget, so that a table of empty cells
// (gridSpan="100000" on every cell) is bounded too.
constexpr std::size_t kCellCost = 16;
// Columns of one row at most; a span that would go past them is cut (reports have 4-16).
constexpr std::size_t kMaxColumns = 256;

class BodyReader {
 public:
  BodyReader(const ReaderLimits& limits, Numbering* numbering, const Styles* styles)
      : limits_(limits), numbering_(numbering), styles_(styles) {}

  Status Read(const pugi::xml_node& body, Document* doc) {
    Blocks(body, doc);
    return status_;
  }

 private:
  bool Charge(std::size_t bytes) {
    if (!status_.ok()) return false;
    if (bytes > limits_.max_text_bytes - used_) {
      status_ = Status::TooLarge("the text is over the limit of " +
                                 std::to_string(limits_.max_text_bytes) + " bytes");
      return false;
    }
    used_ += bytes;
    return true;
  }

  void Blocks(const pugi::xml_node& parent, Document* doc) {
    for (pugi::xml_node c = parent.first_child(); c && status_.ok(); c = c.next_sibling()) {
      std::string_view name = LocalName(c);
      if (name == "p") {
        std::string text = Paragraph(c);
        if (text.find_first_not_of(" \t\n") == std::string::npos) continue;
        Block b;
        b.kind = Block::Kind::kParagraph;
        b.text = std::move(text);
        doc->blocks.push_back(std::move(b));
      } else if (name == "tbl") {
        Block b;
        b.kind = Block::Kind::kTable;
        b.table = Grid(c);
        doc->blocks.push_back(std::move(b));
      } else if (name == "sdt") {
        Blocks(Child(c, "sdtContent"), doc);
      } else if (name == "customXml") {
        Blocks(c, doc);
      }
    }
  }

  std::string Paragraph(const pugi::xml_node& p) {
    std::string out;
    pugi::xml_node p_pr = Child(p, "pPr");
    // The paragraph's own w:numPr wins over its style's; numId 0 switches numbering off.
    auto [num_id, ilvl] = styles_->NumberingOf(Attr(Child(p_pr, "pStyle"), "val"));
    if (pugi::xml_node num_pr = Child(p_pr, "numPr")) {
      num_id = IntAttr(Child(num_pr, "numId"), "val", num_id);
      ilvl = IntAttr(Child(num_pr, "ilvl"), "val", ilvl);
    }
    if (num_id > 0) out = numbering_->Next(num_id, ilvl);
    Inline(p, &out);
    // pugixml passes invalid UTF-8 through and encodes &#xD800; as it is: the text is made
    // valid here, once per paragraph (cells and copies are made of paragraphs).
    out = SanitizeUtf8(out);
    Charge(out.size());
    return out;
  }

  // The text of a paragraph's content: runs, also inside hyperlinks, insertions, fields and
  // content controls. Deleted text, drawings and text boxes are left out (mc:AlternateContent
  // would give a text box twice).
  void Inline(const pugi::xml_node& parent, std::string* out) {
    static constexpr std::array<std::string_view, 10> kSkipped = {
        "pPr",     "rPr",  "del",    "moveFrom",         "AlternateContent",
        "drawing", "pict", "object", "commentReference", "footnoteReference"};
    for (pugi::xml_node c = parent.first_child(); c; c = c.next_sibling()) {
      if (c.type() != pugi::node_element) continue;
      std::string_view name = LocalName(c);
      if (name == "r") {
        Run(c, out);
      } else if (std::find(kSkipped.begin(), kSkipped.end(), name) == kSkipped.end()) {
        Inline(c, out);
      }
    }
  }

  static void Run(const pugi::xml_node& r, std::string* out) {
    for (pugi::xml_node c = r.first_child(); c; c = c.next_sibling()) {
      std::string_view name = LocalName(c);
      if (name == "t") {
        *out += c.child_value();
      } else if (name == "tab") {
        *out += '\t';
      } else if (name == "br" || name == "cr") {
        *out += '\n';
      } else if (name == "noBreakHyphen") {
        *out += '-';
      }
    }
  }

  // A cell's paragraphs, one per line; a nested table's rows one per line, cells by spaces.
  std::string CellText(const pugi::xml_node& tc) {
    std::string out;
    auto line = [&out](const std::string& text) {
      if (text.empty()) return;
      if (!out.empty()) out += '\n';
      out += text;
    };
    for (pugi::xml_node c = tc.first_child(); c && status_.ok(); c = c.next_sibling()) {
      std::string_view name = LocalName(c);
      if (name == "p") {
        line(Paragraph(c));
      } else if (name == "tbl") {
        for (const Row& row : Grid(c).rows) {
          std::string joined;
          for (const Cell& cell : row) {
            if (cell.span_copy || cell.text.empty()) continue;
            if (!joined.empty()) joined += ' ';
            joined += cell.text;
          }
          line(joined);
        }
      } else if (name == "sdt") {
        line(CellText(Child(c, "sdtContent")));
      }
    }
    return out;
  }

  // The rows' cells, with w:sdt / w:customXml wrappers around rows or cells looked through.
  static void Collect(const pugi::xml_node& parent, std::string_view local,
                      std::vector<pugi::xml_node>* out) {
    for (pugi::xml_node c = parent.first_child(); c; c = c.next_sibling()) {
      std::string_view name = LocalName(c);
      if (name == local) {
        out->push_back(c);
      } else if (name == "sdt") {
        Collect(Child(c, "sdtContent"), local, out);
      } else if (name == "customXml") {
        Collect(c, local, out);
      }
    }
  }

  void Push(Row* row, std::string text, bool copy) {
    if (row->size() >= kMaxColumns || !Charge(kCellCost + (copy ? text.size() : 0))) return;
    Cell cell;
    cell.text = std::move(text);
    cell.span_copy = copy;
    row->push_back(std::move(cell));
  }

  Table Grid(const pugi::xml_node& tbl) {
    Table table;
    std::vector<pugi::xml_node> trs;
    Collect(tbl, "tr", &trs);
    for (const pugi::xml_node& tr : trs) {
      if (!status_.ok()) break;
      Row row;
      pugi::xml_node tr_pr = Child(tr, "trPr");
      int before = std::clamp(IntAttr(Child(tr_pr, "gridBefore"), "val", 0), 0,
                              static_cast<int>(kMaxColumns));
      for (int i = 0; i < before; ++i) Push(&row, "", false);
      std::vector<pugi::xml_node> tcs;
      Collect(tr, "tc", &tcs);
      const Row* above = table.rows.empty() ? nullptr : &table.rows.back();
      for (const pugi::xml_node& tc : tcs) {
        pugi::xml_node tc_pr = Child(tc, "tcPr");
        int span = std::clamp(IntAttr(Child(tc_pr, "gridSpan"), "val", 1), 1,
                              static_cast<int>(kMaxColumns));
        pugi::xml_node v_merge = Child(tc_pr, "vMerge");
        // A w:vMerge without w:val="restart" continues the cell above: its text is copied down,
        // as rowspan copies are.
        bool continues = v_merge && Attr(v_merge, "val") != "restart";
        std::size_t col = row.size();
        if (continues && above != nullptr && col < above->size()) {
          for (int k = 0; k < span; ++k) {
            std::size_t at = std::min(col + static_cast<std::size_t>(k), above->size() - 1);
            Push(&row, (*above)[at].text, true);
          }
          continue;
        }
        std::string text = CellText(tc);
        Push(&row, text, false);  // its text was charged when it was read
        for (int k = 1; k < span; ++k) Push(&row, text, true);
      }
      table.rows.push_back(std::move(row));
    }
    return table;
  }

  const ReaderLimits& limits_;
  Numbering* numbering_;
  const Styles* styles_;
  std::size_t used_ = 0;
  Status status_;
};

}  // namespace

Result<Document> ReadDocx(std::string_view bytes, const ReaderLimits& limits) {
  auto zip = ZipArchive::Open(bytes, limits);
  if (!zip.ok()) return zip.status();
  auto body_xml = zip.value().Read("word/document.xml");
  if (!body_xml.ok()) return body_xml.status();

  Numbering numbering;
  if (zip.value().Has("word/numbering.xml")) {
    auto numbering_xml = zip.value().Read("word/numbering.xml");
    if (!numbering_xml.ok()) return numbering_xml.status();
    pugi::xml_document numbering_doc;
    Status parsed = ParseXml(numbering_xml.value(), "word/numbering.xml", limits, &numbering_doc);
    if (!parsed.ok()) return parsed;
    numbering.Load(numbering_doc.document_element());
  }

  Styles styles;
  if (zip.value().Has("word/styles.xml")) {
    auto styles_xml = zip.value().Read("word/styles.xml");
    if (!styles_xml.ok()) return styles_xml.status();
    pugi::xml_document styles_doc;
    Status parsed = ParseXml(styles_xml.value(), "word/styles.xml", limits, &styles_doc);
    if (!parsed.ok()) return parsed;
    styles.Load(styles_doc.document_element());
  }

  pugi::xml_document xml;
  Status parsed = ParseXml(body_xml.value(), "word/document.xml", limits, &xml);
  if (!parsed.ok()) return parsed;
  pugi::xml_node body = Child(xml.document_element(), "body");
  if (!body) return Status::Corruption("word/document.xml has no body");

  Document doc;
  BodyReader reader(limits, &numbering, &styles);
  Status read = reader.Read(body, &doc);
  if (!read.ok()) return read;
  return doc;
}

}  // namespace nianbao::parser
