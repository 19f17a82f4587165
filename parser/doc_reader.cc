#include "parser/doc_reader.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "parser/list_labels.h"

// References: [MS-CFB] (the compound file) and [MS-DOC] (the Word 97 binary format). Every read
// goes through In(), which checks the range against the bytes first.

namespace nianbao::parser {
namespace {

bool In(std::string_view b, uint64_t at, uint64_t n) {
  return at <= b.size() && n <= b.size() - at;
}
uint8_t U8(std::string_view b, uint64_t at) { return static_cast<uint8_t>(b[at]); }
uint16_t U16(std::string_view b, uint64_t at) {
  return static_cast<uint16_t>(U8(b, at) | (U8(b, at + 1) << 8));
}
uint32_t U32(std::string_view b, uint64_t at) {
  return static_cast<uint32_t>(U16(b, at)) | (static_cast<uint32_t>(U16(b, at + 2)) << 16);
}

// ---- The compound file ([MS-CFB]) ----

constexpr uint32_t kEndOfChain = 0xFFFFFFFE;
constexpr uint32_t kMaxRegularSector = 0xFFFFFFFA;
constexpr uint32_t kNoStream = 0xFFFFFFFF;

struct DirEntry {
  std::string name;  // ASCII upper-cased (names compare case-insensitively); others as '?'
  uint8_t type = 0;  // 1 storage, 2 stream, 5 root
  uint32_t left = kNoStream, right = kNoStream, child = kNoStream;
  uint32_t start = 0;
  uint64_t size = 0;
};

class CompoundFile {
 public:
  Status Open(std::string_view bytes) {
    bytes_ = bytes;
    if (!In(bytes, 0, 512)) return Status::Corruption("the compound file header is truncated");
    uint16_t shift = U16(bytes, 0x1E);
    if (shift != 9 && shift != 12) return Status::Corruption("bad sector size");
    sector_size_ = 1u << shift;
    if (U16(bytes, 0x20) != 6) return Status::Corruption("bad mini sector size");
    version3_ = U16(bytes, 0x1A) == 3;
    mini_cutoff_ = U32(bytes, 0x38);
    sectors_ = bytes.size() <= sector_size_ ? 0 : (bytes.size() - sector_size_) / sector_size_;

    // The FAT's sectors: 109 in the header, the rest in a chain of DIFAT sectors.
    uint32_t fat_sectors = U32(bytes, 0x2C);
    if (fat_sectors > sectors_) return Status::Corruption("more FAT sectors than the file has");
    std::vector<uint32_t> fat_list;
    for (uint32_t i = 0; i < 109 && fat_list.size() < fat_sectors; ++i) {
      fat_list.push_back(U32(bytes, 0x4C + 4 * i));
    }
    uint32_t difat = U32(bytes, 0x44);
    std::vector<bool> seen(sectors_, false);
    const uint32_t per_sector = sector_size_ / 4;
    while (fat_list.size() < fat_sectors) {
      if (difat >= sectors_ || seen[difat]) return Status::Corruption("a broken DIFAT chain");
      seen[difat] = true;
      uint64_t at = SectorOffset(difat);
      for (uint32_t i = 0; i + 1 < per_sector && fat_list.size() < fat_sectors; ++i) {
        fat_list.push_back(U32(bytes, at + 4 * i));
      }
      difat = U32(bytes, at + 4 * (per_sector - 1));
    }
    fat_.reserve(static_cast<std::size_t>(fat_sectors) * per_sector);
    for (uint32_t s : fat_list) {
      if (s >= sectors_) return Status::Corruption("a FAT sector outside the file");
      uint64_t at = SectorOffset(s);
      for (uint32_t i = 0; i < per_sector; ++i) fat_.push_back(U32(bytes, at + 4 * i));
    }

    auto dir = Chain(fat_, U32(bytes, 0x30), UINT64_MAX, false);
    if (!dir.ok()) return dir.status();
    for (std::size_t at = 0; at + 128 <= dir.value().size(); at += 128) {
      std::string_view e(dir.value().data() + at, 128);
      DirEntry d;
      uint16_t name_bytes = std::min<uint16_t>(U16(e, 0x40), 64);
      for (uint16_t i = 0; i + 1 < name_bytes; i += 2) {
        uint16_t c = U16(e, i);
        if (c == 0) break;
        d.name += c < 0x80 ? static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c) : '?';
      }
      d.type = U8(e, 0x42);
      d.left = U32(e, 0x44);
      d.right = U32(e, 0x48);
      d.child = U32(e, 0x4C);
      d.start = U32(e, 0x74);
      d.size =
          version3_ ? U32(e, 0x78) : U32(e, 0x78) | (static_cast<uint64_t>(U32(e, 0x7C)) << 32);
      entries_.push_back(std::move(d));
    }
    if (entries_.empty() || entries_[0].type != 5) return Status::Corruption("no root entry");

