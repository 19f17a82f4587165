// Parser benchmarks: nianbao's parse + validate (parser::Parse) beside Gumbo's own parse of
// the same bytes, per input, on one core (and on two for the portal pages).
//
//   inputs ─┬─ seed/NNN           tests/fixtures/seeds/*.txt (plain text reports)
//           ├─ html/NAME          tests/fixtures/html/*.html as they are
//           ├─ portal/NAME@300KiB the UTF-8 report fixtures inflated with portal chrome and
//           │                     Word/mso markup to 300 KiB (deterministic, see Inflate())
//           └─ size/NNNKiB        one small report (seed 003 as a plain HTML page) inflated
//                                 to 10 KiB ... 5 MiB: the page-size series
//
//   per input:  nianbao_parse/<input>    parser::Parse (charset, Gumbo reader, report parser,
//                                        rules, narrative): what the pipeline runs per page
//               gumbo_parse/<input>      gumbo_parse + gumbo_destroy_output (default options:
//                                        the baseline the issue names)
//               gumbo_parse_noerr/<input> the same with max_errors = 0, as nianbao's reader
//                                        configures Gumbo (no error list is kept)
//               nianbao_parse_noprepass/<input>, stage_read_html_noprepass/<input>
//                                        the same without the HTML reader's pre-pass
//                                        (parser/html_prepass.h): what it saves;
//               stage_prepass/<input>    the pre-pass alone (HTML inputs); prepass_bytes:
//                                        what it leaves of the page
//   every input also: stage_decode, stage_read_html (the reader Parse picks: Gumbo reader for
//   HTML, text reader for plain text), stage_report (parse of an already read Document +
//   narrative + rules): where the time of nianbao_parse goes;
//   document_parse/{pdf,ofd}/form_2021: the PDF and OFD of html/form_2021 read and parsed
//   (reader, layout rebuild, report parser, rules), beside nianbao_parse/html/form_2021;
//   portal and size inputs also: nianbao_parse_json (Parse + ToJson().dump()), and
//   crawler_report_page: what the crawler's event-loop thread does with every report page
//   it fetches before the pipeline parses it (SHA-256, decode, ExtractLinks for attachments).
//
// Counters: bytes_per_second / items_per_second (reports/s) from SetBytesProcessed and
// SetItemsProcessed; peak_heap_bytes (the largest amount of heap, malloc and operator new
// together, held at once during one call, measured once before the timed loop by the counting
// allocator below); findings and is_report of that call (a check that inflation kept the
// report the same).
//
// Extra flags (before Google Benchmark's own): --dump-inputs=DIR writes every input to DIR;
// --list-inputs prints their names and sizes; --inputs-dir=DIR adds every *.html file of DIR as
// "local/<stem>", served with the Content-Type that DIR/content-types.tsv gives it (lines
// "file<TAB>type"; scripts/bench-peer.sh writes the local test portal's report pages there).
#include <benchmark/benchmark.h>
#include <gumbo.h>
#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "crawler/links.h"
#include "parser/charset.h"
#include "parser/html_reader.h"
#include "parser/narrative.h"
#include "parser/ofd_reader.h"
#include "parser/parser.h"
#include "parser/pdf_reader.h"
#include "parser/record_json.h"
#include "parser/report_parser.h"
#include "parser/rules.h"
#include "parser/text_reader.h"

#ifndef NIANBAO_FIXTURES
#error "NIANBAO_FIXTURES must name tests/fixtures"
#endif

// ---------------------------------------------------------------------------------------------
// Counting allocator: glibc's malloc family, interposed in this executable, so that Gumbo's
// malloc calls count as well as operator new. Counting is off unless a measurement runs, and
// costs one relaxed load per call when off. Not built under sanitizers (they interpose malloc).
// ---------------------------------------------------------------------------------------------
#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
    __has_feature(memory_sanitizer)
#define NIANBAO_BENCH_SANITIZED 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__) || \
    defined(NIANBAO_BENCH_SANITIZED)
