#include "parser/pdf_reader.h"

#include <poppler-document.h>
#include <poppler-global.h>
#include <poppler-page.h>

#include <climits>
#include <memory>
#include <mutex>
#include <string>

#include "parser/layout.h"

namespace nianbao::parser {
namespace {

// Serialises every use of poppler (see the header) and holds the messages of the call under
// way: the callback poppler is given is process-wide, so it can only write to state that
// the mutex guards.
std::mutex& PopplerMutex() {
  static std::mutex m;
  return m;
}
std::string* g_messages = nullptr;  // GUARDED_BY(PopplerMutex()); the current call's

void CollectMessage(const std::string& msg, void* /*closure*/) {
  // Called by poppler only inside a ReadPdf call, under the mutex.
  if (g_messages != nullptr && g_messages->size() < 512) {
    if (!g_messages->empty()) *g_messages += "; ";
    *g_messages += msg;
  }
}

// A one-page empty PDF, kept open for the life of the process: poppler-cpp creates its global
// parameters (font tables, the fontconfig set-up) when the first document opens and frees them
// when the last one closes, so without a document held open every call would pay for them
// again (they cost more than reading a report).
constexpr std::string_view kKeepAlivePdf =
    "%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    "2 0 obj<</Type/Pages/Count 1/Kids[3 0 R]>>endobj\n"
    "3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 10 10]>>endobj\n"
    "trailer<</Root 1 0 R>>\n%%EOF\n";

// REQUIRES: PopplerMutex() held.
void SetUpPopplerOnce() {
  static bool done = false;  // GUARDED_BY(PopplerMutex())
  if (done) return;
  done = true;
  poppler::set_debug_error_function(CollectMessage, nullptr);
  // Deliberately never freed (see kKeepAlivePdf); poppler rebuilds the missing xref quietly.
  static poppler::document* keep_alive = poppler::document::load_from_raw_data(
      kKeepAlivePdf.data(), static_cast<int>(kKeepAlivePdf.size()));
  (void)keep_alive;
}

// Poppler reconstructs damaged files when it can; the message it logged is the best "why"
// when it cannot.
std::string Why(const std::string& messages, const char* fallback) {
  return messages.empty() ? fallback : messages.substr(0, 200);
}

// Where "%PDF-" may stand: readers accept up to 1 KiB of junk before it, as Acrobat does.
constexpr std::size_t kHeaderWindow = 1024;

}  // namespace

Result<Document> ReadPdf(std::string_view bytes, const ReaderLimits& limits) {
  if (bytes.substr(0, kHeaderWindow).find("%PDF-") == std::string_view::npos) {
    return Status::InvalidArgument("PDF: not a PDF file (no %PDF- header)");
  }
  if (bytes.size() > static_cast<std::size_t>(INT_MAX)) {
    return Status::TooLarge("PDF: file too large to read");
  }
  std::lock_guard<std::mutex> lock(PopplerMutex());
  std::string messages;
  g_messages = &messages;
  SetUpPopplerOnce();
  messages.clear();  // what the keep-alive document said is not this call's
  struct Reset {
    ~Reset() { g_messages = nullptr; }
  } reset;

  std::unique_ptr<poppler::document> pdf(
      poppler::document::load_from_raw_data(bytes.data(), static_cast<int>(bytes.size())));
  if (!pdf) {
    return Status::Corruption("PDF: damaged or truncated file that cannot be opened (" +
                              Why(messages, "no readable cross-reference table") + ")");
  }
  if (pdf->is_locked()) {
    return Status::InvalidArgument("PDF: encrypted with a password; its text cannot be read");
  }
  int page_count = pdf->pages();
  if (page_count <= 0) {
    return Status::Corruption("PDF: no pages (" + Why(messages, "empty page tree") + ")");
  }

  LayoutInput layout;
  std::size_t text_bytes = 0;
  bool text_cut = false;
  int pages_read = static_cast<int>(
      std::min<std::size_t>(static_cast<std::size_t>(page_count), limits.max_pages));
  for (int p = 0; p < pages_read && !text_cut; ++p) {
    std::unique_ptr<poppler::page> page(pdf->create_page(p));
    if (!page) continue;  // a broken page object; the others are still read
    poppler::rectf box = page->page_rect(poppler::media_box);
    int index = static_cast<int>(layout.pages.size());
    layout.pages.push_back({box.width(), box.height()});
    for (poppler::text_box& word : page->text_list(poppler::page::text_list_include_font)) {
      poppler::byte_array utf8 = word.text().to_utf8();
      if (utf8.empty()) continue;
      text_bytes += utf8.size();
      if (text_bytes > limits.max_text_bytes) {
        text_cut = true;
        break;
      }
      poppler::rectf b = word.bbox();  // top-left origin, as layout.h wants
      TextRun run;
      run.page = index;
      run.x0 = b.left();
      run.y0 = b.top();
      run.x1 = b.right();
      run.y1 = b.bottom();
      run.text.assign(utf8.begin(), utf8.end());
      run.font_size = word.has_font_info() ? word.get_font_size() : 0;
      run.space_after = word.has_space_after();
      layout.runs.push_back(std::move(run));
    }
  }

  Document doc;
  doc.media_type = "application/pdf";
  doc.blocks = BuildBlocks(layout);
  bool has_table = false;
  for (const Block& b : doc.blocks) has_table = has_table || b.kind == Block::Kind::kTable;
  // Pages but no table text: the tables are pictures (a scan, or tables pasted as images).
  doc.image_only = !layout.pages.empty() && !has_table;
  return doc;
}

}  // namespace nianbao::parser