    // The mini stream (small streams' sectors) is the root entry's stream; its FAT is the
    // mini FAT.
    auto mini_fat = Chain(fat_, U32(bytes, 0x3C), UINT64_MAX, false);
    if (!mini_fat.ok()) return mini_fat.status();
    for (std::size_t at = 0; at + 4 <= mini_fat.value().size(); at += 4) {
      mini_fat_.push_back(U32(mini_fat.value(), at));
    }
    auto mini = Chain(fat_, entries_[0].start, entries_[0].size, false);
    if (!mini.ok()) return mini.status();
    mini_stream_ = std::move(mini).value();
    return Status::Ok();
  }

  // A stream directly under the root storage (not one of an embedded object's).
  Result<std::string> Stream(std::string_view name) const {
    std::vector<uint32_t> pending = {entries_[0].child};
    std::vector<bool> seen(entries_.size(), false);
    while (!pending.empty()) {
      uint32_t id = pending.back();
      pending.pop_back();
      if (id >= entries_.size() || seen[id]) continue;
      seen[id] = true;
      const DirEntry& e = entries_[id];
      if (e.type == 2 && e.name == name) {
        return e.size < mini_cutoff_ ? Chain(mini_fat_, e.start, e.size, true)
                                     : Chain(fat_, e.start, e.size, false);
      }
      pending.push_back(e.left);
      pending.push_back(e.right);
    }
    return Status::NotFound("no " + std::string(name) + " stream");
  }

 private:
  uint64_t SectorOffset(uint32_t s) const { return (static_cast<uint64_t>(s) + 1) * sector_size_; }

  // The bytes of a chain of sectors, `size` of them (UINT64_MAX: up to the end of the chain).
  // Each sector is visited once: a loop in the FAT is an error, not a hang.
  Result<std::string> Chain(const std::vector<uint32_t>& fat, uint32_t start, uint64_t size,
                            bool mini) const {
    std::string out;
    if (size == 0) return out;
    std::string_view from = mini ? std::string_view(mini_stream_) : bytes_;
    uint32_t unit = mini ? 64 : sector_size_;
    if (size != UINT64_MAX && size > from.size()) {
      return Status::Corruption("a stream longer than the file");
    }
    std::vector<bool> seen(fat.size(), false);
    uint32_t s = start;
    while (s != kEndOfChain && (size == UINT64_MAX || out.size() < size)) {
      if (s > kMaxRegularSector || s >= fat.size()) {
        return Status::Corruption("a sector chain leaves the FAT");
      }
      if (seen[s]) return Status::Corruption("a loop in the FAT");
      seen[s] = true;
      uint64_t at = mini ? static_cast<uint64_t>(s) * 64 : SectorOffset(s);
      if (!In(from, at, unit)) return Status::Corruption("truncated: a sector past the end");
      out.append(from.data() + at, unit);
      s = fat[s];
    }
    if (size != UINT64_MAX) {
      if (out.size() < size) return Status::Corruption("truncated: a stream's chain ends early");
      out.resize(static_cast<std::size_t>(size));
    }
    return out;
  }

