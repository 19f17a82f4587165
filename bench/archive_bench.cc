// The archive's cost per report page (BENCHMARKS.md, "Archive"): WarcWriter::Write of a new
// payload (request + response record, each gzipped) and of a payload already kept (a revisit
// record), beside the baseline the daemon runs on the same page anyway, parser::Parse. The
// counters give the bytes each page adds to the archive.
//
// Reparse throughput (BENCHMARKS.md, "Reparse"): what `nianbao reparse` does per archived
// report (WarcReader: one gzip member inflated and split, the HTTP block parsed, the parse,
// the content fingerprint), beside the parse and fingerprint of the same page from memory,
// measured in the same run; `reports_per_s` is the rate.
//
//   build/bench/archive_bench --benchmark_repetitions=5 --benchmark_min_time=0.3
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>

#include "archive/warc_reader.h"
#include "archive/warc_writer.h"
#include "parser/parser.h"
#include "parser/record_json.h"

namespace {

namespace fs = std::filesystem;
using nianbao::archive::WarcExchange;
using nianbao::archive::WarcSettings;
using nianbao::archive::WarcWriter;

std::string Fixture(const std::string& name) {
  std::ifstream in(std::string(NIANBAO_FIXTURES) + "/" + name, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// A portal-sized page: the fixture repeated to about 300 KiB, as chrome inflates a report.
std::string PortalPage(const std::string& name) {
  std::string one = Fixture(name), page;
  while (page.size() < 300 * 1024) page += one;
  return page;
}

// The settings most tests vary; the others keep their defaults.
WarcSettings Settings(const std::string& dir, int64_t max_file_bytes, const std::string& software,
                      const std::string& sources_file) {
  WarcSettings ws;
  ws.dir = dir;
  ws.max_file_bytes = max_file_bytes;
  ws.software = software;
  ws.sources_file = sources_file;
  return ws;
}

WarcExchange ExchangeOf(const std::string& body, int n) {
  WarcExchange e;
  e.target_uri = "http://www.example.gov.cn/zfxxgk/nb/t" + std::to_string(n) + ".html";
  e.date = std::chrono::system_clock::now();
  e.ip = "127.0.0.1";
  e.request = "GET /zfxxgk/nb/t.html HTTP/1.1\r\nHost: www.example.gov.cn\r\n\r\n";
  e.status_line = "HTTP/1.1 200 OK";
  e.headers = {{"content-type", "text/html; charset=utf-8"}, {"etag", "\"x\""}};
  e.body = body;
  return e;
}

fs::path BenchDir() {
  fs::path d = fs::temp_directory_path() / ("nianbao-archive-bench-" + std::to_string(getpid()));
  fs::remove_all(d);
  return d;
}

int64_t DirBytes(const fs::path& d) {
  int64_t n = 0;
  for (const auto& e : fs::directory_iterator(d)) n += static_cast<int64_t>(e.file_size());
  return n;
}

// A new payload every iteration (the iteration number written into it): the response record
// holds the body.
void BM_ArchiveNewPage(benchmark::State& state, const std::string& body_in) {
  fs::path dir = BenchDir();
  auto w = WarcWriter::Open(Settings(dir.string(), 1ll << 40, "nianbao/bench", ""));
  if (!w.ok()) {
    state.SkipWithError(w.status().message().c_str());
    return;
  }
  std::string body = body_in;
  int n = 0;
  for (auto _ : state) {
    std::string mark = std::to_string(n);
    body.replace(body.size() / 2, mark.size(), mark);
    auto where = w.value()->Write(ExchangeOf(body, n++));
    benchmark::DoNotOptimize(where);
  }
  (void)w.value()->Close();
  state.counters["archive_bytes_per_page"] = static_cast<double>(DirBytes(dir)) / std::max(1, n);
  state.counters["page_bytes"] = static_cast<double>(body.size());
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
  fs::remove_all(dir);
}

// The same payload again (an unchanged page read after a restart of the fetch): a revisit.
void BM_ArchiveRevisit(benchmark::State& state, const std::string& body) {
  fs::path dir = BenchDir();
  auto w = WarcWriter::Open(Settings(dir.string(), 1ll << 40, "nianbao/bench", ""));
  if (!w.ok()) {
    state.SkipWithError(w.status().message().c_str());
    return;
  }
  (void)w.value()->Write(ExchangeOf(body, 0));
  int n = 1;
  int64_t before = 0;
  for (auto _ : state) {
    auto where = w.value()->Write(ExchangeOf(body, n++));
    benchmark::DoNotOptimize(where);
  }
  (void)w.value()->Close();
  before = DirBytes(dir);
  state.counters["archive_bytes_per_page"] = static_cast<double>(before) / std::max(1, n);
  fs::remove_all(dir);
}

// The baseline: what the daemon does with every page it archives.
void BM_Parse(benchmark::State& state, const std::string& body) {
  nianbao::parser::ParseInput in;
  in.bytes = body;
  in.content_type = "text/html; charset=utf-8";
  for (auto _ : state) {
    auto out = nianbao::parser::Parse(in);
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
}

// The baseline of a reparse: the same page parsed and fingerprinted from memory.
void BM_ParseAndFingerprint(benchmark::State& state, const std::string& body) {
  nianbao::parser::ParseInput in;
  in.bytes = body;
  in.content_type = "text/html; charset=utf-8";
  in.url = "http://www.example.gov.cn/zfxxgk/nb/t0.html";
  for (auto _ : state) {
    auto out = nianbao::parser::Parse(in);
    if (out.ok()) benchmark::DoNotOptimize(nianbao::parser::ContentFingerprint(out.value()));
  }
  state.counters["reports_per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

// Reparse: an archive of 64 distinct pages written once, then read round and round, each
// iteration one record as `nianbao reparse` reads it (request records are skipped as it
// skips them).
void BM_Reparse(benchmark::State& state, const std::string& body_in) {
  fs::path dir = BenchDir();
  std::string file;
  {
    auto w = WarcWriter::Open(Settings(dir.string(), 1ll << 40, "nianbao/bench", ""));
    if (!w.ok()) {
      state.SkipWithError(w.status().message().c_str());
      return;
    }
    std::string body = body_in;
    for (int n = 0; n < 64; ++n) {
      std::string mark = "<!-- " + std::to_string(n) + " -->";
      body.replace(body.size() / 2, mark.size(), mark);
      auto where = w.value()->Write(ExchangeOf(body, n));
      if (!where.ok()) {
        state.SkipWithError(where.status().message().c_str());
        return;
      }
      file = (dir / where.value().file).string();
    }
    (void)w.value()->Close();
  }
  std::unique_ptr<nianbao::archive::WarcReader> reader;
  auto next_response = [&](nianbao::archive::WarcRecord* rec) {
    while (true) {
      if (!reader) reader = std::move(nianbao::archive::WarcReader::Open(file)).value();
      auto got = reader->Next(rec);
      if (!got.ok() || !got.value()) {
        reader.reset();  // the end: round again
        continue;
      }
      if (rec->type() == "response") return;
    }
  };
  nianbao::archive::WarcRecord rec;
  for (auto _ : state) {
    next_response(&rec);
    auto http = nianbao::archive::ParseHttpResponse(rec.block);
    nianbao::parser::ParseInput in;
    in.bytes = http.value().body;
    in.content_type = std::string(http.value().Header("content-type"));
    in.url = std::string(rec.target_uri());
    auto out = nianbao::parser::Parse(in);
    if (out.ok()) benchmark::DoNotOptimize(nianbao::parser::ContentFingerprint(out.value()));
  }
  state.counters["reports_per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  reader.reset();
  fs::remove_all(dir);
}

const std::string& FormPage() {
  static const std::string page = Fixture("html/form_2021.html");
  return page;
}
const std::string& PortalSized() {
  static const std::string page = PortalPage("html/form_2021.html");
  return page;
}

}  // namespace

BENCHMARK_CAPTURE(BM_Parse, form_2021, FormPage())->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_ArchiveNewPage, form_2021, FormPage())->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_ArchiveRevisit, form_2021, FormPage())->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Parse, portal_300KiB, PortalSized())->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_ArchiveNewPage, portal_300KiB, PortalSized())->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_ArchiveRevisit, portal_300KiB, PortalSized())->Unit(benchmark::kMicrosecond);

BENCHMARK_CAPTURE(BM_ParseAndFingerprint, form_2021, FormPage())->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Reparse, form_2021, FormPage())->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_ParseAndFingerprint, portal_300KiB, PortalSized())
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Reparse, portal_300KiB, PortalSized())->Unit(benchmark::kMicrosecond);

BENCHMARK_MAIN();
