#include "cluster/cluster_node.h"

#include <librdkafka/rdkafka.h>
#include <spdlog/fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <future>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "base/logging.h"
#include "crawler/links.h"

namespace nianbao::cluster {

namespace asio = boost::asio;
using namespace std::chrono_literals;

uint32_t Fnv1a(std::string_view bytes) {
  uint32_t h = 2166136261u;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 16777619u;
  }
  return h;
}

std::string HostOfSource(const crawler::Source& source) {
  const std::string& url = !source.entry.empty() ? source.entry.front() : source.portal;
  return crawler::HostKey(url);
}

int32_t PartitionOfSource(const crawler::Source& source, int partitions) {
  return static_cast<int32_t>(Fnv1a(HostOfSource(source)) % static_cast<uint32_t>(partitions));
}

std::string ChangelogKeyOfSource(const std::string& source) {
  return std::string(kSourceKeyPrefix) + source;
}

const char* MemberStateName(MemberState s) {
  static constexpr const char* kNames[] = {"joining", "stable", "rebalancing", "unreachable"};
  return kNames[static_cast<int>(s)];
}

namespace {

struct ConfDeleter {
  void operator()(rd_kafka_conf_t* c) const { rd_kafka_conf_destroy(c); }
};
using ConfPtr = std::unique_ptr<rd_kafka_conf_t, ConfDeleter>;
struct PartitionsDeleter {
  void operator()(rd_kafka_topic_partition_list_t* l) const {
    rd_kafka_topic_partition_list_destroy(l);
  }
};
using PartitionsPtr = std::unique_ptr<rd_kafka_topic_partition_list_t, PartitionsDeleter>;

Status Set(rd_kafka_conf_t* conf, const std::string& name, const std::string& value) {
  char err[512];
  if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), err, sizeof(err)) != RD_KAFKA_CONF_OK) {
    return Status::InvalidArgument("[cluster] " + name + "=" + value + ": " + err);
  }
  return Status::Ok();
}

Result<ConfPtr> MakeConf(const ClusterOptions& o,
                         const std::vector<std::pair<std::string, std::string>>& own) {
  ConfPtr conf(rd_kafka_conf_new());
  std::vector<std::pair<std::string, std::string>> props = {{"bootstrap.servers", o.brokers},
                                                            {"client.id", "nianbao-" + o.node}};
  props.insert(props.end(), own.begin(), own.end());
  for (const auto& [k, v] : o.properties) props.emplace_back(k, v);
  for (const auto& [k, v] : props) {
    if (Status s = Set(conf.get(), k, v); !s.ok()) return s;
  }
  return conf;
}

}  // namespace

struct ClusterNode::Impl {
  Impl(asio::io_context& io_context, crawler::StateStore& store, ClusterOptions o, Hooks h)
      : io(io_context),
        state(store),
        options(std::move(o)),
        hooks(std::move(h)),
        flush_timer(io_context),
        log(Logger("cluster")) {}
  ~Impl() {
    stop = true;
    if (poller.joinable()) poller.join();
    if (restorer != nullptr) {
      (void)rd_kafka_consumer_close(restorer);
      rd_kafka_destroy(restorer);
    }
    if (consumer != nullptr) rd_kafka_destroy(consumer);
    if (producer != nullptr) rd_kafka_destroy(producer);
  }

  asio::io_context& io;
  crawler::StateStore& state;  // loop thread only
  ClusterOptions options;
  Hooks hooks;
  asio::steady_timer flush_timer;  // loop thread
  std::shared_ptr<spdlog::logger> log;

  rd_kafka_t* consumer = nullptr;  // the group member; poll thread (and Close)
  rd_kafka_t* restorer = nullptr;  // reads the changelog; poll thread
  rd_kafka_t* producer = nullptr;  // the changelog; produce on the loop, flush anywhere
  std::thread poller;
  std::atomic<bool> stop{false};
  std::weak_ptr<Impl> weak;  // for what the poll thread posts to the loop