#define NIANBAO_BENCH_COUNT_HEAP 0
#else
#define NIANBAO_BENCH_COUNT_HEAP 1
#endif

namespace heap {
std::atomic<bool> counting{false};
std::atomic<int64_t> current{0};
std::atomic<int64_t> peak{0};

inline void Add(void* p) {
  if (p == nullptr || !counting.load(std::memory_order_relaxed)) return;
  int64_t now =
      current.fetch_add(static_cast<int64_t>(malloc_usable_size(p)), std::memory_order_relaxed) +
      static_cast<int64_t>(malloc_usable_size(p));
  int64_t seen = peak.load(std::memory_order_relaxed);
  while (now > seen && !peak.compare_exchange_weak(seen, now, std::memory_order_relaxed)) {
  }
}

inline void Sub(void* p) {
  if (p == nullptr || !counting.load(std::memory_order_relaxed)) return;
  current.fetch_sub(static_cast<int64_t>(malloc_usable_size(p)), std::memory_order_relaxed);
}

struct Usage {
  int64_t peak = 0;      // the most held at once during the call
  int64_t retained = 0;  // still held after it (0 unless the call leaks or caches)
};

// Runs f() once with counting on. Single-threaded use only.
template <class F>
Usage Measure(F&& f) {
  current = 0;
  peak = 0;
  counting = true;
  f();
  counting = false;
  return {peak.load(), current.load()};
}
}  // namespace heap

#if NIANBAO_BENCH_COUNT_HEAP
extern "C" {
void* __libc_malloc(size_t size);
void* __libc_calloc(size_t n, size_t size);
void* __libc_realloc(void* p, size_t size);
void* __libc_memalign(size_t alignment, size_t size);
void __libc_free(void* p);

void* malloc(size_t size) noexcept {
  void* p = __libc_malloc(size);
  heap::Add(p);
  return p;
}
void* calloc(size_t n, size_t size) noexcept {
  void* p = __libc_calloc(n, size);
  heap::Add(p);
  return p;
}
void* realloc(void* old, size_t size) noexcept {
  heap::Sub(old);
  void* p = __libc_realloc(old, size);
  // A failed realloc keeps the old block.
  heap::Add(p != nullptr || size == 0 ? p : old);
  return p;
}
void free(void* p) noexcept {
  heap::Sub(p);
  __libc_free(p);
}
void* memalign(size_t alignment, size_t size) noexcept {
  void* p = __libc_memalign(alignment, size);
  heap::Add(p);
  return p;
}
void* aligned_alloc(size_t alignment, size_t size) noexcept { return memalign(alignment, size); }
int posix_memalign(void** out, size_t alignment, size_t size) noexcept {
  void* p = memalign(alignment, size);
  if (p == nullptr) return ENOMEM;
  *out = p;
  return 0;
}
void* valloc(size_t size) noexcept {
  return memalign(static_cast<size_t>(sysconf(_SC_PAGESIZE)), size);
}
void* pvalloc(size_t size) noexcept {
  auto page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return memalign(page, (size + page - 1) / page * page);
}
}  // extern "C"
#endif

