#include "ingest/status_updater.h"

#include <boost/asio/post.hpp>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <utility>

#include "base/logging.h"
#include "ingest/across_years.h"
#include "parser/history.h"
#include "parser/record_json.h"

namespace nianbao::ingest {

namespace asio = boost::asio;

std::string ContentShape::ToString() const {
  return "sections=" + std::to_string(sections) + " cells=" + std::to_string(cells);
}

ContentShape ContentShape::Of(const parser::Record& r) {
  ContentShape shape;
  shape.sections = static_cast<int>(r.sections.size());
  for (const auto* table : {&r.proactive, &r.applications, &r.reviews_litigation}) {
    if (!table->has_value()) continue;
    for (const auto& [key, cells] : **table) {
      if (!cells) continue;
      for (const auto& v : *cells) shape.cells += v.has_value() ? 1 : 0;
    }
  }
  return shape;
}

ContentShape ContentShape::Parse(std::string_view text) {
  ContentShape shape;
  if (std::sscanf(std::string(text).c_str(), "sections=%d cells=%d", &shape.sections,
                  &shape.cells) != 2) {
    return ContentShape{};
  }
  return shape;
}

bool LosesContent(const ContentShape& before, const ContentShape& after) {
  return after.sections < before.sections || after.cells * 2 < before.cells;
}

StatusUpdater::StatusUpdater(asio::io_context& loop, asio::thread_pool& cpu,
                             std::vector<sinks::Sink*> sinks, VersionLedger& ledger,
                             StatusUpdaterOptions options, OnEnd on_end)
    : loop_(loop),
      cpu_(cpu),
      sinks_(std::move(sinks)),
      ledger_(ledger),
      options_(std::move(options)),
      on_end_(std::move(on_end)) {
  if (options_.max_pages == 0) options_.max_pages = 1;
}

StatusUpdater::~StatusUpdater() { self_.reset(); }

namespace {

bool HoldsTables(const parser::ParseOutput& out) {
  return out.is_report && ContentShape::Of(out.record).cells > 0;
}

}  // namespace

Result<parser::ParseOutput> ParseReport(const FetchedPage& page, parser::ParseInput in,
                                        const parser::ParseOptions& options) {
  // The page's own bytes and hash: FetchedPage::sha256 is the report's (page and documents).
  in.sha256.clear();
  Result<parser::ParseOutput> chosen = parser::Parse(in, options);
  std::vector<parser::DocumentRef> attachments;
  std::optional<parser::DocumentRef> document;
  if (chosen.ok()) {
    const parser::Source& s = chosen.value().record.source;
    document = parser::DocumentRef{page.url, s.media_type, s.sha256, 0};
  }
  bool from_page = chosen.ok() && HoldsTables(chosen.value());
  for (const auto& d : page.documents) {
    parser::ParseInput din = in;
    din.bytes = d.body;
    din.content_type = d.content_type;
    din.sha256 = d.sha256;
    Result<parser::ParseOutput> out = parser::Parse(din, options);
    // The media type the bytes are (sniffed by the parser), else what the server said.
    std::string media_type = out.ok() && !out.value().record.source.media_type.empty()
                                 ? out.value().record.source.media_type
                                 : d.content_type;
    parser::DocumentRef ref{d.url, media_type, d.sha256, static_cast<int64_t>(d.body.size())};
    attachments.push_back(ref);
    if (from_page || !out.ok()) continue;
    // The first document that holds the tables; a report without them (an image-only scan)
    // only when the page is not a report either.
    const bool page_report = chosen.ok() && chosen.value().is_report;
    if (HoldsTables(out.value()) || (!page_report && out.value().is_report)) {
      from_page = HoldsTables(out.value());
      chosen = std::move(out);
      ref.bytes = 0;
      document = ref;
    }
  }
  if (chosen.ok()) {
    chosen.value().record.source.document = document;
    chosen.value().record.source.attachments = std::move(attachments);
  }
  return chosen;
}

JourneyId StatusUpdater::Planned(const std::string& source, const std::string& url) {
  JourneyId id = next_id_++;
  Journey& j = journeys_[id];
  j.source = source;
  j.url = url;
  return id;
}

bool StatusUpdater::TryStart(JourneyId id) {
  auto it = journeys_.find(id);
  if (it == journeys_.end()) return true;  // not ours (ended): nothing to hold back
  Journey& j = it->second;
  if (j.has_slot) return true;
  // Held bytes always belong to pages in the parse, whose ends make room again.
  if (slots_used_ >= options_.max_pages || FullOfBytes()) {
    room_wanted_ = true;
    return false;
  }
  ++slots_used_;
  j.has_slot = true;
  j.stage = Stage::kFetching;
  // Its body will be held too: without this, every transfer already running (up to the
  // crawler's connections) lands on top of the bound (measured: 5 MiB pages peaked at 450 MB
  // with a 64 MiB bound; BENCHMARKS.md, "With the page size").
  j.held_bytes = typical_page_bytes_;
  bytes_held_ += j.held_bytes;
  return true;
}

void StatusUpdater::SetOnRoom(std::function<void()> on_room) { on_room_ = std::move(on_room); }

void StatusUpdater::Fetched(JourneyId id, FetchedPage page) {
  ++stats_.pages;
  auto it = journeys_.find(id);
  if (it == journeys_.end()) return;  // abandoned at shutdown: the next pass fetches it again
  Journey& j = it->second;
  j.fetched = std::chrono::steady_clock::now();
  j.sha256 = page.sha256;
  size_t fetched_bytes = page.body.size();
  for (const auto& d : page.documents) fetched_bytes += d.body.size();
  if (fetched_bytes > 0) {
    // Weighted towards the last pages, so that a column of large pages is seen within a few.
    typical_page_bytes_ =
        typical_page_bytes_ == 0 ? fetched_bytes : (typical_page_bytes_ * 3 + fetched_bytes) / 4;
  }
  if (page.sha256 == page.delivered_sha256) {
    End(id, PageStatus::kUnchanged, "");
    return;
  }
  if (page.body.empty()) {
    // A 304 for content never acknowledged (a server that ignores a request without
    // validators): nothing to publish now; the next pass asks again without validators.
    End(id, PageStatus::kFailed, "no_body");
    return;
  }
  auto [claim, fresh] = claims_.try_emplace(page.url, id);
  if (!fresh && claim->second != id) {
    // An older version of this page is still on its way: once it is acknowledged, the next
    // pass finds this content undelivered and hands it on.
    End(id, PageStatus::kSkipped, "version_in_flight");
    return;
  }
  j.claims_url = true;
  j.stage = Stage::kParsing;
  bytes_held_ -= j.held_bytes;  // what the fetch was counted as, now known
  j.held_bytes = fetched_bytes;
  bytes_held_ += j.held_bytes;

  // To the CPU pool and back. The task holds only values: the page (moved, with its body),
  // the parse options, the loop's executor and a weak reference to this updater.
  auto parsed = std::make_shared<Parsed>();
  parsed->page = std::move(page);
  std::weak_ptr<StatusUpdater*> self = self_;
  asio::post(cpu_, [parsed, self, id, parse = options_.parse, archive = options_.archive,
                    loop = loop_.get_executor()] {
    const FetchedPage& p = parsed->page;
    if (archive) {
      // The archive keeps the page's own bytes under their own digest; a page with documents
      // carries the report's hash (of the page and its documents) in sha256. Its documents
      // are not archived.
      std::string report_sha256;
      if (!p.documents.empty()) {
        report_sha256 = std::exchange(parsed->page.sha256, parser::Sha256Hex(p.body));
      }
      auto ref = archive(p);
      if (!report_sha256.empty()) parsed->page.sha256 = std::move(report_sha256);
      if (ref.ok()) {
        parsed->archived = std::optional<ArchiveRef>(std::move(ref).value());
      } else {
        parsed->archived = ref.status();
      }
    }
    parser::ParseInput in;
    in.bytes = p.body;
    in.content_type = p.content_type;
    in.url = p.url;
    in.fetched_at = Rfc3339(p.fetched_at);
    in.sha256 = p.sha256;  // hashed once, by the crawler's digest
    const auto parse_start = std::chrono::steady_clock::now();
    parsed->output = p.documents.empty() ? parser::Parse(in, parse) : ParseReport(p, in, parse);
    parsed->parse_time = std::chrono::steady_clock::now() - parse_start;
    parsed->page.body = std::string();  // not needed any more: free it on this thread
    asio::post(loop, [parsed, self, id] {
      if (auto u = self.lock()) (*u)->OnParsed(id, std::move(*parsed));
    });
  });
}

void StatusUpdater::OnParsed(JourneyId id, Parsed parsed) {
  auto it = journeys_.find(id);
  if (it == journeys_.end()) return;  // abandoned
  Journey& j = it->second;
  Release(j, /*slot=*/false);  // the body was freed on the pool
  if (options_.on_parsed) options_.on_parsed(parsed.parse_time);
  if (!parsed.archived.ok()) {
    End(id, PageStatus::kFailed, "archive: " + parsed.archived.status().message());
    return;
  }
  auto delivered = ledger_.GetDelivered(j.url);
  if (!delivered.ok()) {
    End(id, PageStatus::kFailed, "state: " + delivered.status().message());
    return;
  }
  const DeliveredState& before = delivered.value();
  // A report was delivered from this page and not withdrawn since.
  const bool was_report = !before.fingerprint.empty() && before.fingerprint != kWithdrawnContent;
  const bool is_report = parsed.output.ok() && parsed.output.value().is_report;
  if (!is_report) {
    if (was_report) {
      // A maintenance page, an error page behind a redirect, a page cut before the report:
      // not a new version of the report. Nothing is recorded, so the next pass reads the
      // page again in full.
      ++stats_.soft_errors;
      End(id, PageStatus::kFailed, "soft_error");
      return;
    }
    // Nothing can be published from it; marked read so that it is not fetched without
    // validators on every pass. A new version of the page is read again.
    (void)ledger_.MarkDelivered(j.url, j.sha256, nullptr);
    if (!parsed.output.ok()) {
      ++stats_.parse_errors;
      End(id, PageStatus::kSkipped, "unparseable: " + parsed.output.status().message());
    } else {
      ++stats_.not_a_report;
      End(id, PageStatus::kSkipped, "not_a_report");
    }
    return;
  }
  parser::ParseOutput& out = parsed.output.value();
  j.content.fingerprint = parser::ContentFingerprint(out);
  ContentShape shape = ContentShape::Of(out.record);
  j.content.shape = shape.ToString();
  if (j.content.fingerprint == before.fingerprint) {
    // Other bytes, the same report: a counter, the date, the menus around it.
    ++stats_.same_content;
    Status s = options_.history != nullptr ? KeepYear(j, out, before.version) : Status::Ok();
    if (s.ok()) s = ledger_.MarkDelivered(j.url, j.sha256, &j.content);
    End(id, PageStatus::kUnchanged, s.ok() ? "" : "state: " + s.message());
    return;
  }
  if (was_report && before.suspect != j.content.fingerprint &&
      LosesContent(ContentShape::Parse(before.shape), shape)) {
    // Half a report where a whole one was: a page cut or mangled on its way, until a second
    // fetch shows the same content (then it is a real, if unusual, revision).
    ++stats_.soft_errors;
    Status s = ledger_.MarkSuspect(j.url, j.content.fingerprint);
    End(id, PageStatus::kFailed, s.ok() ? "soft_error" : "state: " + s.message());
    return;
  }
  // The version is written to the state before anything is produced: after a crash at any
  // point, the next different content is a revision, and this content, handed on again,
  // is the same version with the same ce_ids.
  auto version = ledger_.BeginVersion(j.url, j.content.fingerprint);
  if (!version.ok()) {
    End(id, PageStatus::kFailed, "state: " + version.status().message());
    return;
  }
  // The findings across years come after the fingerprint: what another year says of this
  // report is not a change of its content.
  std::vector<sinks::Message> extra;
  if (options_.history != nullptr) {
    if (Status s = ApplyHistory(j, out, version.value(), parsed.page.fetched_at, &extra); !s.ok()) {
      End(id, PageStatus::kFailed, "state: " + s.message());
      return;
    }
  }
  for (const auto& f : out.findings) ++stats_.findings_by_rule[f.rule];
  ReportEvent event = version.value() <= 1 ? ReportEvent::kPublished : ReportEvent::kRevised;
  ++(event == ReportEvent::kPublished ? stats_.published : stats_.revised);
  sinks::Batch batch =
      ReportBatch(options_.topics, j.source, out, event, version.value(), j.content.fingerprint,
                  parsed.page.fetched_at, parsed.archived.value());
  for (auto& m : extra) batch.messages.push_back(std::move(m));
  Deliver(id, std::make_shared<const sinks::Batch>(std::move(batch)));
}

std::string StatusUpdater::KeyOf(const std::string& source,
                                 const parser::YearSummary& summary) const {
  auto aliases = options_.organization_aliases.find(source);
  if (aliases == options_.organization_aliases.end()) return summary.organization_key;
  return AliasedKey(summary.organization_key, aliases->second);
}

Status StatusUpdater::ApplyHistory(Journey& j, parser::ParseOutput& out, int64_t version,
                                   std::chrono::system_clock::time_point at,
                                   std::vector<sinks::Message>* extra) {
  parser::YearSummary summary = parser::SummarizeYear(out);
  if (summary.organization_key.empty() || !summary.year) return Status::Ok();
  summary.organization_key = KeyOf(j.source, summary);
  ReportHistory& history = *options_.history;
  const std::string& key = summary.organization_key;
  const int year = *summary.year;
  const std::string& report_id = out.record.report_id;

  auto before = AgainstYearBefore(history, j.source, summary, report_id);
  if (!before.ok()) return before.status();
  for (auto& f : before.value()) out.findings.push_back(std::move(f));
  auto next = history.GetYear(j.source, key, year + 1);
  if (!next.ok()) return next.status();
  if (next.value() && next.value()->report_id != report_id) {
    // Year N+1 came first: the pair is checked now, and its findings belong to its record.
    if (auto later = StoredSummary(*next.value())) {
      auto findings = parser::CheckAcrossYears(summary, *later);
      for (const auto& f : findings) ++stats_.findings_by_rule[f.rule];
      stats_.across_years += static_cast<int64_t>(findings.size());
      for (auto& m : AcrossYearsMessages(options_.topics, j.source, *next.value(), *later,
                                         report_id, version, findings, at)) {
        extra->push_back(std::move(m));
      }
    }
  }
  auto missing = history.GetMissing(j.source, key, year);
  if (!missing.ok()) return missing.status();
  if (missing.value() && !missing.value()->found_late) {
    extra->push_back(FoundLateMessage(options_.topics, *missing.value(), out.record, at));
    j.found_late = true;
    ++stats_.found_late;
    Logger("ingest")->info("report found late source={} organization={} year={} url={}", j.source,
                           missing.value()->organization, year, j.url);
  }
  YearEntry entry;
  entry.source = j.source;
  entry.organization_key = key;
  entry.year = year;
  entry.report_id = report_id;
  entry.url = j.url;
  entry.version = version;
  entry.summary = parser::YearSummaryToJson(summary).dump(-1, ' ', false,
                                                          nlohmann::json::error_handler_t::replace);
  // Kept now, not at delivery: the other year of a pair parsed in the same pass sees it.
  if (Status s = history.PutYear(entry, false); !s.ok()) return s;
  j.year_entry = std::move(entry);
  return Status::Ok();
}

Status StatusUpdater::KeepYear(const Journey& j, const parser::ParseOutput& out, int64_t version) {
  parser::YearSummary summary = parser::SummarizeYear(out);
  if (summary.organization_key.empty() || !summary.year) return Status::Ok();
  summary.organization_key = KeyOf(j.source, summary);
  auto kept = options_.history->GetYear(j.source, summary.organization_key, *summary.year);
  if (!kept.ok()) return kept.status();
  if (kept.value()) return Status::Ok();  // this year is known (maybe from a later report)
  YearEntry entry;
  entry.source = j.source;
  entry.organization_key = summary.organization_key;
  entry.year = *summary.year;
  entry.report_id = out.record.report_id;
  entry.url = j.url;
  entry.version = version;
  entry.summary = parser::YearSummaryToJson(summary).dump(-1, ' ', false,
                                                          nlohmann::json::error_handler_t::replace);
  return options_.history->PutYear(entry, false);
}

void StatusUpdater::SetOrganizationAliases(
    std::map<std::string, std::map<std::string, std::string>> aliases) {
  options_.organization_aliases = std::move(aliases);
}

void StatusUpdater::SweepMissing(const std::string& source,
                                 std::chrono::system_clock::time_point now) {
  if (options_.history == nullptr) return;
  for (const auto& [id, j] : journeys_) {
    if (j.source == source) {
      sweeps_[source] = now;  // when its last journey ends (End)
      return;
    }
  }
  RunSweep(source, now);
}

void StatusUpdater::RunSweep(const std::string& source, std::chrono::system_clock::time_point now) {
  ReportHistory& history = *options_.history;
  auto watched = history.WatchedSince(source, std::chrono::system_clock::to_time_t(now));
  auto years = history.YearsOf(source);
  auto known = history.MissingOf(source);
  for (const Status& s : {watched.status(), years.status(), known.status()}) {
    if (!s.ok()) {
      ++stats_.history_errors;
      Logger("ingest")->error("missing reports of source {} not checked: {}", source, s.message());
      return;
    }
  }
  std::map<std::pair<std::string, int>, const YearEntry*> entries;
  for (const auto& e : years.value()) entries[{e.organization_key, e.year}] = &e;
  std::weak_ptr<StatusUpdater*> self = self_;
  for (auto& m : DueMissing(years.value(), known.value(), now, watched.value(), options_.missing)) {
    const YearEntry& last = *entries.at({m.organization_key, m.year - 1});
    // Written ahead: a report that turns up before the event is acknowledged still gets its
    // report.found_late.
    if (Status s = history.PutMissing(m); !s.ok()) {
      ++stats_.history_errors;
      Logger("ingest")->error("missing reports of source {}: {}", source, s.message());
      return;
    }
    ++stats_.missing;
    Logger("ingest")->info("report missing source={} organization={} year={} deadline={}", source,
                           m.organization, m.year, m.deadline);
    PublishTracked(MissingBatch(options_.topics, m, last, now), [self, m](bool ok) {
      if (!ok) return;  // sent again by the next sweep, under the same ce_id
      if (auto u = self.lock()) (*u)->OnMissingSent(m);
    });
  }
}

void StatusUpdater::OnMissingSent(MissingReport missing) {
  ReportHistory& history = *options_.history;
  auto row = history.GetMissing(missing.source, missing.organization_key, missing.year);
  if (row.ok() && row.value()) missing.found_late = row.value()->found_late;
  missing.sent = true;
  if (Status s = history.PutMissing(missing); !s.ok()) {
    ++stats_.history_errors;
    Logger("ingest")->error("report.missing sent but not recorded (sent again): {}", s.message());
  }
}

void StatusUpdater::PublishTracked(sinks::Batch batch, std::function<void(bool)> done) {
  struct Tally {
    size_t left = 0;
    bool ok = true;
    std::function<void(bool)> done;
  };
  auto tally = std::make_shared<Tally>();
  tally->left = sinks_.size();
  tally->done = std::move(done);
  if (sinks_.empty()) {
    tally->done(false);
    return;
  }
  // The tally is touched on the loop thread only.
  auto count = [tally](bool ok) {
    if (!ok) tally->ok = false;
    if (--tally->left == 0) tally->done(tally->ok);
  };
  auto shared = std::make_shared<const sinks::Batch>(std::move(batch));
  std::weak_ptr<StatusUpdater*> self = self_;
  for (auto* sink : sinks_) {
    auto on_done = [self, count, loop = loop_.get_executor()](Status status) {
      asio::post(loop, [self, count, ok = status.ok()] {
        auto u = self.lock();
        if (!u) return;
        count(ok);
        (*u)->RetryWaiting();
      });
    };
    if (!sink->TrySubmit(shared, std::move(on_done))) {
      ++stats_.events_dropped;
      count(false);
    }
  }
}

void StatusUpdater::Gone(JourneyId id, GonePage page) {
  ++stats_.pages;
  auto it = journeys_.find(id);
  if (it == journeys_.end()) return;
  Journey& j = it->second;
  j.fetched = std::chrono::steady_clock::now();
  if (!page.withdraw) {
    // Gone once is not gone: a portal being rebuilt, a column moving. The next fetches say.
    End(id, PageStatus::kFailed, page.seen);
    return;
  }
  auto delivered = ledger_.GetDelivered(j.url);
  if (!delivered.ok()) {
    End(id, PageStatus::kFailed, "state: " + delivered.status().message());
    return;
  }
  const DeliveredState& before = delivered.value();
  if (before.fingerprint.empty() || before.fingerprint == kWithdrawnContent) {
    // Never delivered, or withdrawn already: nothing to tell anyone.
    End(id, PageStatus::kFailed, page.seen);
    return;
  }
  auto [claim, fresh] = claims_.try_emplace(j.url, id);
  if (!fresh && claim->second != id) {
    End(id, PageStatus::kSkipped, "version_in_flight");
    return;
  }
  j.claims_url = true;
  j.sha256.clear();  // nothing of the page is read: a report that comes back is read anew
  j.content = DeliveredContent{std::string(kWithdrawnContent), ""};
  auto version = ledger_.BeginVersion(j.url, j.content.fingerprint);
  if (!version.ok()) {
    End(id, PageStatus::kFailed, "state: " + version.status().message());
    return;
  }
  ++stats_.withdrawn;
  Deliver(id, std::make_shared<const sinks::Batch>(
                  WithdrawnBatch(options_.topics, page, version.value(), before.sha256)));
}

void StatusUpdater::Deliver(JourneyId id, std::shared_ptr<const sinks::Batch> batch) {
  Journey& j = journeys_.at(id);
  j.batch = std::move(batch);
  j.stage = Stage::kDelivering;
  j.sinks_left = sinks_.size();
  if (sinks_.empty()) {
    End(id, PageStatus::kFailed, "no sink");
    return;
  }
  for (size_t s = 0; s < sinks_.size(); ++s) Offer(id, s);
}

// Hands the journey's batch to sink `s`; a full sink keeps it waiting here.
void StatusUpdater::Offer(JourneyId id, size_t s) {
  auto it = journeys_.find(id);
  if (it == journeys_.end()) return;
  std::weak_ptr<StatusUpdater*> self = self_;
  auto done = [self, id, loop = loop_.get_executor()](Status status) {
    // On the sink's thread: hand off only.
    asio::post(loop, [self, id, status = std::move(status)]() mutable {
      if (auto u = self.lock()) (*u)->OnSinkDone(id, std::move(status));
    });
  };
  if (!sinks_[s]->TrySubmit(it->second.batch, std::move(done))) waiting_.emplace_back(id, s);
}

void StatusUpdater::OnSinkDone(JourneyId id, Status status) {
  // A sink finished a batch: it has room again for the ones waiting.
  RetryWaiting();
  auto it = journeys_.find(id);
  if (it == journeys_.end()) return;
  Journey& j = it->second;
  if (!status.ok()) {
    ++stats_.delivery_failures;
    j.sink_failed = true;
    j.failure = status.message();
  }
  if (--j.sinks_left != 0) return;
  if (j.sink_failed) {
    End(id, PageStatus::kFailed, "sink: " + j.failure);
    return;
  }
  const PageStatus done =
      j.content.fingerprint == kWithdrawnContent ? PageStatus::kWithdrawn : PageStatus::kDelivered;
  if (options_.on_delivered && j.batch) {
    options_.on_delivered(j.source, *j.batch, std::chrono::steady_clock::now() - j.fetched);
  }
  if (j.found_late && j.year_entry && options_.history != nullptr) {
    // report.found_late went out with the record: it is not sent again.
    if (Status s = options_.history->PutYear(*j.year_entry, true); !s.ok()) {
      End(id, done, "state: " + s.message());
      return;
    }
  }
  if (Status s = ledger_.MarkDelivered(j.url, j.sha256, &j.content); !s.ok()) {
    // Delivered, but the state does not know it: the page is published again after the next
    // fetch (at least once). Said in the reason so the operator sees it.
    End(id, done, "state: " + s.message());
    return;
  }
  End(id, done, "");
}

void StatusUpdater::RetryWaiting() {
  size_t n = waiting_.size();
  for (size_t i = 0; i < n && !waiting_.empty(); ++i) {
    auto [id, s] = waiting_.front();
    waiting_.pop_front();
    Offer(id, s);  // refused again: back at the end of the line
  }
}

void StatusUpdater::PublishEvent(sinks::Batch batch) {
  auto shared = std::make_shared<const sinks::Batch>(std::move(batch));
  std::weak_ptr<StatusUpdater*> self = self_;
  for (auto* sink : sinks_) {
    auto done = [self, loop = loop_.get_executor()](Status) {
      asio::post(loop, [self] {
        if (auto u = self.lock()) (*u)->RetryWaiting();
      });
    };
    if (!sink->TrySubmit(shared, std::move(done))) ++stats_.events_dropped;
  }
}

void StatusUpdater::PublishHeld(sinks::Batch batch) {
  auto shared = std::make_shared<const sinks::Batch>(std::move(batch));
  for (auto* sink : sinks_) OfferHeld(sink, shared);
}

void StatusUpdater::OfferHeld(sinks::Sink* sink, std::shared_ptr<const sinks::Batch> batch) {
  std::weak_ptr<StatusUpdater*> self = self_;
  auto done = [self, sink, batch, loop = loop_.get_executor()](Status status) {
    asio::post(loop, [self, sink, batch, ok = status.ok()] {
      auto u = self.lock();
      if (!u) return;
      if (!ok) (*u)->Hold(sink, batch);
      (*u)->RetryWaiting();
    });
  };
  if (!sink->TrySubmit(batch, std::move(done))) Hold(sink, batch);
}

void StatusUpdater::Hold(sinks::Sink* sink, std::shared_ptr<const sinks::Batch> batch) {
  ++stats_.events_held;
  held_events_.emplace_back(sink, std::move(batch));
  if (held_events_.size() > kMaxHeldEvents) {
    ++stats_.events_dropped;
    Logger("ingest")->warn(
        "{} source events held for sinks that do not take them: the oldest "
        "is dropped",
        held_events_.size());
    held_events_.pop_front();
  }
}

void StatusUpdater::RetryHeldEvents() {
  auto held = std::move(held_events_);
  held_events_.clear();
  for (auto& [sink, batch] : held) OfferHeld(sink, std::move(batch));
}

void StatusUpdater::Ended(JourneyId id, PageStatus status, std::string reason) {
  End(id, status, std::move(reason));
}

void StatusUpdater::End(JourneyId id, PageStatus status, std::string reason) {
  auto it = journeys_.find(id);
  if (it == journeys_.end()) return;
  Journey j = std::move(it->second);
  journeys_.erase(it);
  ++stats_.ended[status];
  Logger("ingest")->debug("page source={} url={} status={} reason={}", j.source, j.url,
                          PageStatusName(status), reason);
  if (j.claims_url) {
    if (auto c = claims_.find(j.url); c != claims_.end() && c->second == id) claims_.erase(c);
  }
  if (on_end_) on_end_(j.source, j.url, status, reason);
  Release(j, /*slot=*/true);
  if (auto sweep = sweeps_.find(j.source); sweep != sweeps_.end()) {
    bool open = false;
    for (const auto& [other, oj] : journeys_) open = open || oj.source == j.source;
    if (!open) {
      auto now = sweep->second;
      sweeps_.erase(sweep);
      RunSweep(j.source, now);
    }
  }
  if (journeys_.empty() && idle_) asio::post(loop_, std::exchange(idle_, nullptr));
}

bool StatusUpdater::FullOfBytes() const {
  // One more fetch would take a typical page; with nothing held, one always may (a page larger
  // than the bound is still read, alone).
  return options_.max_bytes > 0 && bytes_held_ > 0 &&
         bytes_held_ + typical_page_bytes_ >= options_.max_bytes;
}

void StatusUpdater::Release(Journey& j, bool slot) {
  bytes_held_ -= j.held_bytes;
  j.held_bytes = 0;
  if (slot && j.has_slot) {
    --slots_used_;
    j.has_slot = false;
  }
  const bool room = slots_used_ < options_.max_pages && !FullOfBytes();
  if (room && room_wanted_ && on_room_) {
    room_wanted_ = false;
    // Posted: the crawler may be inside a call into this updater right now.
    std::weak_ptr<StatusUpdater*> self = self_;
    asio::post(loop_, [self] {
      if (auto u = self.lock(); u && (*u)->on_room_) (*u)->on_room_();
    });
  }
}

void StatusUpdater::WhenIdle(std::function<void()> idle) {
  if (journeys_.empty()) {
    asio::post(loop_, std::move(idle));
    return;
  }
  idle_ = std::move(idle);
}

void StatusUpdater::Abandon() {
  std::vector<JourneyId> late;
  for (const auto& [id, j] : journeys_) {
    if (j.stage == Stage::kParsing || j.stage == Stage::kDelivering) late.push_back(id);
  }
  for (JourneyId id : late) End(id, PageStatus::kFailed, "shutdown");
  waiting_.clear();
}

}  // namespace nianbao::ingest