  std::string_view bytes_;
  uint32_t sector_size_ = 512;
  bool version3_ = true;
  uint32_t mini_cutoff_ = 4096;
  uint64_t sectors_ = 0;
  std::vector<uint32_t> fat_;
  std::vector<uint32_t> mini_fat_;
  std::string mini_stream_;
  std::vector<DirEntry> entries_;
};

// ---- Paragraph properties ([MS-DOC] 2.9.177 PapxFkp) ----

constexpr uint16_t kSprmPFInTable = 0x2416;
constexpr uint16_t kSprmPFTtp = 0x2417;
constexpr uint16_t kSprmPItap = 0x6649;
constexpr uint16_t kSprmTDefTable = 0xD608;
constexpr uint16_t kSprmPChgTabs = 0xC615;
// The properties of a paragraph too large for its FKP page (a table row of many cells) are in
// the Data stream, at the offset this sprm gives: a 2-byte size and the sprms.
constexpr uint16_t kSprmPHugePapx = 0x6646;
constexpr uint16_t kSprmPIlfo = 0x460B;  // the paragraph's list (1-based into the LFOs), 0 none
constexpr uint16_t kSprmPIlvl = 0x260A;  // its level in the list

struct RowDef {  // a table row's cells, from the sprmTDefTable of its row-end paragraph
  std::vector<int16_t> edges;       // itcMac + 1 x positions of the cell boundaries
  std::vector<uint8_t> horz_merge;  // per cell: 0 none, 1 first of merged, 2 merged into previous
  std::vector<uint8_t> vert_merge;  // per cell: 0 none, 1 merged into the cell above, 3 first
};

struct ParaRun {
  uint32_t fc_begin = 0, fc_end = 0;
  bool in_table = false;
  bool row_end = false;  // fTtp
  int32_t depth = 0;     // itap: 1 in a table, 2 in a table nested in a cell
  uint16_t list = 0;     // ilfo
  uint8_t level = 0;     // ilvl
  // Only a row-end paragraph has one (most paragraphs do not: kept out of line).
  std::unique_ptr<RowDef> row;
};

void ReadSprms(std::string_view g, std::string_view data, ParaRun* run) {
  std::size_t at = 0;
  while (at + 2 <= g.size()) {
    uint16_t sprm = U16(g, at);
    at += 2;
    std::size_t operand;
    static constexpr std::array<std::size_t, 8> kSizes = {1, 1, 2, 4, 2, 2, 0, 3};
    std::size_t spra = sprm >> 13;
    if (spra != 6) {
      operand = kSizes[spra];
    } else if (sprm == kSprmTDefTable) {
      if (!In(g, at, 2)) return;
      operand = U16(g, at) + 1u;  // cb counts itself minus one
    } else {
      if (!In(g, at, 1)) return;
      if (sprm == kSprmPChgTabs && U8(g, at) == 255) return;  // a form not needed here
      operand = U8(g, at) + 1u;
    }
    if (!In(g, at, operand)) return;
    std::string_view op = g.substr(at, operand);
    if (sprm == kSprmPFInTable) run->in_table = U8(op, 0) != 0;
    if (sprm == kSprmPFTtp) run->row_end = U8(op, 0) != 0;
    if (sprm == kSprmPItap) run->depth = static_cast<int32_t>(U32(op, 0));
    if (sprm == kSprmPIlfo) run->list = U16(op, 0);
    if (sprm == kSprmPIlvl) run->level = U8(op, 0);
    if (sprm == kSprmPHugePapx && !data.empty()) {
      uint32_t fc = U32(op, 0);
      if (In(data, fc, 2) && In(data, fc + 2ull, U16(data, fc))) {
        ReadSprms(data.substr(fc + 2, U16(data, fc)), {}, run);  // {}: never nested further
      }
    }
    if (sprm == kSprmTDefTable && op.size() >= 3) {
      std::size_t cells = U8(op, 2);
      std::size_t need = 3 + 2 * (cells + 1);
      if (cells <= 64 && op.size() >= need) {
        if (!run->row) run->row = std::make_unique<RowDef>();
        run->row->edges.clear();
        for (std::size_t i = 0; i <= cells; ++i) {
          run->row->edges.push_back(static_cast<int16_t>(U16(op, 3 + 2 * i)));
        }
        run->row->horz_merge.assign(cells, 0);
        run->row->vert_merge.assign(cells, 0);
        for (std::size_t i = 0; i < cells && In(op, need + 20 * i, 2); ++i) {
          uint16_t tcgrf = U16(op, need + 20 * i);  // TC80: horzMerge bits 0-1, vertMerge 5-6
          run->row->horz_merge[i] = tcgrf & 3;
          run->row->vert_merge[i] = (tcgrf >> 5) & 3;
        }
      }
    }
    at += operand;
  }
}

// The paragraph runs of the document, in FC order, from the PlcBtePapx and its FKP pages.
// At most max_runs runs (a document has about one per paragraph); each page is read once.
Result<std::vector<ParaRun>> ReadParaRuns(std::string_view word, std::string_view table,
                                          std::string_view data, uint32_t fc, uint32_t lcb,
                                          std::size_t max_runs) {
  std::vector<ParaRun> runs;
  std::vector<bool> page_read(word.size() / 512 + 1, false);
  if (lcb < 4 || !In(table, fc, lcb)) return runs;  // no properties: tables by heuristics
  std::string_view plc = table.substr(fc, lcb);
  std::size_t n = (plc.size() - 4) / 8;
  for (std::size_t i = 0; i < n; ++i) {
    uint32_t pn = U32(plc, 4 * (n + 1) + 4 * i) & 0x3FFFFF;
    if (pn >= page_read.size()) return Status::Corruption("a paragraph property page past the end");
    if (page_read[pn]) return Status::Corruption("a paragraph property page listed twice");
    page_read[pn] = true;
    uint64_t page_at = static_cast<uint64_t>(pn) * 512;
    if (!In(word, page_at, 512))
      return Status::Corruption("a paragraph property page past the end");
    std::string_view page = word.substr(page_at, 512);
    std::size_t crun = U8(page, 511);
    if (4 * (crun + 1) + 13 * crun > 511)
      return Status::Corruption("a bad paragraph property page");
    for (std::size_t r = 0; r < crun; ++r) {
      ParaRun run;
      run.fc_begin = U32(page, 4 * r);
      run.fc_end = U32(page, 4 * (r + 1));
      std::size_t b_offset = 2u * U8(page, 4 * (crun + 1) + 13 * r);
      if (b_offset != 0 && b_offset < 511) {
        std::size_t cb = U8(page, b_offset);
        std::size_t start = b_offset + 1;
        std::size_t size =
            cb == 0 ? 2u * U8(page, std::min<std::size_t>(b_offset + 1, 511)) : 2 * cb - 1;
        if (cb == 0) ++start;
        if (size >= 2 && In(page, start, size))
          ReadSprms(page.substr(start + 2, size - 2), data, &run);
      }
      if (runs.size() >= max_runs) return Status::Corruption("more paragraph runs than text");
      runs.push_back(std::move(run));
    }
  }
  std::sort(runs.begin(), runs.end(),
            [](const ParaRun& a, const ParaRun& b) { return a.fc_begin < b.fc_begin; });
  return runs;
}

const ParaRun* RunAt(const std::vector<ParaRun>& runs, uint32_t fc) {
  auto it = std::upper_bound(runs.begin(), runs.end(), fc,
                             [](uint32_t f, const ParaRun& r) { return f < r.fc_begin; });
  if (it == runs.begin()) return nullptr;
  --it;
  return fc < it->fc_end ? &*it : nullptr;
}

void AppendUtf8(uint32_t cp, std::string* out);

// ---- Lists ([MS-DOC] PlfLst, LVL, PlfLfo) ----

// The labels of numbered paragraphs: "一、" for the first item of a list whose level 0 counts
// in Chinese with the text "%1、". A list the reader cannot read gives no labels.
class DocLists {
 public:
  void Load(std::string_view t, uint32_t fc_lst, uint32_t lcb_lst, uint32_t fc_lfo,
            uint32_t lcb_lfo) {
    if (lcb_lst < 2 || !In(t, fc_lst, lcb_lst) || lcb_lfo < 4 || !In(t, fc_lfo, lcb_lfo)) return;
    auto count = static_cast<int16_t>(U16(t, fc_lst));
    if (count <= 0 || count > 1000) return;
    std::vector<List> lists;
    uint64_t at = fc_lst + 2ull;
    for (int i = 0; i < count; ++i, at += 28) {
      if (!In(t, at, 28)) return;
      List list;
      list.lsid = U32(t, at);
      list.levels.resize((U8(t, at + 26) & 1) != 0 ? 1 : 9);  // fSimpleList
      lists.push_back(std::move(list));
    }
    // The LVLs follow the PlfLst, past what lcbPlfLst counts.
    for (List& list : lists) {
      for (Level& level : list.levels) {
        if (!In(t, at, 28)) return;
        level.start = static_cast<int>(U32(t, at));
        level.format = FindListNumberFormat(static_cast<int>(U8(t, at + 4)));
        at += 28ull + U8(t, at + 25) + U8(t, at + 24);  // LVLF, grpprlPapx, grpprlChpx
        if (!In(t, at, 2)) return;
        uint16_t cch = U16(t, at);
        if (!In(t, at + 2, 2ull * cch)) return;
        for (uint16_t k = 0; k < cch; ++k) level.text.push_back(U16(t, at + 2 + 2ull * k));
        at += 2 + 2ull * cch;
      }
    }
    uint32_t lfos = U32(t, fc_lfo);
    for (uint32_t i = 0; i < lfos && In(t, fc_lfo + 4ull + 16ull * i, 16); ++i) {
      uint32_t lsid = U32(t, fc_lfo + 4ull + 16ull * i);
      int found = -1;
      for (std::size_t k = 0; k < lists.size(); ++k) {
        if (lists[k].lsid == lsid) found = static_cast<int>(k);
      }
      lfo_.push_back(found);
    }
    lists_ = std::move(lists);
  }