namespace {

namespace fs = std::filesystem;
using nianbao::parser::ParseInput;

struct Input {
  std::string name;          // "seed/000", "portal/word_2019_utf8@300KiB", ...
  std::string family;        // "seed", "html", "portal", "size", "local"
  std::string bytes;         // the page as served
  std::string content_type;  // "" for files, as `nianbao parse` does
};

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// ---------------------------------------------------------------------------------------------
// Deterministic portal chrome. Real report pages are ~10 KB of report inside 100-350 KB of
// portal template and Word export residue: a head full of mso styles and Word's <xml>
// conditional comments, navigation menus with hundreds of links, "friendly links" selects,
// footers and inline scripts. The reader drops all of it; the parser still has to tokenize it.
// ---------------------------------------------------------------------------------------------

// Word's latent-style and document-property XML, in a conditional comment (a comment to HTML).
std::string WordXml(size_t want) {
  std::string s =
      "<!--[if gte mso 9]><xml>\n<w:WordDocument><w:View>Normal</w:View>"
      "<w:Zoom>0</w:Zoom><w:PunctuationKerning/><w:DrawingGridVerticalSpacing>"
      "7.8 磅</w:DrawingGridVerticalSpacing></w:WordDocument>\n<w:LatentStyles "
      "DefLockedState=\"false\" DefUnhideWhenUsed=\"true\" LatentStyleCount=\"260\">\n";
  for (int i = 0; s.size() + 40 < want; ++i) {
    s += "<w:LsdException Locked=\"false\" Priority=\"" + std::to_string(i % 99) +
         "\" SemiHidden=\"false\" UnhideWhenUsed=\"false\" QFormat=\"true\" Name=\"Style " +
         std::to_string(i) + "\"/>\n";
  }
  s += "</w:LatentStyles></xml><![endif]-->\n";
  return s;
}

// An mso <style> block: font definitions and paragraph/span styles as Word exports them.
std::string MsoStyle(size_t want) {
  std::string s = "<style type=\"text/css\">\n<!--\n";
  for (int i = 0; s.size() + 20 < want; ++i) {
    std::string n = std::to_string(i);
    s += "@font-face {font-family:\"仿宋_GB2312 " + n +
         "\"; panose-1:2 1 6 9 3 1 1 1 1 1; mso-font-charset:134; mso-generic-font-family:modern;"
         " mso-font-pitch:fixed; mso-font-signature:1 135135232 16 0 262144 0;}\n"
         "p.MsoStyle" +
         n + ", li.MsoStyle" + n + ", div.MsoStyle" + n + " {mso-style-name:\"样式 " + n +
         "\"; mso-style-unhide:no; margin:0cm; margin-bottom:.0001pt; text-align:justify;"
         " text-justify:inter-ideograph; mso-pagination:none; font-size:10.5pt;"
         " font-family:\"Times New Roman\",serif; mso-fareast-font-family:宋体;"
         " mso-font-kerning:1.0pt;}\n";
  }
  s += "-->\n</style>\n";
  return s;
}

// Navigation: a menu of columns and a side tree, in a <div class="nav"> the reader drops.
std::string Nav(size_t want) {
  std::string s = "<div class=\"nav\"><ul class=\"menu\">\n";
  for (int i = 0; s.size() + 30 < want; ++i) {
    std::string n = std::to_string(1000 + i);
    s += "<li class=\"menu-item\"><a href=\"/col/col" + n +
         "/index.html\" target=\"_blank\" title=\"" + "政务公开栏目" + n +
         "\"><span class=\"menu-text\">政务公开栏目" + n +
         "</span></a><ul class=\"sub\"><li><a href=\"/col/col" + n +
         "/zfxxgkzn.html\">信息公开指南</a></li><li><a href=\"/col/col" + n +
         "/fdzdgknr.html\">法定主动公开内容</a></li></ul></li>\n";
  }
  s += "</ul></div>\n";
  return s;
}

// Footer: friendly-link selects, site statistics scripts and the copyright lines.
std::string Footer(size_t want) {
  std::string s =
      "<div class=\"footer\"><div class=\"links\">友情链接：<select "
      "onchange=\"window.open(this.value)\"><option>-- 政府网站 --</option>\n";
  size_t options_until = want * 2 / 3;
  for (int i = 0; s.size() < options_until; ++i) {
    std::string n = std::to_string(i);
    s += "<option value=\"http://www.site" + n + ".gov.cn/\">本地测试市第" + n +
         "部门门户网站</option>\n";
  }
  s += "</select></div>\n<script type=\"text/javascript\">\n";
  for (int i = 0; s.size() + 60 < want; ++i) {
    std::string n = std::to_string(i);
    s += "var _stat" + n + " = {site: \"5000000001\", col: " + n +
         ", ref: document.referrer, t: new Date().getTime()}; if (window._hmt) { _hmt.push(['_"
         "trackEvent', 'col', '" +
         n + "']); }\n";
  }
  s += "</script>\n<p>主办：本地测试市人民政府办公室</p></div>\n";
  return s;
}

// Inserts chrome into `page` (an HTML page with <head> and <body>) until it is `target` bytes:
// 30% mso style and 10% Word XML in the head, 35% navigation after <body>, the rest footer
// before </body>. The report itself is untouched, so every size parses to the same record.
std::string Inflate(const std::string& page, size_t target) {
  if (page.size() >= target) return page;
  size_t add = target - page.size();
  size_t head_at = page.find("</head>");
  size_t body_tag = page.find("<body");
  size_t body_at = body_tag == std::string::npos ? std::string::npos : page.find('>', body_tag);
  size_t end_at = page.rfind("</body>");
  if (head_at == std::string::npos || body_at == std::string::npos || end_at == std::string::npos) {
    std::fprintf(stderr, "parser_bench: cannot inflate a page without head and body\n");
    std::abort();
  }
  ++body_at;
  std::string head = MsoStyle(add * 30 / 100) + WordXml(add * 10 / 100);
  std::string nav = Nav(add * 35 / 100);
  size_t left = add > head.size() + nav.size() ? add - head.size() - nav.size() : 0;
  std::string foot = Footer(left);
  std::string out;
  out.reserve(target + 256);
  out.append(page, 0, head_at);
  out += head;
  out.append(page, head_at, body_at - head_at);
  out += nav;
  out.append(page, body_at, end_at - body_at);
  out += foot;
  out.append(page, end_at, std::string::npos);
  // Pad the last few bytes (the generators stop short) with a comment before </html>.
  if (out.size() < target) {
    size_t at = out.rfind("</html>");
    if (at == std::string::npos) at = out.size();
    size_t n = target - out.size();
    std::string pad = n >= 7 ? "<!--" + std::string(n - 7, ' ') + "-->" : std::string(n, '\n');
    out.insert(at, pad);
  }
  return out;
}

std::string Escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '<') {
      out += "&lt;";
    } else if (c == '>') {
      out += "&gt;";
    } else if (c == '&') {
      out += "&amp;";
    } else {
      out += c;
    }
  }
  return out;
}

