// The pass of a `portal =` source (crawler.h: Crawler::StartPortalPass): its column is
// discovered from the portal's page first (crawler/discovery.h), through the same politeness
// gate as every request, then its lists are read as any source's. Every pass reads the portal
// page again, so that a column that moved (its old page gone, or the portal linking elsewhere)
// is followed at the next pass and reported once (SourcePassStats::moved_from / moved_to).
//
// Loop thread only, like the rest of the Crawler.
#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "crawler/crawler.h"
#include "crawler/discovery.h"

namespace nianbao::crawler {
namespace {

std::string Joined(const std::vector<std::string>& urls) {
  std::string out;
  for (const std::string& u : urls) out += (out.empty() ? "" : "\n") + u;
  return out;
}

std::vector<std::string> Split(const std::string& joined) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < joined.size()) {
    const size_t nl = joined.find('\n', pos);
    out.push_back(joined.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos));
    pos = nl == std::string::npos ? joined.size() : nl + 1;
  }
  return out;
}

}  // namespace

void Crawler::StartPortalPass(size_t source) {
  // The discovery holds the pass open: its requests come and go one at a time.
  ++passes_[source].outstanding;
  std::weak_ptr<Crawler*> self = self_;
  Discover(
      config_.sources[source].portal, DiscoveryOptions{},
      [self, source](const std::string& url, std::function<void(PageRead)> done) {
        auto c = self.lock();
        if (!c) {
          PageRead none;
          none.res.url = url;
          none.res.error = FetchError::kInternal;
          none.res.error_message = "cancelled";
          done(std::move(none));
          return;
        }
        // The page is read (decoded, parsed for links) on the CPU pool, never on the loop,
        // and counted as CPU work in flight so that Stop() waits for it.
        (*c)->FetchPage(source, url, [self, done = std::move(done)](FetchResult res) mutable {
          auto owner = self.lock();
          if (!owner) return;
          Crawler& crawler = **owner;
          if (crawler.options_.cpu == nullptr) {
            done(ReadPage(std::move(res), crawler.options_.decode));
            return;
          }
          ++crawler.digesting_;
          auto job = std::make_shared<std::pair<FetchResult, PageRead>>(std::move(res), PageRead{});
          boost::asio::post(*crawler.options_.cpu, [self, job, done = std::move(done),
                                                    decode = crawler.options_.decode,
                                                    loop = crawler.io_.get_executor()]() mutable {
            job->second = ReadPage(std::move(job->first), decode);
            boost::asio::post(loop, [self, job, done = std::move(done)]() mutable {
              auto back = self.lock();
              if (!back) return;
              --(*back)->digesting_;
              done(std::move(job->second));
              (*back)->MaybeStopped();
            });
          });
        });
      },
      [self, source](DiscoveryResult found) {
        auto c = self.lock();
        if (!c) return;
        Crawler& crawler = **c;
        SourcePass& p = crawler.passes_[source];
        Source& src = crawler.config_.sources[source];
        auto stored = crawler.state_.GetSourceColumn(src.name);
        const std::string before = stored.ok() ? stored.value() : "";
        std::vector<std::string> columns;
        for (const FoundColumn& col : found.columns) columns.push_back(col.url);
        if (columns.empty()) {
          ++p.stats.failures["column_not_found"];
          crawler.log_->warn("portal source={} column not found: {}", src.name, found.error);
          // The column known last is still read: a portal page down for a while is no
          // reason to stop crawling a column that may still be there.
          columns = Split(before);
        } else {
          // The preset recognised on the column, unless the source names one itself.
          if (src.cms.empty()) src.cms = found.columns.front().cms.preset;
          const std::string now = Joined(columns);
          if (!before.empty() && before != now) {
            p.stats.moved_from = before;
            p.stats.moved_to = now;
            crawler.log_->info("portal source={} column moved from {} to {}", src.name, before,
                               now);
          }
          if (before != now && !crawler.state_.PutSourceColumn(src.name, now).ok()) {
            ++p.stats.failures["state_write"];
          }
        }
        src.entry = std::move(columns);
        if (!stored.ok()) ++p.stats.failures["state_read"];
        crawler.EnqueueEntries(source);
        crawler.RequestDone(source);  // the discovery's hold
      });
}

}  // namespace nianbao::crawler
