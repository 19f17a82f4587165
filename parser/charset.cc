#include "parser/charset.h"

#include <errno.h>
#include <iconv.h>
#include <uchardet/uchardet.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>

#include "parser/text_util.h"

namespace nianbao::parser {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD in UTF-8
constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

// How far into the page a <meta> declaration counts, as in the HTML standard's prescan.
constexpr size_t kMetaWindow = 4096;
// Bytes given to statistical detection (a 350 KB portal page fits whole).
constexpr size_t kDetectionSample = 1u << 20;

// ---- Labels ----

// One canonical name per encoding, with the iconv name used to decode it. WHATWG maps the
// Latin-1 family onto windows-1252; the GB family onto GB18030 (a superset of all of them);
// big5 onto Big5-HKSCS (a superset of the Big5 portals use).
struct CharsetSpec {
  std::string_view canonical;
  std::string_view iconv_name;
  // A declaration of this charset is weak evidence: servers and templates put it on pages
  // that are really UTF-8 or GBK (error pages that claim iso-8859-1), so it only decides
  // when the bytes agree.
  bool weak;
};

constexpr std::array<CharsetSpec, 9> kCharsets = {{
    {"utf-8", "UTF-8", false},
    {"gb18030", "GB18030", false},
    {"big5", "BIG5-HKSCS", false},
    {"utf-16le", "UTF-16LE", false},
    {"utf-16be", "UTF-16BE", false},
    {"windows-1252", "WINDOWS-1252", true},
    {"shift_jis", "SHIFT_JIS", false},
    {"euc-jp", "EUC-JP", false},
    {"euc-kr", "EUC-KR", false},
}};

struct LabelAlias {
  std::string_view label;      // lower case, as it appears in headers and <meta>
  std::string_view canonical;  // a name of kCharsets
};

// Labels seen on Chinese portals and the WHATWG aliases of the encodings above.
constexpr std::array<LabelAlias, 43> kAliases = {{
    {"utf-8", "utf-8"},
    {"utf8", "utf-8"},
    {"unicode-1-1-utf-8", "utf-8"},
    {"x-unicode20utf8", "utf-8"},
    {"gb18030", "gb18030"},
    {"gb2312", "gb18030"},
    {"gbk", "gb18030"},
    {"x-gbk", "gb18030"},
    {"cp936", "gb18030"},
    {"ms936", "gb18030"},
    {"windows-936", "gb18030"},
    {"gb_2312", "gb18030"},
    {"gb_2312-80", "gb18030"},
    {"csgb2312", "gb18030"},
    {"chinese", "gb18030"},
    {"iso-ir-58", "gb18030"},
    {"euc-cn", "gb18030"},
    {"x-euc-cn", "gb18030"},
    {"big5", "big5"},
    {"big5-hkscs", "big5"},
    {"cn-big5", "big5"},
    {"csbig5", "big5"},
    {"x-x-big5", "big5"},
    {"utf-16", "utf-16le"},
    {"utf-16le", "utf-16le"},
    {"utf-16be", "utf-16be"},
    {"iso-8859-1", "windows-1252"},
    {"iso8859-1", "windows-1252"},
    {"iso_8859-1", "windows-1252"},
    {"latin1", "windows-1252"},
    {"l1", "windows-1252"},
    {"us-ascii", "windows-1252"},
    {"ascii", "windows-1252"},
    {"windows-1252", "windows-1252"},
    {"cp1252", "windows-1252"},
    {"x-cp1252", "windows-1252"},
    {"shift_jis", "shift_jis"},
    {"shift-jis", "shift_jis"},
    {"sjis", "shift_jis"},
    {"euc-jp", "euc-jp"},
    {"euc-kr", "euc-kr"},
    {"ks_c_5601-1987", "euc-kr"},
    {"windows-949", "euc-kr"},
}};

const CharsetSpec* FindSpec(std::string_view canonical) {
  for (const auto& s : kCharsets) {
    if (s.canonical == canonical) return &s;
  }
  return nullptr;
}

char LowerAscii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool IsAsciiSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// Case-insensitive search for an ASCII needle (lower case) in haystack, from `from`.
size_t FindNoCase(std::string_view hay, std::string_view needle, size_t from = 0) {
  if (needle.empty() || hay.size() < needle.size()) return std::string_view::npos;
  for (size_t i = from; i + needle.size() <= hay.size(); ++i) {
    size_t k = 0;
    while (k < needle.size() && LowerAscii(hay[i + k]) == needle[k]) ++k;
    if (k == needle.size()) return i;
  }
  return std::string_view::npos;
}

// The value after "charset" (or "encoding") in s: `charset = "gb2312"` -> "gb2312".
// Returns "" when there is none.
std::string_view ValueAfter(std::string_view s, std::string_view key) {
  size_t pos = 0;
  while ((pos = FindNoCase(s, key, pos)) != std::string_view::npos) {
    size_t i = pos + key.size();
    pos = i;
    while (i < s.size() && IsAsciiSpace(s[i])) ++i;
    if (i >= s.size() || s[i] != '=') continue;
    ++i;
    while (i < s.size() && IsAsciiSpace(s[i])) ++i;
    char quote = 0;
    if (i < s.size() && (s[i] == '"' || s[i] == '\'')) quote = s[i++];
    size_t start = i;
    while (i < s.size() && s[i] != quote && s[i] != ';' && s[i] != ',' && s[i] != '>' &&
           s[i] != '"' && s[i] != '\'' && s[i] != '/' && !IsAsciiSpace(s[i])) {
      ++i;
    }
    if (i > start) return s.substr(start, i - start);
  }
  return {};
}

// The charset a page declares about itself in its first kMetaWindow bytes: <meta charset>,
// <meta http-equiv="Content-Type" content="...; charset=...">, or an XML declaration.
std::string_view DeclaredInMarkup(std::string_view bytes) {
  std::string_view head = bytes.substr(0, kMetaWindow);
  if (FindNoCase(head.substr(0, 64), "<?xml") != std::string_view::npos) {
    size_t end = head.find("?>");
    std::string_view decl = head.substr(0, end);
    if (auto v = ValueAfter(decl, "encoding"); !v.empty()) return v;
  }
  size_t pos = 0;
  while ((pos = FindNoCase(head, "<meta", pos)) != std::string_view::npos) {
    size_t end = head.find('>', pos);
    std::string_view tag = head.substr(pos, end == std::string_view::npos ? head.npos : end - pos);
    if (auto v = ValueAfter(tag, "charset"); !v.empty()) return v;
    pos += 5;
  }
  return {};
}

// ---- UTF-8 ----

// Length of the maximal ill-formed subpart at s[i] (at least 1): the bytes that a decoder
// replaces by one U+FFFD, as the WHATWG decoder and Unicode's recommended practice do.
size_t IllFormedLength(std::string_view s, size_t i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char b0 = byte(i);
  size_t len = 0;
  unsigned char lo = 0x80, hi = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    return 1;
  }
  size_t k = 1;
  for (; k < len && i + k < s.size(); ++k) {
    unsigned char b = byte(i + k);
    unsigned char min = k == 1 ? lo : 0x80, max = k == 1 ? hi : 0xBF;
    if (b < min || b > max) break;
  }
  return k;
}