// A tab-separated seed (002, 003) as a plain HTML article page: a line with a tab is a table
// row (rows of dashes are Markdown rules and dropped), any other non-empty line a paragraph.
std::string PlainPage(const std::string& seed_text, std::string_view title) {
  std::string body;
  bool in_table = false;
  std::istringstream lines(seed_text);
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find('\t') != std::string::npos) {
      if (line.find_first_not_of("-\t ") == std::string::npos) continue;
      if (!in_table) body += "<table border=\"1\">\n";
      in_table = true;
      body += "<tr>";
      size_t start = 0;
      while (true) {
        size_t tab = line.find('\t', start);
        body += "<td>" +
                Escape(std::string_view(line).substr(
                    start, tab == std::string::npos ? std::string::npos : tab - start)) +
                "</td>";
        if (tab == std::string::npos) break;
        start = tab + 1;
      }
      body += "</tr>\n";
    } else if (line.find_first_not_of(" \t") != std::string::npos) {
      if (in_table) body += "</table>\n";
      in_table = false;
      body += "<p>" + Escape(line) + "</p>\n";
    }
  }
  if (in_table) body += "</table>\n";
  return "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n<title>" +
         std::string(title) + "</title>\n</head>\n<body>\n<div class=\"article-content\">\n<h1>" +
         std::string(title) + "</h1>\n" + body + "</div>\n</body>\n</html>\n";
}

std::string SizeName(size_t bytes) {
  if (bytes % (1u << 20) == 0) return std::to_string(bytes >> 20) + "MiB";
  return std::to_string(bytes >> 10) + "KiB";
}