  // Loop thread.
  std::map<std::string, int32_t> partition_of_source;
  std::set<std::string> dirty;
  bool flush_armed = false;
  std::set<int32_t> owned;

  // Any thread.
  mutable std::mutex mu;
  ClusterStats stats;             // GUARDED_BY(mu)
  std::vector<std::string> redo;  // GUARDED_BY(mu): URLs whose record failed
  std::set<int32_t> assigned;     // GUARDED_BY(mu): librdkafka's assignment, restored
  bool suspended = false;         // poll thread: partitions dropped while unreachable

  // A changelog record read back: its key (a URL, or ChangelogKeyOfSource) and its value.
  using Record = std::pair<std::string, std::string>;

  // ---- loop thread ----

  // `key` is a URL (kUrl) or a source name (kSource); dirty holds changelog keys.
  void OnWritten(crawler::StateStore::WrittenKind kind, const std::string& key) {
    dirty.insert(kind == crawler::StateStore::WrittenKind::kSource ? ChangelogKeyOfSource(key)
                                                                   : key);
    if (flush_armed) return;
    flush_armed = true;
    // A short delay batches the writes of one fetch (a row, then its version, its delivery)
    // and keeps the window between a delivery and its record small.
    flush_timer.expires_after(10ms);
    std::weak_ptr<Impl> w = weak;
    flush_timer.async_wait([w](const boost::system::error_code& ec) {
      if (auto self = w.lock()) {
        self->flush_armed = false;
        if (!ec) self->Flush();
      }
    });
  }