// The end of the run of ASCII bytes that starts at s[i], read eight bytes at a time: most bytes
// of a portal page are ASCII markup, and the scans below pass over them byte by byte otherwise.
size_t EndOfAscii(std::string_view s, size_t i) {
  constexpr uint64_t kHighBits = 0x8080808080808080ull;
  while (i + 8 <= s.size()) {
    uint64_t word;
    std::memcpy(&word, s.data() + i, sizeof word);
    if ((word & kHighBits) != 0) break;
    i += 8;
  }
  while (i < s.size() && static_cast<unsigned char>(s[i]) < 0x80) ++i;
  return i;
}

struct Utf8Stats {
  size_t multibyte = 0;    // well-formed sequences of 2-4 bytes
  size_t invalid = 0;      // ill-formed subparts (a sequence cut by the end is not counted)
  bool truncated = false;  // the input ends inside a sequence (a page cut short)
};

Utf8Stats ScanUtf8(std::string_view s) {
  Utf8Stats st;
  size_t i = 0;
  while (i < s.size()) {
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      i = EndOfAscii(s, i);
      continue;
    }
    bool truncated = false;
    size_t len = Utf8SequenceLength(s, i, &truncated);
    if (len > 0) {
      ++st.multibyte;
      i += len;
    } else if (truncated) {
      st.truncated = true;
      break;
    } else {
      ++st.invalid;
      i += IllFormedLength(s, i);
    }
  }
  return st;
}

// Bytes that are UTF-8 except for a rare stray byte (a page cut mid-character, one bad
// paste) are UTF-8 to a reader; GBK text is almost never well-formed UTF-8 beyond a
// character or two, so a small error ratio separates the two reliably.
bool MostlyUtf8(const Utf8Stats& st) {
  return st.invalid == 0 || (st.multibyte >= 20 * st.invalid && st.multibyte >= 20);
}

// ---- GB18030 structure ----

// Counts well-formed and ill-formed GB18030 sequences without decoding: two-byte
// (81-FE, 40-7E|80-FE) and four-byte (81-FE, 30-39, 81-FE, 30-39) forms.
struct GbStats {
  size_t multibyte = 0;
  size_t invalid = 0;
};