  // The label of the next paragraph of list `lfo` at `ilvl`, counting it.
  std::string Next(uint16_t lfo, uint8_t ilvl) {
    if (lfo == 0 || lfo > lfo_.size() || lfo_[lfo - 1] < 0) return {};
    List& list = lists_[static_cast<std::size_t>(lfo_[lfo - 1])];
    std::size_t n = std::min<std::size_t>(ilvl, list.levels.size() - 1);
    list.counters[n] = list.started[n] ? list.counters[n] + 1 : list.levels[n].start;
    list.started[n] = true;
    for (std::size_t deeper = n + 1; deeper < 9; ++deeper) list.started[deeper] = false;
    if (list.levels[n].format == nullptr) return {};  // bullets, none
    std::string out;
    for (char16_t c : list.levels[n].text) {
      if (c < 9 && c < list.levels.size()) {  // a placeholder: the number of level c
        const Level& named = list.levels[c];
        int value = list.started[c] ? list.counters[c] : named.start;
        out += named.format != nullptr ? named.format->format(value) : std::to_string(value);
      } else if (c >= 0x20 && (c < 0xD800 || c > 0xDFFF)) {
        AppendUtf8(c, &out);
      }
    }
    return out;
  }

 private:
  struct Level {
    int start = 1;
    const ListNumberFormat* format = nullptr;
    std::u16string text;  // the number text: characters 0-8 stand for the levels' numbers
  };
  struct List {
    uint32_t lsid = 0;
    std::vector<Level> levels;
    std::array<int, 9> counters{};
    std::array<bool, 9> started{};
  };
  std::vector<List> lists_;
  std::vector<int> lfo_;  // per LFO, the index of its list, or -1
};

// ---- Text ----

// The "compressed" 8-bit pieces are CP1252 ([MS-DOC] 2.4.1): 0x80-0x9F differ from Latin-1.
constexpr std::array<char16_t, 32> kCp1252High = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178};

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    *out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    *out += static_cast<char>(0xC0 | (cp >> 6));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    *out += static_cast<char>(0xE0 | (cp >> 12));
    *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    *out += static_cast<char>(0xF0 | (cp >> 18));
    *out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Turns the main text's characters into blocks: paragraphs, and tables from cell marks.