  void Flush() {
    {
      std::lock_guard<std::mutex> lock(mu);
      dirty.insert(redo.begin(), redo.end());
      redo.clear();
    }
    std::set<std::string> left;
    int64_t produced = 0, errors = 0;
    for (const auto& key : dirty) {
      auto record = ExportRecord(key);
      if (!record.ok()) {
        ++errors;
        log->warn("changelog: {}", record.status().message());
        continue;
      }
      if (!record.value()) continue;  // no row, or a source no longer in the file
      const auto& [partition, value] = *record.value();
      // rd_kafka_produceva: producev's array form, whose macros would need C-style casts.
      rd_kafka_vu_t vu[5] = {};
      vu[0].vtype = RD_KAFKA_VTYPE_TOPIC;
      vu[0].u.cstr = options.changelog_topic.c_str();
      vu[1].vtype = RD_KAFKA_VTYPE_PARTITION;
      vu[1].u.i32 = partition;
      vu[2].vtype = RD_KAFKA_VTYPE_MSGFLAGS;
      vu[2].u.i = RD_KAFKA_MSG_F_COPY;
      vu[3].vtype = RD_KAFKA_VTYPE_KEY;
      vu[3].u.mem = {const_cast<char*>(key.data()), key.size()};
      vu[4].vtype = RD_KAFKA_VTYPE_VALUE;
      vu[4].u.mem = {const_cast<char*>(value.data()), value.size()};
      rd_kafka_error_t* error = rd_kafka_produceva(producer, vu, 5);
      const rd_kafka_resp_err_t err =
          error != nullptr ? rd_kafka_error_code(error) : RD_KAFKA_RESP_ERR_NO_ERROR;
      if (error != nullptr) rd_kafka_error_destroy(error);
      if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        left.insert(key);  // backpressure: kept dirty, produced at the next flush
      } else if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        ++errors;
        log->warn("changelog {}: {}", key, rd_kafka_err2str(err));
      } else {
        ++produced;
      }
    }
    dirty = std::move(left);
    (void)rd_kafka_poll(producer, 0);  // delivery reports, on this thread
    std::lock_guard<std::mutex> lock(mu);
    stats.changelog_produced += produced;
    stats.changelog_errors += errors;
  }

  // The changelog record of a key and the partition it goes to: a source's state (key
  // ChangelogKeyOfSource) or a URL's, on the partition of its source; nullopt when there is
  // nothing to carry (no row) or the source is no longer in the sources file.
  Result<std::optional<std::pair<int32_t, std::string>>> ExportRecord(const std::string& key) {
    using Out = std::optional<std::pair<int32_t, std::string>>;
    if (key.starts_with(kSourceKeyPrefix)) {
      const std::string source = key.substr(std::string_view(kSourceKeyPrefix).size());
      auto it = partition_of_source.find(source);
      if (it == partition_of_source.end()) return Out();
      auto record = state.ExportSource(source);
      if (!record.ok()) return record.status();
      if (!record.value()) return Out();
      return Out(std::make_pair(it->second, std::move(*record.value())));
    }
    auto record = state.ExportUrl(key);
    if (!record.ok()) return record.status();
    if (!record.value()) return Out();
    // The record names its source (ExportUrl's row); read without exceptions.
    auto j = nlohmann::json::parse(*record.value(), nullptr, false);
    const nlohmann::json* source = nullptr;
    if (j.is_object() && j.contains("row") && j["row"].is_object() && j["row"].contains("source") &&
        j["row"]["source"].is_string()) {
      source = &j["row"]["source"];
    }
    auto it = source == nullptr ? partition_of_source.end()
                                : partition_of_source.find(source->get_ref<const std::string&>());
    if (it == partition_of_source.end()) return Out();
    return Out(std::make_pair(it->second, std::move(*record.value())));
  }

  void SetOwnedOnLoop(std::set<int32_t> now) {
    owned = std::move(now);
    {
      std::lock_guard<std::mutex> lock(mu);
      stats.partitions = owned;
    }
    if (hooks.on_owned) hooks.on_owned(owned);
  }

  // Loads restored records in chunks (the loop serves other work between them), then owns p.
  void Import(int32_t p, std::shared_ptr<std::vector<Record>> records, size_t from) {
    size_t end = std::min(records->size(), from + 500);
    int64_t loaded = 0;
    for (size_t i = from; i < end; ++i) {
      const auto& [key, value] = (*records)[i];
      Status s =
          key.starts_with(kSourceKeyPrefix) ? state.ImportSource(value) : state.ImportUrl(value);
      if (!s.ok()) {
        log->warn("changelog partition {}: {}", p, s.message());
      } else {
        ++loaded;
      }
    }
    {
      std::lock_guard<std::mutex> lock(mu);
      stats.restored += loaded;
    }
    if (end < records->size()) {
      std::weak_ptr<Impl> w = weak;
      asio::post(io, [w, p, records, end] {
        if (auto self = w.lock()) self->Import(p, records, end);
      });
      return;
    }
    log->info("partition {}: {} changelog records restored; its sources are polled", p,
              records->size());
    auto next = owned;
    next.insert(p);
    SetOwnedOnLoop(std::move(next));
  }

  // A revoke: drops the partitions, then fulfils `done` once their passes ended and their
  // writes were produced (the poll thread waits for it, bounded).
  void Drop(std::set<int32_t> parts, std::shared_ptr<std::promise<void>> done) {
    auto next = owned;
    for (int32_t p : parts) next.erase(p);
    SetOwnedOnLoop(std::move(next));
    WaitQuiet(std::move(parts), std::move(done), std::make_shared<asio::steady_timer>(io));
  }

  void WaitQuiet(std::set<int32_t> parts, std::shared_ptr<std::promise<void>> done,
                 std::shared_ptr<asio::steady_timer> timer) {
    if (!hooks.quiet || hooks.quiet(parts)) {
      Flush();
      done->set_value();
      return;
    }
    timer->expires_after(50ms);
    std::weak_ptr<Impl> w = weak;
    timer->async_wait([w, parts, done, timer](const boost::system::error_code&) {
      if (auto self = w.lock()) self->WaitQuiet(parts, done, timer);
    });
  }

  // ---- poll thread ----

  // Every record of changelog partition p up to its end offset, the last per key.
  Result<std::vector<Record>> ReadChangelog(int32_t p) {
    int64_t low = 0, high = 0;
    rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(
        restorer, options.changelog_topic.c_str(), p, &low, &high, 5000);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return Status::Unavailable("changelog partition " + std::to_string(p) +
                                 " end offset: " + rd_kafka_err2str(err));
    }
    std::vector<Record> out;
    if (high <= low) return out;
    PartitionsPtr list(rd_kafka_topic_partition_list_new(1));
    rd_kafka_topic_partition_list_add(list.get(), options.changelog_topic.c_str(), p)->offset = low;
    if (err = rd_kafka_assign(restorer, list.get()); err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return Status::Unavailable(std::string("changelog assign: ") + rd_kafka_err2str(err));
    }
    std::map<std::string, std::string> last;
    int64_t next = low;
    const auto until = std::chrono::steady_clock::now() + options.session_timeout * 3;
    Status result = Status::Ok();
    while (next < high) {
      if (stop || std::chrono::steady_clock::now() > until) {
        result = Status::Unavailable("changelog partition " + std::to_string(p) +
                                     ": not read to its end in time");
        break;
      }
      rd_kafka_message_t* m = rd_kafka_consumer_poll(restorer, 200);
      if (m == nullptr) continue;
      if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        next = m->offset + 1;
        std::string key(static_cast<const char*>(m->key), m->key_len);
        if (m->payload != nullptr) {
          last[key] = std::string(static_cast<const char*>(m->payload), m->len);
        } else {
          last.erase(key);  // a tombstone
        }
      } else if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        log->warn("changelog partition {}: {}", p, rd_kafka_message_errstr(m));
      }
      rd_kafka_message_destroy(m);
    }
    if (err = rd_kafka_assign(restorer, nullptr); err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      log->warn("changelog unassign: {}", rd_kafka_err2str(err));
    }
    if (!result.ok()) return result;
    out.reserve(last.size());
    for (auto& [k, v] : last) out.emplace_back(k, std::move(v));
    return out;
  }

  // Restores each partition and posts it to the loop; the ones that cannot be read now are
  // returned (retried by the poll loop).
  std::set<int32_t> Restore(const std::set<int32_t>& parts) {
    // Our own records still queued go first: a restore must not read an older state back.
    if (rd_kafka_resp_err_t err = rd_kafka_flush(producer, 5000);
        err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      log->warn("changelog flush before a restore: {}", rd_kafka_err2str(err));
    }
    std::set<int32_t> failed;
    for (int32_t p : parts) {
      auto records = ReadChangelog(p);
      if (!records.ok()) {
        log->warn("{}; retried", records.status().message());
        failed.insert(p);
        continue;
      }
      auto shared = std::make_shared<std::vector<Record>>(std::move(records).value());
      std::weak_ptr<Impl> w = weak;
      asio::post(io, [w, p, shared] {
        if (auto self = w.lock()) self->Import(p, shared, 0);
      });
    }
    return failed;
  }

  std::set<int32_t> pending_restore;  // poll thread: assigned, not yet restored

  static std::set<int32_t> Parts(const rd_kafka_topic_partition_list_t* l) {
    std::set<int32_t> out;
    for (int i = 0; l != nullptr && i < l->cnt; ++i) out.insert(l->elems[i].partition);
    return out;
  }

  void SetState(MemberState s) {
    std::lock_guard<std::mutex> lock(mu);
    stats.state = s;
  }

  void PostDrop(const std::set<int32_t>& parts, bool wait) {
    auto done = std::make_shared<std::promise<void>>();
    auto fut = done->get_future();
    std::weak_ptr<Impl> w = weak;
    asio::post(io, [w, parts, done] {
      if (auto self = w.lock()) {
        self->Drop(parts, done);
      } else {
        done->set_value();
      }
    });
    if (!wait) return;
    if (fut.wait_for(options.revoke_timeout) != std::future_status::ready) {
      log->warn("revoke: the passes of partitions being moved did not end within {} ms",
                options.revoke_timeout.count());
    }
    if (rd_kafka_resp_err_t err = rd_kafka_flush(producer, 2000);
        err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      log->warn("changelog flush at a revoke: {}", rd_kafka_err2str(err));
    }
  }

  // The rebalance callback: runs inside rd_kafka_consumer_poll / close, on the poll thread.
  static void OnRebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                          rd_kafka_topic_partition_list_t* parts, void* opaque) {
    static_cast<Impl*>(opaque)->Rebalance(rk, err, parts);
  }

  void Rebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts) {
    const bool cooperative = std::string_view(rd_kafka_rebalance_protocol(rk)) == "COOPERATIVE";
    std::set<int32_t> set = Parts(parts);
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
      SetState(MemberState::kRebalancing);
      log->info("assigned partitions {}", fmt::join(set, ","));
      auto failed = Restore(set);
      pending_restore.insert(failed.begin(), failed.end());
      {
        std::lock_guard<std::mutex> lock(mu);
        assigned.insert(set.begin(), set.end());
      }
      rd_kafka_error_t* e = nullptr;
      rd_kafka_resp_err_t aerr = RD_KAFKA_RESP_ERR_NO_ERROR;
      if (cooperative) {
        e = rd_kafka_incremental_assign(rk, parts);
      } else {
        aerr = rd_kafka_assign(rk, parts);
      }
      if (e != nullptr) {
        log->error("incremental assign: {}", rd_kafka_error_string(e));
        rd_kafka_error_destroy(e);
      } else if (aerr != RD_KAFKA_RESP_ERR_NO_ERROR) {
        log->error("assign: {}", rd_kafka_err2str(aerr));
      }
      SetState(MemberState::kStable);
      return;
    }
    // Revoked (or lost: another node may already have them; nothing to wait for then).
    const bool lost = rd_kafka_assignment_lost(rk) != 0;
    log->info("{} partitions {}", lost ? "lost" : "revoked", fmt::join(set, ","));
    SetState(MemberState::kRebalancing);
    for (int32_t p : set) pending_restore.erase(p);
    {
      std::lock_guard<std::mutex> lock(mu);
      for (int32_t p : set) assigned.erase(p);
    }
    PostDrop(set, !lost);
    if (cooperative) {
      if (rd_kafka_error_t* e = rd_kafka_incremental_unassign(rk, parts); e != nullptr) {
        log->error("incremental unassign: {}", rd_kafka_error_string(e));
        rd_kafka_error_destroy(e);
      }
    } else if (rd_kafka_resp_err_t uerr = rd_kafka_assign(rk, nullptr);
               uerr != RD_KAFKA_RESP_ERR_NO_ERROR) {
      log->error("unassign: {}", rd_kafka_err2str(uerr));
    }
  }

  static void OnDelivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
    auto* self = static_cast<Impl*>(opaque);
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) return;
    std::lock_guard<std::mutex> lock(self->mu);
    ++self->stats.changelog_errors;
    self->redo.emplace_back(static_cast<const char*>(m->key), m->key_len);
  }

  static void OnError(rd_kafka_t*, int err, const char* reason, void* opaque) {
    static_cast<Impl*>(opaque)->log->warn("kafka: {} ({})", reason,
                                          rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(err)));
  }

  void PollLoop() {
    auto last_check = std::chrono::steady_clock::now() - 1h;
    // When Kafka stopped answering; time_point::max() while it answers.
    auto down_since = std::chrono::steady_clock::time_point::max();
    while (!stop) {
      if (rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer, 100); m != nullptr) {
        // The coordination topic carries nothing the work depends on.
        rd_kafka_message_destroy(m);
      }
      const auto now = std::chrono::steady_clock::now();
      if (now - last_check < 1s) continue;
      last_check = now;
      const rd_kafka_metadata_t* md = nullptr;
      rd_kafka_resp_err_t err = rd_kafka_metadata(consumer, 0, nullptr, &md, 1000);
      if (md != nullptr) rd_kafka_metadata_destroy(md);
      if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        if (down_since == std::chrono::steady_clock::time_point::max()) down_since = now;
        {
          std::lock_guard<std::mutex> lock(mu);
          stats.unreachable = std::string("kafka unreachable: ") + rd_kafka_err2str(err);
        }
        if (!suspended && now - down_since >= options.session_timeout) {
          suspended = true;
          SetState(MemberState::kUnreachable);
          log->warn("kafka unreachable for {} ms: the sources of this node are not polled",
                    options.session_timeout.count());
          std::set<int32_t> all;
          for (int32_t p = 0; p < options.partitions; ++p) all.insert(p);
          PostDrop(all, false);
        }
        continue;
      }
      down_since = std::chrono::steady_clock::time_point::max();
      {
        std::lock_guard<std::mutex> lock(mu);
        stats.unreachable.clear();
      }
      std::set<int32_t> again;
      if (suspended) {
        suspended = false;
        log->info("kafka reachable again");
        std::lock_guard<std::mutex> lock(mu);
        again = assigned;
        // Partitions still assigned are restored below; a node the group dropped meanwhile
        // (its session expired) is joining until the rebalance callback assigns it again.
        stats.state = assigned.empty() ? MemberState::kJoining : MemberState::kStable;
      }
      again.insert(pending_restore.begin(), pending_restore.end());
      if (!again.empty()) pending_restore = Restore(again);
    }
  }

  Status EnsureTopics() {
    char errstr[512];
    // A metadata request must not create the topic with the broker's default partitions.
    auto conf = MakeConf(options, {{"allow.auto.create.topics", "false"}});
    if (!conf.ok()) return conf.status();
    rd_kafka_t* admin =
        rd_kafka_new(RD_KAFKA_PRODUCER, conf.value().release(), errstr, sizeof(errstr));
    if (admin == nullptr) return Status::InvalidArgument(std::string("[cluster]: ") + errstr);
    std::unique_ptr<rd_kafka_t, decltype(&rd_kafka_destroy)> holder(admin, &rd_kafka_destroy);
    struct Want {
      const std::string* name;
      bool compact;
    };
    // Looked up first (allow.auto.create.topics=false: the request must not create it with
    // the broker's default partition count), created when missing.
    for (Want w : {Want{&options.topic, false}, Want{&options.changelog_topic, true}}) {
      rd_kafka_topic_t* rkt = rd_kafka_topic_new(admin, w.name->c_str(), nullptr);
      if (rkt == nullptr) return Status::InvalidArgument("[cluster] topic " + *w.name);
      const rd_kafka_metadata_t* md = nullptr;
      rd_kafka_resp_err_t err = rd_kafka_metadata(admin, 0, rkt, &md, 10000);
      rd_kafka_topic_destroy(rkt);
      int found = -1;
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR && md != nullptr && md->topic_cnt == 1 &&
          md->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        found = md->topics[0].partition_cnt;
      }
      if (md != nullptr) rd_kafka_metadata_destroy(md);
      if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return Status::Unavailable("[cluster]: metadata of " + *w.name + ": " +
                                   rd_kafka_err2str(err));
      }
      if (found < 0) {
        bool created = false;
        if (Status s = CreateTopic(admin, *w.name, w.compact, &created); !s.ok()) return s;
        continue;
      }
      if (found != options.partitions) {
        return Status::InvalidArgument(
            "[cluster] partitions = " + std::to_string(options.partitions) + ", but topic " +
            *w.name + " has " + std::to_string(found));
      }
    }
    return Status::Ok();
  }

  // Creates the topic; *created is false when it was there already.
  Status CreateTopic(rd_kafka_t* admin, const std::string& name, bool compact, bool* created) {
    char errstr[512];
    rd_kafka_NewTopic_t* t =
        rd_kafka_NewTopic_new(name.c_str(), options.partitions, -1, errstr, sizeof(errstr));
    if (t == nullptr) return Status::InvalidArgument("[cluster] topic " + name + ": " + errstr);
    if (compact) {
      if (rd_kafka_resp_err_t e = rd_kafka_NewTopic_set_config(t, "cleanup.policy", "compact");
          e != RD_KAFKA_RESP_ERR_NO_ERROR) {
        rd_kafka_NewTopic_destroy(t);
        return Status::InvalidArgument(std::string("cleanup.policy: ") + rd_kafka_err2str(e));
      }
    }
    rd_kafka_queue_t* q = rd_kafka_queue_new(admin);
    rd_kafka_CreateTopics(admin, &t, 1, nullptr, q);
    rd_kafka_event_t* ev = rd_kafka_queue_poll(q, 15000);
    Status result = Status::Ok();
    if (ev == nullptr) {
      result = Status::Unavailable("[cluster]: creating topic " + name + ": no answer");
    } else if (rd_kafka_event_error(ev) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      result = Status::Unavailable("[cluster]: creating topic " + name + ": " +
                                   rd_kafka_event_error_string(ev));
    } else {
      size_t n = 0;
      const rd_kafka_topic_result_t** r =
          rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &n);
      for (size_t i = 0; i < n; ++i) {
        rd_kafka_resp_err_t e = rd_kafka_topic_result_error(r[i]);
        *created = e == RD_KAFKA_RESP_ERR_NO_ERROR;
        if (e != RD_KAFKA_RESP_ERR_NO_ERROR && e != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
          result =
              Status::Unavailable("[cluster]: creating topic " + name + ": " + rd_kafka_err2str(e));
        }
      }
    }
    if (ev != nullptr) rd_kafka_event_destroy(ev);
    rd_kafka_queue_destroy(q);
    rd_kafka_NewTopic_destroy(t);
    if (result.ok() && *created) {
      log->info("created topic {} with {} partitions", name, options.partitions);
    }
    return result;
  }

  Status Open() {
    if (Status s = EnsureTopics(); !s.ok()) return s;
    char errstr[512];
    const std::string session = std::to_string(options.session_timeout.count());
    const std::string heartbeat =
        std::to_string(std::max<int64_t>(100, options.session_timeout.count() / 3));
    auto cconf = MakeConf(options, {{"group.id", options.group},
                                    {"partition.assignment.strategy", "cooperative-sticky"},
                                    {"session.timeout.ms", session},
                                    {"heartbeat.interval.ms", heartbeat},
                                    {"enable.auto.commit", "false"},
                                    {"auto.offset.reset", "latest"}});
    if (!cconf.ok()) return cconf.status();
    rd_kafka_conf_set_opaque(cconf.value().get(), this);
    rd_kafka_conf_set_rebalance_cb(cconf.value().get(), &Impl::OnRebalance);
    rd_kafka_conf_set_error_cb(cconf.value().get(), &Impl::OnError);
    consumer = rd_kafka_new(RD_KAFKA_CONSUMER, cconf.value().release(), errstr, sizeof(errstr));
    if (consumer == nullptr) return Status::InvalidArgument(std::string("[cluster]: ") + errstr);
    if (rd_kafka_resp_err_t e = rd_kafka_poll_set_consumer(consumer);
        e != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return Status::Internal(std::string("poll_set_consumer: ") + rd_kafka_err2str(e));
    }
    auto rconf = MakeConf(options, {{"group.id", options.group + ".restore." + options.node},
                                    {"enable.auto.commit", "false"},
                                    {"enable.partition.eof", "false"},
                                    // A restore reads to a known end: no waiting for more.
                                    {"fetch.wait.max.ms", "10"}});
    if (!rconf.ok()) return rconf.status();
    restorer = rd_kafka_new(RD_KAFKA_CONSUMER, rconf.value().release(), errstr, sizeof(errstr));
    if (restorer == nullptr) return Status::InvalidArgument(std::string("[cluster]: ") + errstr);
    if (rd_kafka_resp_err_t e = rd_kafka_poll_set_consumer(restorer);
        e != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return Status::Internal(std::string("poll_set_consumer: ") + rd_kafka_err2str(e));
    }
    auto pconf = MakeConf(options, {{"enable.idempotence", "true"}, {"linger.ms", "5"}});
    if (!pconf.ok()) return pconf.status();
    rd_kafka_conf_set_opaque(pconf.value().get(), this);
    rd_kafka_conf_set_dr_msg_cb(pconf.value().get(), &Impl::OnDelivery);
    rd_kafka_conf_set_error_cb(pconf.value().get(), &Impl::OnError);
    producer = rd_kafka_new(RD_KAFKA_PRODUCER, pconf.value().release(), errstr, sizeof(errstr));
    if (producer == nullptr) return Status::InvalidArgument(std::string("[cluster]: ") + errstr);
    PartitionsPtr topics(rd_kafka_topic_partition_list_new(1));
    rd_kafka_topic_partition_list_add(topics.get(), options.topic.c_str(), RD_KAFKA_PARTITION_UA);
    if (rd_kafka_resp_err_t e = rd_kafka_subscribe(consumer, topics.get());
        e != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return Status::Unavailable(std::string("[cluster] subscribe: ") + rd_kafka_err2str(e));
    }
    return Status::Ok();
  }
};

