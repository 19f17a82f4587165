#include "sinks/embedded_kafka.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <spdlog/fmt/fmt.h>

#include <algorithm>

#include "base/logging.h"

namespace nianbao::sinks {
namespace {

// librdkafka logs from its own threads; the logger is thread-safe and spdlog does not throw.
void LogToSpdlog(const rd_kafka_t* /*rk*/, int level, const char* fac, const char* buf) noexcept {
  static const std::shared_ptr<spdlog::logger> logger = Logger("sinks.kafka");
  // The dummy handle has no bootstrap.servers by design: its warning about that is noise.
  const spdlog::level::level_enum lvl = level <= 3 ? spdlog::level::err : spdlog::level::debug;
  logger->log(lvl, "embedded kafka: {} {}", fac, buf);
}

}  // namespace

Result<std::unique_ptr<EmbeddedKafka>> EmbeddedKafka::Start(Options options) {
  if (options.brokers < 1) {
    return Status::InvalidArgument(
        fmt::format("embedded kafka: brokers must be >= 1, not {}", options.brokers));
  }
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set_log_cb(conf, LogToSpdlog);
  char errstr[512];
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
  if (rk == nullptr) {
    rd_kafka_conf_destroy(conf);
    return Status::Internal(fmt::format("embedded kafka: cannot create handle: {}", errstr));
  }
  std::unique_ptr<EmbeddedKafka> kafka(new EmbeddedKafka());
  kafka->handle_ = rk;
  kafka->cluster_ = rd_kafka_mock_cluster_new(rk, options.brokers);
  if (kafka->cluster_ == nullptr) {
    return Status::Internal("embedded kafka: cannot start the mock cluster");
  }
  kafka->bootstraps_ = rd_kafka_mock_cluster_bootstraps(kafka->cluster_);
  kafka->broker_count_ = options.brokers;
  for (const auto& topic : options.topics) {
    Status s = kafka->CreateTopic(topic.name, topic.partitions);
    if (!s.ok()) return s;
  }
  return kafka;
}

EmbeddedKafka::~EmbeddedKafka() {
  if (cluster_ != nullptr) rd_kafka_mock_cluster_destroy(cluster_);
  if (handle_ != nullptr) rd_kafka_destroy(handle_);
}

Status EmbeddedKafka::CreateTopic(const std::string& name, int partitions) {
  const int replication = std::min(3, broker_count_);
  const rd_kafka_resp_err_t err =
      rd_kafka_mock_topic_create(cluster_, name.c_str(), partitions, replication);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return Status::InvalidArgument(
        fmt::format("embedded kafka: cannot create topic {}: {}", name, rd_kafka_err2str(err)));
  }
  return Status::Ok();
}

Status EmbeddedKafka::SetBrokerDown(int32_t broker_id) {
  const rd_kafka_resp_err_t err = rd_kafka_mock_broker_set_down(cluster_, broker_id);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return Status::InvalidArgument(fmt::format("embedded kafka: cannot set broker {} down: {}",
                                               broker_id, rd_kafka_err2str(err)));
  }
  return Status::Ok();
}

Status EmbeddedKafka::SetBrokerUp(int32_t broker_id) {
  const rd_kafka_resp_err_t err = rd_kafka_mock_broker_set_up(cluster_, broker_id);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return Status::InvalidArgument(fmt::format("embedded kafka: cannot set broker {} up: {}",
                                               broker_id, rd_kafka_err2str(err)));
  }
  return Status::Ok();
}

void EmbeddedKafka::PushRequestErrors(Api api, const std::vector<int>& errors) {
  std::vector<rd_kafka_resp_err_t> errs;
  errs.reserve(errors.size());
  for (int e : errors) errs.push_back(static_cast<rd_kafka_resp_err_t>(e));
  rd_kafka_mock_push_request_errors_array(cluster_, static_cast<int16_t>(api), errs.size(),
                                          errs.data());
}

}  // namespace nianbao::sinks