class TextBuilder {
 public:
  TextBuilder(const std::vector<ParaRun>& runs, DocLists* lists, std::size_t max_text_bytes)
      : runs_(runs), lists_(lists), max_text_bytes_(max_text_bytes) {}

  Status Add(uint16_t c, uint32_t fc) {
    if (c >= 0xD800 && c <= 0xDBFF) {
      high_ = c;
      return Status::Ok();
    }
    uint32_t cp = c;
    if (c >= 0xDC00 && c <= 0xDFFF) {
      if (high_ == 0) return Status::Ok();
      cp = 0x10000 + ((static_cast<uint32_t>(high_) - 0xD800) << 10) + (c - 0xDC00);
    }
    high_ = 0;
    switch (c) {
      case 0x13:  // field begin: its code follows, then 0x14 and its result, then 0x15
        fields_.push_back(true);
        ++in_code_;
        return Status::Ok();
      case 0x14:
        if (!fields_.empty() && fields_.back()) {
          fields_.back() = false;
          --in_code_;
        }
        return Status::Ok();
      case 0x15:
        if (!fields_.empty()) {
          if (fields_.back()) --in_code_;
          fields_.pop_back();
        }
        return Status::Ok();
      default:
        break;
    }
    if (in_code_ > 0) return Status::Ok();
    const ParaRun* run = RunAt(runs_, fc);
    bool in_table = run != nullptr && run->in_table;
    switch (c) {
      case 0x0D:
      case 0x0C:
        if (in_table) {
          text_ += '\n';
        } else {
          if (run != nullptr && run->list != 0) text_ = lists_->Next(run->list, run->level) + text_;
          EndParagraph();
        }
        break;
      case 0x07:
        EndCell(run);
        break;
      case 0x0B:
        text_ += '\n';
        break;
      case 0x09:
        text_ += '\t';
        break;
      case 0x1E:
        text_ += '-';
        break;
      default:
        if (cp >= 0x20) AppendUtf8(cp, &text_);
        break;
    }
    if (c != 0x07) last_was_cell_end_ = false;
    used_ += 1;
    if (text_.size() + used_ > max_text_bytes_) {
      return Status::TooLarge("the text is over the limit of " + std::to_string(max_text_bytes_) +
                              " bytes");
    }
    return Status::Ok();
  }