GbStats ScanGb18030(std::string_view s) {
  GbStats st;
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  size_t i = 0;
  while (i < s.size()) {
    unsigned char b0 = byte(i);
    if (b0 < 0x80) {
      ++i;
      continue;
    }
    if (b0 == 0x80 || b0 == 0xFF || i + 1 >= s.size()) {
      ++st.invalid;
      ++i;
      continue;
    }
    unsigned char b1 = byte(i + 1);
    if ((b1 >= 0x40 && b1 <= 0x7E) || (b1 >= 0x80 && b1 <= 0xFE)) {
      ++st.multibyte;
      i += 2;
    } else if (b1 >= 0x30 && b1 <= 0x39 && i + 3 < s.size() && byte(i + 2) >= 0x81 &&
               byte(i + 2) <= 0xFE && byte(i + 3) >= 0x30 && byte(i + 3) <= 0x39) {
      ++st.multibyte;
      i += 4;
    } else {
      ++st.invalid;
      ++i;
    }
  }
  return st;
}

// ---- Decoding ----

struct IconvCloser {
  void operator()(iconv_t cd) const { iconv_close(cd); }
};

// Decodes with iconv; bytes iconv rejects become U+FFFD (one per rejected byte, then
// decoding resumes at the next byte). Returns nullopt when iconv does not know the charset.
std::optional<std::string> IconvToUtf8(std::string_view bytes, std::string_view iconv_name) {
  iconv_t raw = iconv_open("UTF-8", std::string(iconv_name).c_str());
  if (raw == reinterpret_cast<iconv_t>(-1)) return std::nullopt;
  std::unique_ptr<std::remove_pointer_t<iconv_t>, IconvCloser> cd(raw);

  std::string out;
  // Every supported charset needs at most 3 output bytes per input byte (one byte of
  // windows-1252 can become a 3-byte character); E2BIG below handles anything else.
  out.resize(bytes.size() * 3 + 16);
  size_t used = 0;
  // iconv's interface takes char* although it never writes through the input pointer.
  char* in = const_cast<char*>(bytes.data());
  size_t in_left = bytes.size();
  while (in_left > 0) {
    char* dst = out.data() + used;
    size_t dst_left = out.size() - used;
    size_t rc = iconv(cd.get(), &in, &in_left, &dst, &dst_left);
    used = out.size() - dst_left;
    if (rc != static_cast<size_t>(-1)) break;
    if (errno == E2BIG) {
      out.resize(out.size() * 2);
      continue;
    }
    // EILSEQ (an invalid sequence) or EINVAL (a sequence cut by the end of the input).
    if (out.size() - used < kReplacement.size()) out.resize(out.size() * 2);
    out.replace(used, kReplacement.size(), kReplacement);
    used += kReplacement.size();
    if (errno == EINVAL) break;
    ++in;
    --in_left;
    iconv(cd.get(), nullptr, nullptr, nullptr, nullptr);  // reset shift state
  }
  out.resize(used);
  return out;
}

// `well_formed`: the bytes are known to be well-formed UTF-8 (ScanUtf8 found nothing
// invalid), so UTF-8 is a copy: SanitizeUtf8 would only check them again.
Decoded DecodeAs(std::string_view bytes, std::string_view canonical, bool well_formed = false) {
  if (canonical == "utf-8") {
    if (bytes.substr(0, kUtf8Bom.size()) == kUtf8Bom) bytes.remove_prefix(kUtf8Bom.size());
    if (well_formed) return {std::string(bytes), "utf-8"};
    return {SanitizeUtf8(bytes), "utf-8"};
  }
  const CharsetSpec* spec = FindSpec(canonical);
  if (spec != nullptr) {
    if (auto out = IconvToUtf8(bytes, spec->iconv_name)) {
      // iconv's output is well-formed UTF-8; a BOM that came through (UTF-16 input with a
      // BOM after the one already removed) is dropped like a UTF-8 one.
      std::string utf8 = std::move(*out);
      if (std::string_view(utf8).substr(0, kUtf8Bom.size()) == kUtf8Bom) {
        utf8.erase(0, kUtf8Bom.size());
      }
      return {std::move(utf8), std::string(spec->canonical)};
    }
  }
  // A charset this system's iconv lacks: keep what is readable.
  return {SanitizeUtf8(bytes), "utf-8"};
}

std::string DetectWithUchardet(std::string_view bytes) {
  // A sample is enough for statistics, and uchardet costs ~100 ns a byte on binary junk.
  bytes = bytes.substr(0, kDetectionSample);
  std::unique_ptr<uchardet, void (*)(uchardet_t)> ud(uchardet_new(), uchardet_delete);
  if (!ud) return "";
  if (uchardet_handle_data(ud.get(), bytes.data(), bytes.size()) != 0) return "";
  uchardet_data_end(ud.get());
  const char* name = uchardet_get_charset(ud.get());
  return name == nullptr ? "" : CanonicalCharset(name);
}