std::vector<Input> LoadInputs() {
  const fs::path fixtures = NIANBAO_FIXTURES;
  std::vector<Input> inputs;
  std::vector<fs::path> seeds, pages;
  for (const auto& e : fs::directory_iterator(fixtures / "seeds")) {
    if (e.path().extension() == ".txt") seeds.push_back(e.path());
  }
  for (const auto& e : fs::directory_iterator(fixtures / "html")) {
    if (e.path().extension() == ".html") pages.push_back(e.path());
  }
  std::sort(seeds.begin(), seeds.end());
  std::sort(pages.begin(), pages.end());
  for (const auto& p : seeds) {
    inputs.push_back({"seed/" + p.filename().string().substr(0, 3), "seed", ReadFile(p), ""});
  }
  for (const auto& p : pages) {
    inputs.push_back({"html/" + p.stem().string(), "html", ReadFile(p), ""});
  }
  // The same reports as documents (tests/fixtures/documents), beside html/form_2021 and
  // html/faults_2019: the parse of each format of one report.
  for (const char* name :
       {"form_2021.docx", "form_2021.doc", "faults_2019.docx", "faults_2019.doc"}) {
    std::string bytes = ReadFile(fixtures / "documents" / name);
    if (!bytes.empty()) inputs.push_back({"document/" + std::string(name), "document", bytes, ""});
  }
  // The UTF-8 report fixtures, each inflated to a typical portal page size.
  for (const char* stem : {"word_2019_utf8", "form_2021", "faults_2019"}) {
    std::string page = ReadFile(fixtures / "html" / (std::string(stem) + ".html"));
    if (page.empty()) continue;
    size_t target = 300u << 10;
    inputs.push_back({"portal/" + std::string(stem) + "@" + SizeName(target), "portal",
                      Inflate(page, target), ""});
  }
  // The page-size series: one small report in more and more chrome.
  std::string small;
  for (const auto& p : seeds) {
    if (p.filename().string().rfind("003_", 0) == 0) small = ReadFile(p);
  }
  if (!small.empty()) {
    std::string page = PlainPage(small, "五龙口镇人民政府2020年政府信息公开工作年度报告");
    for (size_t kib : {10u, 30u, 100u, 300u, 1024u, 5120u}) {
      size_t target = kib << 10;
      inputs.push_back({"size/" + SizeName(target), "size", Inflate(page, target), ""});
    }
  }
  return inputs;
}

// Pages saved from a portal (--inputs-dir): each *.html of `dir`, with the Content-Type it was
// served with, so that charset detection sees what the crawler would.
void AddLocalInputs(const fs::path& dir, std::vector<Input>* inputs) {
  std::vector<std::pair<std::string, std::string>> types;  // file name, Content-Type
  std::istringstream tsv(ReadFile(dir / "content-types.tsv"));
  for (std::string line; std::getline(tsv, line);) {
    size_t tab = line.find('\t');
    if (tab != std::string::npos) types.emplace_back(line.substr(0, tab), line.substr(tab + 1));
  }
  std::vector<fs::path> pages;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ".html") pages.push_back(e.path());
  }
  std::sort(pages.begin(), pages.end());
  for (const auto& p : pages) {
    std::string type;
    for (const auto& [file, t] : types) {
      if (file == p.filename().string()) type = t;
    }
    inputs->push_back({"local/" + p.stem().string(), "local", ReadFile(p), type});
  }
}

ParseInput MakeParseInput(const Input& in) {
  ParseInput p;
  p.bytes = in.bytes;
  p.content_type = in.content_type;
  return p;
}

void SetThroughput(benchmark::State& state, const Input& in) {
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(in.bytes.size()));
  state.SetItemsProcessed(state.iterations());
  // Counters of several threads are summed: only thread 0 sets the per-call ones.
  if (state.thread_index() == 0)
    state.counters["input_bytes"] = static_cast<double>(in.bytes.size());
}

void SetHeap(benchmark::State& state, const heap::Usage& u) {
  if (!NIANBAO_BENCH_COUNT_HEAP) return;
  state.counters["peak_heap_bytes"] = static_cast<double>(u.peak);
}

// ---------------------------------------------------------------------------------------------
// The benchmarks. Memory is measured by thread 0 before the timed loop, one call, alone.
// ---------------------------------------------------------------------------------------------