  Document Finish() {
    EndParagraph();
    return std::move(doc_);
  }

 private:
  static std::string Trimmed(std::string s) {
    while (!s.empty() && s.back() == '\n') s.pop_back();
    return s;
  }

  void EndParagraph() {
    CloseTable();
    std::string text = std::move(text_);
    text_.clear();
    if (text.find_first_not_of(" \t\n") == std::string::npos) return;
    used_ += text.size();
    Block b;
    b.kind = Block::Kind::kParagraph;
    b.text = std::move(text);
    doc_.blocks.push_back(std::move(b));
  }

  // A cell mark ends a cell, or, in a paragraph marked fTtp, the row. Without paragraph
  // properties (none found for this mark), a mark straight after a cell's mark ends the row.
  void EndCell(const ParaRun* run) {
    bool row_end =
        run != nullptr ? run->row_end && run->depth <= 1 : last_was_cell_end_ && text_.empty();
    if (run != nullptr && run->depth > 1 && !run->row_end) {
      text_ += ' ';  // a cell of a nested table: flattened into the outer cell's text
      return;
    }
    if (run != nullptr && run->depth > 1) {
      text_ += '\n';
      return;
    }
    if (row_end) {
      rows_.push_back({std::move(cells_), run != nullptr && run->row ? *run->row : RowDef{}});
      cells_.clear();
      text_.clear();
      last_was_cell_end_ = false;
      return;
    }
    used_ += text_.size() + 16;
    cells_.push_back(Trimmed(std::move(text_)));
    text_.clear();
    last_was_cell_end_ = true;
  }