ClusterNode::ClusterNode(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

ClusterNode::~ClusterNode() {
  if (impl_) impl_->state.SetOnWritten(nullptr);
}

Result<std::unique_ptr<ClusterNode>> ClusterNode::Start(asio::io_context& io,
                                                        crawler::StateStore& state,
                                                        const crawler::SourcesConfig& sources,
                                                        ClusterOptions options, Hooks hooks) {
  if (options.partitions < 1) return Status::InvalidArgument("[cluster] partitions must be >= 1");
  auto impl = std::make_shared<Impl>(io, state, std::move(options), std::move(hooks));
  impl->weak = impl;
  if (Status s = impl->Open(); !s.ok()) return s;
  std::unique_ptr<ClusterNode> node(new ClusterNode(impl));
  node->SetSources(sources);
  std::weak_ptr<Impl> w = impl;
  state.SetOnWritten([w](crawler::StateStore::WrittenKind kind, const std::string& key) {
    if (auto self = w.lock()) self->OnWritten(kind, key);
  });
  impl->poller = std::thread([raw = impl.get()] { raw->PollLoop(); });
  impl->log->info("node {} joining group {} on {} ({} partitions)", impl->options.node,
                  impl->options.group, impl->options.topic, impl->options.partitions);
  return node;
}

void ClusterNode::SetSources(const crawler::SourcesConfig& sources) {
  impl_->partition_of_source.clear();
  for (const auto& s : sources.sources) {
    impl_->partition_of_source[s.name] = PartitionOfSource(s, impl_->options.partitions);
  }
}

void ClusterNode::Flush() { impl_->Flush(); }

void ClusterNode::Close(std::chrono::milliseconds deadline) {
  const auto until = std::chrono::steady_clock::now() + deadline;
  impl_->stop = true;
  if (impl_->poller.joinable()) impl_->poller.join();
  // Leaves the group: the revoke callback runs here (it waits for the loop, bounded), and
  // the coordinator rebalances the others at once.
  if (rd_kafka_resp_err_t e = rd_kafka_consumer_close(impl_->consumer);
      e != RD_KAFKA_RESP_ERR_NO_ERROR) {
    impl_->log->warn("leaving the group: {}", rd_kafka_err2str(e));
  }
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      until - std::chrono::steady_clock::now());
  if (rd_kafka_resp_err_t e =
          rd_kafka_flush(impl_->producer, static_cast<int>(std::max<int64_t>(100, left.count())));
      e != RD_KAFKA_RESP_ERR_NO_ERROR) {
    impl_->log->warn("changelog: {} records not delivered at shutdown",
                     rd_kafka_outq_len(impl_->producer));
  }
  impl_->log->info("node {} left group {}", impl_->options.node, impl_->options.group);
}

ClusterStats ClusterNode::stats() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->stats;
}

const ClusterOptions& ClusterNode::options() const { return impl_->options; }

}  // namespace nianbao::cluster