// Statistical detection for pages whose declaration is absent, weak or contradicted.
// Chinese portals are the whole world of this project, so GB18030 is preferred whenever
// the bytes are well-formed GB18030 and uchardet names neither it nor Big5 (short GBK text
// is sometimes taken for EUC-KR or Shift_JIS).
std::string Detect(std::string_view bytes, const Utf8Stats& utf8) {
  if (MostlyUtf8(utf8)) return "utf-8";
  std::string guess = DetectWithUchardet(bytes);
  if (guess == "gb18030" || guess == "big5" || guess == "utf-16le" || guess == "utf-16be") {
    return guess;
  }
  GbStats gb = ScanGb18030(bytes);
  if (gb.multibyte > 0 && gb.multibyte >= 20 * gb.invalid) return "gb18030";
  if (!guess.empty()) return guess;
  return "windows-1252";
}

}  // namespace

std::string CanonicalCharset(std::string_view label) {
  while (!label.empty() &&
         (IsAsciiSpace(label.front()) || label.front() == '"' || label.front() == '\'')) {
    label.remove_prefix(1);
  }
  while (!label.empty() &&
         (IsAsciiSpace(label.back()) || label.back() == '"' || label.back() == '\'')) {
    label.remove_suffix(1);
  }
  if (label.size() > 40) return "";
  std::string lower;
  lower.reserve(label.size());
  for (char c : label) lower.push_back(LowerAscii(c));
  for (const auto& a : kAliases) {
    if (a.label == lower) return std::string(a.canonical);
  }
  return "";
}

std::string SanitizeUtf8(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  size_t i = 0;
  size_t run = 0;  // start of the pending run of well-formed bytes
  while (i < bytes.size()) {
    if (static_cast<unsigned char>(bytes[i]) < 0x80) {
      i = EndOfAscii(bytes, i);
      continue;
    }
    bool truncated = false;
    size_t len = Utf8SequenceLength(bytes, i, &truncated);
    if (len > 0) {
      i += len;
      continue;
    }
    out.append(bytes.substr(run, i - run));
    out.append(kReplacement);
    i += truncated ? bytes.size() - i : IllFormedLength(bytes, i);
    run = i;
  }
  out.append(bytes.substr(run));
  return out;
}

Decoded DecodeToUtf8(std::string_view bytes, std::string_view content_type) {
  // 1. A byte-order mark is the strongest evidence there is.
  if (bytes.substr(0, 3) == kUtf8Bom) return DecodeAs(bytes, "utf-8");
  if (bytes.substr(0, 2) == "\xFF\xFE") return DecodeAs(bytes.substr(2), "utf-16le");
  if (bytes.substr(0, 2) == "\xFE\xFF") return DecodeAs(bytes.substr(2), "utf-16be");

  // 2. The HTTP header, then 3. the page's own declaration.
  std::string declared = CanonicalCharset(ValueAfter(content_type, "charset"));
  bool from_markup = false;
  if (declared.empty()) {
    declared = CanonicalCharset(DeclaredInMarkup(bytes));
    from_markup = true;
  }
  // A page that could read its own <meta> is ASCII-compatible: a UTF-16 label there is a
  // mistake of the authoring tool (the HTML standard reads it as UTF-8).
  if (from_markup && (declared == "utf-16le" || declared == "utf-16be")) declared = "utf-8";

  if (declared == "utf-16le" || declared == "utf-16be") return DecodeAs(bytes, declared);

  Utf8Stats utf8 = ScanUtf8(bytes);
  // Well-formed UTF-8 read as UTF-8 is copied as it is (the scan was its validation).
  const bool well_formed = utf8.invalid == 0 && !utf8.truncated;
  const CharsetSpec* spec = declared.empty() ? nullptr : FindSpec(declared);
  if (spec == nullptr) {
    return DecodeAs(bytes, Detect(bytes, utf8), well_formed);  // 4. nothing usable
  }
  if (declared == "utf-8") {
    // GBK pages that lie about being UTF-8 lose to detection.
    return DecodeAs(bytes, MostlyUtf8(utf8) ? "utf-8" : Detect(bytes, utf8), well_formed);
  }
  // iso-8859-1 / windows-1252 claims come from servers' defaults and error pages: the bytes
  // decide (Detect takes well-formed UTF-8 as UTF-8, GBK as GB18030).
  if (spec->weak) return DecodeAs(bytes, Detect(bytes, utf8), well_formed);
  // A legacy declaration over bytes that are well-formed UTF-8 with real multi-byte text:
  // the page was converted to UTF-8 and its template kept the old <meta>. GBK text of more
  // than a few characters is practically never well-formed UTF-8.
  if (utf8.invalid == 0 && utf8.multibyte >= 4) return DecodeAs(bytes, "utf-8", well_formed);
  return DecodeAs(bytes, declared);
}

}  // namespace nianbao::parser