// prepass: ReaderLimits::html_prepass (false: the page goes to Gumbo as TagScanner left it).
void NianbaoParse(benchmark::State& state, const Input& in, bool prepass = true) {
  ParseInput input = MakeParseInput(in);
  nianbao::parser::ParseOptions options;
  options.limits.html_prepass = prepass;
  if (state.thread_index() == 0) {
    size_t findings = 0;
    bool is_report = false;
    heap::Usage u = heap::Measure([&] {
      auto out = nianbao::parser::Parse(input, options);
      if (out.ok()) {
        findings = out.value().findings.size();
        is_report = out.value().is_report;
      }
    });
    SetHeap(state, u);
    state.counters["findings"] = static_cast<double>(findings);
    state.counters["is_report"] = is_report ? 1 : 0;
  }
  for (auto _ : state) {
    auto out = nianbao::parser::Parse(input, options);
    benchmark::DoNotOptimize(out);
  }
  SetThroughput(state, in);
}

void NianbaoParseJson(benchmark::State& state, const Input& in) {
  ParseInput input = MakeParseInput(in);
  size_t json_bytes = 0;
  for (auto _ : state) {
    auto out = nianbao::parser::Parse(input);
    if (out.ok()) {
      std::string line = nianbao::parser::ToJson(out.value())
                             .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      json_bytes = line.size();
      benchmark::DoNotOptimize(line);
    }
  }
  SetThroughput(state, in);
  state.counters["json_bytes"] = static_cast<double>(json_bytes);
}

void GumboParse(benchmark::State& state, const Input& in, bool keep_errors) {
  GumboOptions options = kGumboDefaultOptions;
  if (!keep_errors) options.max_errors = 0;
  auto once = [&] {
    GumboOutput* out = gumbo_parse_with_options(&options, in.bytes.data(), in.bytes.size());
    benchmark::DoNotOptimize(out);
    gumbo_destroy_output(&options, out);
  };
  if (state.thread_index() == 0) SetHeap(state, heap::Measure(once));
  for (auto _ : state) once();
  SetThroughput(state, in);
}

// Stages of Parse, each on the previous stage's output, to show where the time goes.
void StageDecode(benchmark::State& state, const Input& in) {
  for (auto _ : state) {
    auto d = nianbao::parser::DecodeToUtf8(in.bytes, in.content_type);
    benchmark::DoNotOptimize(d);
  }
  SetThroughput(state, in);
}

// The reader Parse picks for these bytes (no content type: sniffed, as `nianbao parse` does).
nianbao::parser::Document Read(const Input& in, const std::string& utf8, bool prepass = true) {
  return nianbao::parser::LooksLikeHtml(in.bytes)
             ? nianbao::parser::ReadHtml(utf8, nianbao::parser::HtmlReadOptions{.prepass = prepass})
             : nianbao::parser::ReadText(utf8);
}

void StageReadHtml(benchmark::State& state, const Input& in, bool prepass = true) {
  std::string utf8 = nianbao::parser::DecodeToUtf8(in.bytes, in.content_type).utf8;
  if (state.thread_index() == 0) {
    SetHeap(state, heap::Measure([&] {
              auto doc = Read(in, utf8, prepass);
              benchmark::DoNotOptimize(doc);
            }));
  }
  for (auto _ : state) {
    auto doc = Read(in, utf8, prepass);
    benchmark::DoNotOptimize(doc);
  }
  SetThroughput(state, in);
}

// The HTML reader's pre-pass alone, on the decoded page (before TagScanner: a close enough
// input for its cost); prepass_bytes is what it leaves of the page.
void StagePrepass(benchmark::State& state, const Input& in) {
  std::string utf8 = nianbao::parser::DecodeToUtf8(in.bytes, in.content_type).utf8;
  std::string out;
  for (auto _ : state) {
    nianbao::parser::PrepassHtml(utf8, nianbao::parser::HtmlReaderPrepassRules(), &out);
    benchmark::DoNotOptimize(out);
  }
  SetThroughput(state, in);
  state.counters["prepass_bytes"] = static_cast<double>(out.size());
}

