// ClusterNode: one node of several that share the sources through a Kafka consumer group
// (docs/cluster.md), the way Kafka Connect workers and Kafka Streams instances share work.
//
//   coordination topic (P partitions, carries nothing): the group's membership vehicle; the
//     partitions assigned to this node (cooperative-sticky) are the sources it polls:
//     source -> PartitionOfHost(the host of its first entry or portal URL) mod P
//   changelog topic (P partitions, compacted): key = URL, value = StateStore::ExportUrl, and
//     key = "source:NAME" (ChangelogKeyOfSource), value = StateStore::ExportSource (the
//     source's due time and history); every write of either here is produced to the
//     partition of its source; a newly assigned partition is read from the beginning to its
//     end offset and the latest record of each key loaded into the local SQLite (the node's
//     cache) before its sources are polled
//
//   poll thread:  rd_kafka_consumer_poll ─► rebalance callback
//                   assigned p:  flush the changelog producer ─► read changelog p to its end
//                                ─► post the records to the loop ─► incremental_assign
//                   revoked p:   post "drop p" to the loop, wait (bounded) until the loop says
//                                its passes ended and its writes were produced ─► flush ─►
//                                incremental_unassign
//                 every second: a metadata request; Kafka unreachable for session_timeout ─►
//                                the loop drops every partition (no polling: nothing could be
//                                published anyway) until Kafka answers again
//   loop thread:  imports the restored records (in chunks), SetOwned on the crawler through
//                 `on_owned`, and produces the changelog records of written URLs and sources
//                 (batched: 10 ms after the first write)
//
// Guarantee: a URL's or a source's state reaches the changelog after the state store recorded
// it, so that the node taking a source over knows what was published (and when the source is
// due, and its organisations' history); a node killed between a delivery and its changelog
// record (a window of milliseconds) leaves that report to be published again with the same
// ce_id (at least once, as after a crash of a single node).
//
// Owner: the daemon, created after the state store and destroyed before it and the loop.
// Threading: Start(), Flush() and the callbacks run on the loop thread; Close() blocks
// (consumer close, producer flush) and must not run on the loop thread; stats() from any
// thread. The poll thread never touches the state store or the crawler: it posts values to
// the loop holding only a weak reference to the loop-side state.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "crawler/sources.h"
#include "crawler/state_store.h"

namespace nianbao::cluster {

struct ClusterOptions {
  std::string brokers;                            // bootstrap.servers ([kafka] brokers)
  std::string group = "nianbao";                  // group.id
  std::string topic = "nianbao.cluster";          // the coordination topic
  std::string changelog_topic = "nianbao.state";  // the compacted changelog
  int partitions = 12;                            // P of both topics (created if missing)
  std::string node;                               // client.id and group.instance-free member name
  std::chrono::milliseconds session_timeout{10'000};
  // How long a revoke waits for the passes of its sources to end (then it goes on: their
  // last writes may reach the changelog late, see the guarantee above).
  std::chrono::milliseconds revoke_timeout{5'000};
  // Other librdkafka properties ([kafka] properties: security and the like), for the
  // consumer, the producer and the admin calls alike.
  std::map<std::string, std::string> properties;
};

// FNV-1a (32 bits) of the bytes: stable across builds and machines, unlike std::hash.
uint32_t Fnv1a(std::string_view bytes);
// The host a source is polled on ("host[:port]" of its first entry URL, or of its portal):
// the crawler's politeness key, so that one host's sources share one partition.
std::string HostOfSource(const crawler::Source& source);
// The partition of a source: Fnv1a(HostOfSource) mod partitions.
int32_t PartitionOfSource(const crawler::Source& source, int partitions);

// The changelog key of a source's state: "source:" + name. It can never be a URL's key, since
// the state keeps only absolute http(s) URLs.
inline constexpr std::string_view kSourceKeyPrefix = "source:";
std::string ChangelogKeyOfSource(const std::string& source);

// Member states, the values of nianbao_cluster_member_state.
enum class MemberState { kJoining = 0, kStable = 1, kRebalancing = 2, kUnreachable = 3 };
const char* MemberStateName(MemberState s);

struct ClusterStats {
  std::set<int32_t> partitions;  // owned now (restored and polled)
  MemberState state = MemberState::kJoining;
  int64_t changelog_produced = 0;  // records handed to the producer
  int64_t changelog_errors = 0;    // records the producer failed to deliver, or refused
  int64_t restored = 0;            // records loaded into the state store
  std::string unreachable;         // "" or why Kafka cannot be reached
};

class ClusterNode {
 public:
  struct Hooks {
    // The partitions owned changed (restored first): the crawler polls their sources.
    std::function<void(const std::set<int32_t>& owned)> on_owned;
    // Whether the sources of these partitions have no pass under way (a revoke waits for it).
    std::function<bool(const std::set<int32_t>& partitions)> quiet;
  };

  // Creates the topics if missing (checks their partition count when present), joins the
  // group and starts the poll thread. Errors name the setting or the broker's answer.
  static Result<std::unique_ptr<ClusterNode>> Start(boost::asio::io_context& io,
                                                    crawler::StateStore& state,
                                                    const crawler::SourcesConfig& sources,
                                                    ClusterOptions options, Hooks hooks);
  ~ClusterNode();
  ClusterNode(const ClusterNode&) = delete;
  ClusterNode& operator=(const ClusterNode&) = delete;

  // A new sources file (SIGHUP): the partition of each source name is computed again.
  void SetSources(const crawler::SourcesConfig& sources);
  // Produces the changelog records of the URLs and sources written since the last flush.
  // Loop thread.
  void Flush();
  // Leaves the group (its partitions move at once) and flushes the changelog within
  // `deadline`. Blocks; not on the loop thread, which must keep running meanwhile.
  void Close(std::chrono::milliseconds deadline);
  ClusterStats stats() const;
  const ClusterOptions& options() const;

  struct Impl;

 private:
  explicit ClusterNode(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace nianbao::cluster
