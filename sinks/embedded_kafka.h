// EmbeddedKafka: librdkafka's in-process mock Kafka cluster (rdkafka_mock.h) with a few topics.
//
// Used by the daemon when the configuration says brokers = "embedded" (a demo that needs no
// broker: nothing is persisted, everything is gone at exit) and by the tests, which point real
// librdkafka clients (KafkaSink, a consumer, kcat) at bootstraps() and inject faults.
// What the mock does not do (librdkafka 2.0.2): it keeps no data on disk, and it accepts
// transactions but does not hide aborted messages from read_committed consumers.
//
// Owner: whoever calls Start(). Destroy the clients of the cluster (sinks, consumers) first;
// clients still connected at destruction only see their connections drop.
// Threading: the mock brokers run on librdkafka's own threads. The methods below may be called
// from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"

struct rd_kafka_s;
struct rd_kafka_mock_cluster_s;

namespace nianbao::sinks {

struct EmbeddedKafkaOptions {
  struct Topic {
    std::string name;
    int partitions = 1;
  };
  // Brokers in the cluster, ids 1..brokers. Default 1 (use 3 to test one broker failing).
  int brokers = 1;
  // Topics created at start (replication factor min(3, brokers)). Others are auto-created with
  // the mock's default partition count when a client first asks for them.
  std::vector<Topic> topics;
};

class EmbeddedKafka {
 public:
  using Options = EmbeddedKafkaOptions;

  // Kafka protocol request types (ApiKey), for PushRequestErrors().
  enum class Api : int16_t {
    kProduce = 0,
    kFetch = 1,
    kMetadata = 3,
    kFindCoordinator = 10,
    kInitProducerId = 22,
    kAddPartitionsToTxn = 24,
    kEndTxn = 26,
  };

  static Result<std::unique_ptr<EmbeddedKafka>> Start(Options options);
  ~EmbeddedKafka();
  EmbeddedKafka(const EmbeddedKafka&) = delete;
  EmbeddedKafka& operator=(const EmbeddedKafka&) = delete;

  // "127.0.0.1:port,..." for bootstrap.servers.
  const std::string& bootstraps() const { return bootstraps_; }
  int broker_count() const { return broker_count_; }

  Status CreateTopic(const std::string& name, int partitions);
  // Disconnects broker `broker_id` (1..brokers; -1 = all) and refuses new connections, or lets it
  // accept them again. Leadership does not move.
  Status SetBrokerDown(int32_t broker_id);
  Status SetBrokerUp(int32_t broker_id);
  // The next requests of type `api` fail with these Kafka error codes (rd_kafka_resp_err_t
  // values), one per request, in order; RD_KAFKA_RESP_ERR__TRANSPORT drops the connection.
  void PushRequestErrors(Api api, const std::vector<int>& errors);

  // The raw handle for fault injection not wrapped here (rdkafka_mock.h). Valid while *this is.
  rd_kafka_mock_cluster_s* mock_cluster() const { return cluster_; }

 private:
  EmbeddedKafka() = default;

  rd_kafka_s* handle_ = nullptr;  // the dummy producer the cluster hangs off; never connects
  rd_kafka_mock_cluster_s* cluster_ = nullptr;
  std::string bootstraps_;
  int broker_count_ = 0;
};

}  // namespace nianbao::sinks