void StageReport(benchmark::State& state, const Input& in) {
  std::string utf8 = nianbao::parser::DecodeToUtf8(in.bytes, in.content_type).utf8;
  nianbao::parser::Document doc = Read(in, utf8);
  for (auto _ : state) {
    auto parsed = nianbao::parser::ParseDocument(doc);
    auto narrative = nianbao::parser::ReadNarrative(parsed.overview_text);
    std::vector<nianbao::parser::Finding> findings = std::move(parsed.findings);
    nianbao::parser::RunRules(nianbao::parser::RuleInput{parsed, narrative}, &findings);
    benchmark::DoNotOptimize(findings);
  }
  SetThroughput(state, in);
}

// Crawler::OnReport's work on the loop thread for a page it hands to the pipeline.
void CrawlerReportPage(benchmark::State& state, const Input& in) {
  const std::string url = "http://127.0.0.1/art/2021/1/20/art_1234_1.html";
  if (state.thread_index() == 0) {
    SetHeap(state, heap::Measure([&] {
              auto links = nianbao::crawler::ExtractLinks(
                  nianbao::parser::DecodeToUtf8(in.bytes, in.content_type).utf8, url);
              benchmark::DoNotOptimize(links);
            }));
  }
  for (auto _ : state) {
    std::string sha = nianbao::parser::Sha256Hex(in.bytes);
    std::string html = nianbao::parser::DecodeToUtf8(in.bytes, in.content_type).utf8;
    auto links = nianbao::crawler::ExtractLinks(html, url);
    benchmark::DoNotOptimize(sha);
    benchmark::DoNotOptimize(links);
  }
  SetThroughput(state, in);
}

// A fixed-layout document (tests/fixtures/documents/form_2021.pdf / .ofd, the same report as
// html/form_2021) read and parsed as the pipeline parses it: the reader (poppler or libzip +
// pugixml, then the layout rebuild), the report parser, narrative and rules.
template <typename Reader>
void DocumentParse(benchmark::State& state, const std::string& bytes, Reader read) {
  for (auto _ : state) {
    auto doc = read(bytes, nianbao::parser::ReaderLimits{});
    if (!doc.ok()) {
      state.SkipWithError(doc.status().ToString().c_str());
      return;
    }
    auto parsed = nianbao::parser::ParseDocument(doc.value());
    auto narrative = nianbao::parser::ReadNarrative(parsed.overview_text);
    std::vector<nianbao::parser::Finding> findings = std::move(parsed.findings);
    nianbao::parser::RunRules(nianbao::parser::RuleInput{parsed, narrative}, &findings);
    benchmark::DoNotOptimize(findings);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(bytes.size()));
  state.SetItemsProcessed(state.iterations());
  state.counters["input_bytes"] = static_cast<double>(bytes.size());
}