  // The rows read into a grid: cell boundaries of all rows give the columns; a cell spanning
  // several is expanded into copies, and a cell merged into the one above copies its text.
  void CloseTable() {
    if (!cells_.empty()) {
      rows_.push_back({std::move(cells_), RowDef{}});
      cells_.clear();
    }
    if (rows_.empty()) return;
    std::vector<int> edges;
    for (const auto& [cells, def] : rows_) {
      if (def.edges.size() == cells.size() + 1)
        edges.insert(edges.end(), def.edges.begin(), def.edges.end());
    }
    std::sort(edges.begin(), edges.end());
    // Boundaries a few twips apart are the same column line.
    std::vector<int> columns;
    for (int e : edges) {
      if (columns.empty() || e - columns.back() > 20) columns.push_back(e);
    }
    Table table;
    for (const auto& [cells, def] : rows_) {
      Row row;
      bool has_def = def.edges.size() == cells.size() + 1;
      const Row* above = table.rows.empty() ? nullptr : &table.rows.back();
      for (std::size_t i = 0; i < cells.size(); ++i) {
        std::size_t span = 1;
        if (has_def && !columns.empty()) {
          auto col = [&](int x) {
            return static_cast<std::size_t>(
                std::lower_bound(columns.begin(), columns.end(), x - 20) - columns.begin());
          };
          std::size_t from = col(def.edges[i]), to = col(def.edges[i + 1]);
          span = to > from ? std::min<std::size_t>(to - from, 256) : 1;
        }
        std::size_t at = row.size();
        bool merged_above = has_def && def.vert_merge[i] == 1;
        bool merged_left = has_def && def.horz_merge[i] == 2 && !row.empty();
        for (std::size_t k = 0; k < span && row.size() < 256; ++k) {
          Cell cell;
          if (merged_above && above != nullptr && at + k < above->size()) {
            cell.text = (*above)[at + k].text;
            cell.span_copy = true;
          } else if (merged_left) {
            cell.text = row.back().text;
            cell.span_copy = true;
          } else {
            cell.text = cells[i];
            cell.span_copy = k > 0;
          }
          used_ += cell.text.size() + 16;
          row.push_back(std::move(cell));
        }
      }
      table.rows.push_back(std::move(row));
    }
    rows_.clear();
    Block b;
    b.kind = Block::Kind::kTable;
    b.table = std::move(table);
    doc_.blocks.push_back(std::move(b));
  }

  const std::vector<ParaRun>& runs_;
  DocLists* lists_;
  std::size_t max_text_bytes_;
  std::size_t used_ = 0;
  uint16_t high_ = 0;
  std::vector<bool> fields_;  // per open field: true while in its code
  std::size_t in_code_ = 0;   // how many of them are in their code
  std::string text_;
  bool last_was_cell_end_ = false;
  std::vector<std::string> cells_;
  std::vector<std::pair<std::vector<std::string>, RowDef>> rows_;
  Document doc_;
};

}  // namespace

