#include "app/scratch_crawler.h"

#include <stdlib.h>

#include <filesystem>
#include <system_error>

namespace nianbao::app {
namespace {

// The commands fetch no report page: the crawler plans none.
class NoPages final : public PageTracker {
 public:
  JourneyId Planned(const std::string&, const std::string&) override { return 0; }
  bool TryStart(JourneyId) override { return true; }
  void Fetched(JourneyId, FetchedPage) override {}
  void Gone(JourneyId, GonePage) override {}
  void Ended(JourneyId, PageStatus, std::string) override {}
  void SetOnRoom(std::function<void()>) override {}
};

}  // namespace

ScratchCrawler::ScratchCrawler(std::string dir)
    : dir_(std::move(dir)), guard_(boost::asio::make_work_guard(io_)) {}

ScratchCrawler::~ScratchCrawler() {
  signals_.cancel();
  crawler_.reset();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);  // best effort: it is under the temporary directory
}

Result<std::unique_ptr<ScratchCrawler>> ScratchCrawler::Open(const std::string& tag,
                                                             const crawler::SourcesConfig& config,
                                                             crawler::CrawlerOptions options) {
  const auto tmp = std::filesystem::temp_directory_path();
  std::string dir = (tmp / ("nianbao-" + tag + "-XXXXXX")).string();
  if (mkdtemp(dir.data()) == nullptr) {
    return Status::IoError("cannot create a scratch directory under " + tmp.string());
  }
  std::unique_ptr<ScratchCrawler> self(new ScratchCrawler(dir));
  auto state = crawler::StateStore::Open(dir);
  if (!state.ok()) return state.status();
  self->state_ = std::move(state).value();
  if (!self->fetcher_.init_status().ok()) {
    return Status::Unavailable("libcurl: " + self->fetcher_.init_status().message());
  }
  self->tracker_ = std::make_unique<NoPages>();
  self->crawler_ = std::make_unique<crawler::Crawler>(self->io_, self->fetcher_, *self->state_,
                                                      *self->tracker_, config, std::move(options));
  crawler::Crawler* c = self->crawler_.get();
  self->signals_.async_wait([c](const boost::system::error_code& ec, int) {
    if (!ec) c->Stop();
  });
  return self;
}

void ScratchCrawler::Run() {
  io_.run();
  crawler_.reset();
}

void ScratchCrawler::Finish() {
  signals_.cancel();
  guard_.reset();
}

}  // namespace nianbao::app