bool TakeFlag(int* argc, char** argv, std::string_view prefix, std::string* value) {
  for (int i = 1; i < *argc; ++i) {
    std::string_view a = argv[i];
    if (a.rfind(prefix, 0) != 0) continue;
    *value = std::string(a.substr(prefix.size()));
    for (int j = i; j + 1 < *argc; ++j) argv[j] = argv[j + 1];
    --*argc;
    return true;
  }
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  // Inputs live until the end of main; the registered benchmarks refer to them.
  static std::vector<Input> inputs = LoadInputs();
  if (inputs.empty()) {
    std::fprintf(stderr, "parser_bench: no inputs under %s\n", NIANBAO_FIXTURES);
    return 1;
  }
  std::string value;
  if (TakeFlag(&argc, argv, "--inputs-dir=", &value)) {
    std::error_code ec;
    if (!fs::is_directory(value, ec)) {
      std::fprintf(stderr, "parser_bench: --inputs-dir %s is not a directory\n", value.c_str());
      return 2;
    }
    AddLocalInputs(value, &inputs);
  }
  if (TakeFlag(&argc, argv, "--dump-inputs=", &value)) {
    fs::create_directories(value);
    for (const auto& in : inputs) {
      std::string file = in.name;
      std::replace(file.begin(), file.end(), '/', '_');
      std::ofstream(fs::path(value) / (file + (in.family == "seed" ? ".txt" : ".html")),
                    std::ios::binary)
          << in.bytes;
    }
    return 0;
  }
  if (TakeFlag(&argc, argv, "--list-inputs", &value)) {
    for (const auto& in : inputs)
      std::printf("%-36s %9zu bytes\n", in.name.c_str(), in.bytes.size());
    return 0;
  }

  for (const auto& in : inputs) {
    const Input* p = &in;
    auto* b = benchmark::RegisterBenchmark(("nianbao_parse/" + in.name).c_str(),
                                           [p](benchmark::State& s) { NianbaoParse(s, *p); });
    b->Unit(benchmark::kMicrosecond);
    if (in.family == "portal") b->Threads(1)->Threads(2)->UseRealTime();
    if (in.family == "document") continue;  // no HTML stages to compare
    b = benchmark::RegisterBenchmark(("gumbo_parse/" + in.name).c_str(),
                                     [p](benchmark::State& s) { GumboParse(s, *p, true); });
    b->Unit(benchmark::kMicrosecond);
    if (in.family == "portal") b->Threads(1)->Threads(2)->UseRealTime();
    benchmark::RegisterBenchmark(("gumbo_parse_noerr/" + in.name).c_str(),
                                 [p](benchmark::State& s) { GumboParse(s, *p, false); })
        ->Unit(benchmark::kMicrosecond);
    // The same without the HTML pre-pass (html_prepass.h), to show what it saves.
    benchmark::RegisterBenchmark(("nianbao_parse_noprepass/" + in.name).c_str(),
                                 [p](benchmark::State& s) { NianbaoParse(s, *p, false); })
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark(("stage_read_html_noprepass/" + in.name).c_str(),
                                 [p](benchmark::State& s) { StageReadHtml(s, *p, false); })
        ->Unit(benchmark::kMicrosecond);
    if (in.family != "seed") {
      benchmark::RegisterBenchmark(("stage_prepass/" + in.name).c_str(), [p](benchmark::State& s) {
        StagePrepass(s, *p);
      })->Unit(benchmark::kMicrosecond);
    }
    benchmark::RegisterBenchmark(("stage_decode/" + in.name).c_str(), [p](benchmark::State& s) {
      StageDecode(s, *p);
    })->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark(("stage_read_html/" + in.name).c_str(), [p](benchmark::State& s) {
      StageReadHtml(s, *p);
    })->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark(("stage_report/" + in.name).c_str(), [p](benchmark::State& s) {
      StageReport(s, *p);
    })->Unit(benchmark::kMicrosecond);
    if (in.family != "portal" && in.family != "size") continue;
    benchmark::RegisterBenchmark(("nianbao_parse_json/" + in.name).c_str(),
                                 [p](benchmark::State& s) { NianbaoParseJson(s, *p); })
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark(("crawler_report_page/" + in.name).c_str(),
                                 [p](benchmark::State& s) { CrawlerReportPage(s, *p); })
        ->Unit(benchmark::kMicrosecond);
  }
  static const std::string pdf =
      ReadFile(fs::path(NIANBAO_FIXTURES) / "documents" / "form_2021.pdf");
  static const std::string ofd =
      ReadFile(fs::path(NIANBAO_FIXTURES) / "documents" / "form_2021.ofd");
  benchmark::RegisterBenchmark("document_parse/pdf/form_2021", [](benchmark::State& s) {
    DocumentParse(s, pdf, nianbao::parser::ReadPdf);
  })->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark("document_parse/ofd/form_2021", [](benchmark::State& s) {
    DocumentParse(s, ofd, nianbao::parser::ReadOfd);
  })->Unit(benchmark::kMicrosecond);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