Result<Document> ReadDoc(std::string_view bytes, const ReaderLimits& limits) {
  CompoundFile cfb;
  Status opened = cfb.Open(bytes);
  if (!opened.ok()) return opened;
  auto word = cfb.Stream("WORDDOCUMENT");
  if (!word.ok()) return word.status();
  std::string_view w = word.value();

  // The FIB ([MS-DOC] 2.5.1): FibBase, then counted arrays up to fcClx.
  if (!In(w, 0, 0x22)) return Status::Corruption("truncated: no FIB");
  if (U16(w, 0) != 0xA5EC) return Status::Corruption("not a Word document (bad FIB)");
  if (U16(w, 2) < 0x00C1) return Status::InvalidArgument("a Word 6/95 document, not Word 97");
  uint16_t flags = U16(w, 0x0A);
  if ((flags & 0x0100) != 0) return Status::InvalidArgument("encrypted");
  std::size_t at = 0x20;
  uint16_t csw = U16(w, at);
  at += 2 + 2u * csw;
  if (!In(w, at, 2)) return Status::Corruption("truncated FIB");
  uint16_t cslw = U16(w, at);
  at += 2;
  if (cslw < 4 || !In(w, at, 4u * cslw + 2)) return Status::Corruption("truncated FIB");
  uint32_t ccp_text = U32(w, at + 12);
  at += 4u * cslw;
  uint16_t pairs = U16(w, at);
  at += 2;
  if (pairs < 34 || !In(w, at, 8u * 34)) return Status::Corruption("truncated FIB");
  uint32_t fc_papx = U32(w, at + 8 * 13), lcb_papx = U32(w, at + 8 * 13 + 4);
  uint32_t fc_clx = U32(w, at + 8 * 33), lcb_clx = U32(w, at + 8 * 33 + 4);
  // fcPlfLst and fcPlfLfo, pairs 73 and 74, when the FIB is long enough to have them.
  bool has_lists = pairs >= 75 && In(w, at, 8u * 75);
  uint32_t fc_lst = has_lists ? U32(w, at + 8 * 73) : 0,
           lcb_lst = has_lists ? U32(w, at + 8 * 73 + 4) : 0;
  uint32_t fc_lfo = has_lists ? U32(w, at + 8 * 74) : 0,
           lcb_lfo = has_lists ? U32(w, at + 8 * 74 + 4) : 0;
  if (ccp_text > limits.max_text_bytes) {
    return Status::TooLarge("the text is over the limit of " +
                            std::to_string(limits.max_text_bytes) + " bytes");
  }

  auto table = cfb.Stream((flags & 0x0200) != 0 ? "1TABLE" : "0TABLE");
  if (!table.ok()) return table.status();
  std::string_view t = table.value();

  // The piece table: the CLX's Pcdt after any Prc.
  if (!In(t, fc_clx, lcb_clx))
    return Status::Corruption("truncated: the piece table is past the end");
  std::string_view clx = t.substr(fc_clx, lcb_clx);
  std::size_t pos = 0;
  std::string_view plc;
  while (pos < clx.size()) {
    if (U8(clx, pos) == 0x01 && In(clx, pos + 1, 2)) {
      pos += 3 + U16(clx, pos + 1);
    } else if (U8(clx, pos) == 0x02 && In(clx, pos + 1, 4)) {
      uint32_t lcb = U32(clx, pos + 1);
      if (!In(clx, pos + 5, lcb)) break;
      plc = clx.substr(pos + 5, lcb);
      break;
    } else {
      break;
    }
  }
  if (plc.size() < 16) return Status::Corruption("no piece table");

  auto data = cfb.Stream("DATA");  // absent in a document without large paragraph properties
  auto runs = ReadParaRuns(w, t, data.ok() ? std::string_view(data.value()) : std::string_view(),
                           fc_papx, lcb_papx, std::min<std::size_t>(ccp_text, w.size()) + 4096);
  if (!runs.ok()) return runs.status();

  DocLists lists;
  lists.Load(t, fc_lst, lcb_lst, fc_lfo, lcb_lfo);
  TextBuilder builder(runs.value(), &lists, limits.max_text_bytes);
  std::size_t pieces = (plc.size() - 4) / 12;
  for (std::size_t i = 0; i < pieces; ++i) {
    uint32_t cp_begin = U32(plc, 4 * i);
    uint32_t cp_end = std::min(U32(plc, 4 * (i + 1)), ccp_text);
    if (cp_begin >= cp_end) continue;
    uint32_t fc_raw = U32(plc, 4 * (pieces + 1) + 8 * i + 2);
    bool compressed = (fc_raw & 0x40000000u) != 0;
    uint32_t fc = fc_raw & 0x3FFFFFFFu;
    uint32_t n = cp_end - cp_begin;
    if (compressed) {
      uint32_t start = fc / 2;
      if (!In(w, start, n)) return Status::Corruption("truncated: a text piece past the end");
      for (uint32_t k = 0; k < n; ++k) {
        uint8_t b = U8(w, start + k);
        char16_t c = b >= 0x80 && b < 0xA0 ? kCp1252High[b - 0x80] : b;
        Status s = builder.Add(c, start + k);
        if (!s.ok()) return s;
      }
    } else {
      if (!In(w, fc, 2ull * n)) return Status::Corruption("truncated: a text piece past the end");
      for (uint32_t k = 0; k < n; ++k) {
        Status s = builder.Add(U16(w, fc + 2 * k), fc + 2 * k);
        if (!s.ok()) return s;
      }
    }
  }
  return builder.Finish();
}

}  // namespace nianbao::parser
