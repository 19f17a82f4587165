// Test helpers for the Kafka sink tests: batches shaped like the pipeline's (a record and its
// findings, with the spec's headers), a thread-safe record of `done` calls, and two real Kafka
// readers (a librdkafka consumer and kcat) that read topics back with read_committed.
#pragma once

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <ostream>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "sinks/sink.h"

namespace nianbao::sinks::testing {

inline constexpr char kReports[] = "nianbao.reports";
inline constexpr char kFindings[] = "nianbao.findings";

// One message as read back; comparable so that sent and read sets can be compared.
struct Record {
  std::string topic;
  std::string key;
  std::string value;
  std::vector<std::pair<std::string, std::string>> headers;
  auto tie() const { return std::tie(topic, key, value, headers); }
  bool operator<(const Record& o) const { return tie() < o.tie(); }
  bool operator==(const Record& o) const { return tie() == o.tie(); }
};

inline std::ostream& operator<<(std::ostream& os, const Record& r) {
  os << r.topic << " key=" << r.key << " value=" << r.value << " headers={";
  for (const auto& [k, v] : r.headers) os << k << "=" << v << ";";
  return os << "}";
}

// Batch `n`: the record to kReports and three findings to kFindings, all keyed by report_id.
inline Batch MakeBatch(int n) {
  const std::string id = "r-" + std::to_string(n);
  Batch b;
  b.id = id + "@deadbeef";
  auto headers = [&](const std::string& schema, const std::string& type, const std::string& ce_id) {
    return std::vector<Header>{{"schema", schema},
                               {"event", "report.published"},
                               {"content-type", "application/json"},
                               {"ce_specversion", "1.0"},
                               {"ce_id", ce_id},
                               {"ce_source", "nianbao/洛碛镇"},
                               {"ce_type", type},
                               {"ce_time", "2024-03-01T08:00:00Z"}};
  };
  nlohmann::json record = {{"schema", "nianbao.report.v1"},
                           {"report_id", id},
                           {"title", "洛碛镇人民政府2020年政府信息公开工作年度报告"},
                           {"year", 2020},
                           {"n", n}};
  b.messages.push_back(
      Message{kReports, id, record.dump(),
              headers("nianbao.report.v1", "cn.gov.nianbao.report.published", id + "/record")});
  for (int j = 0; j < 3; ++j) {
    nlohmann::json finding = {{"report_id", id}, {"rule", "rule-" + std::to_string(j)}};
    b.messages.push_back(Message{
        kFindings, id, finding.dump(),
        headers("nianbao.finding.v1", "cn.gov.nianbao.finding", id + "/f" + std::to_string(j))});
  }
  return b;
}

inline std::vector<Record> RecordsOf(const std::vector<Batch>& batches) {
  std::vector<Record> out;
  for (const Batch& b : batches) {
    for (const Message& m : b.messages) {
      Record r{m.topic, m.key, m.value, {}};
      for (const Header& h : m.headers) r.headers.emplace_back(h.key, h.value);
      out.push_back(std::move(r));
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Records every `done` call, from the sink thread; waited on by the test thread. The callbacks
// share the record, so a sink that reports after a failed assertion never touches freed memory.
class DoneLog {
 public:
  Sink::Done For(const std::string& batch_id) {
    return [state = state_, batch_id](Status s) {
      std::lock_guard<std::mutex> lock(state->mu);
      state->calls.emplace_back(batch_id, std::move(s));
      state->cv.notify_all();
    };
  }
  bool WaitForCalls(size_t n, std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(state_->mu);
    return state_->cv.wait_for(lock, timeout, [&] { return state_->calls.size() >= n; });
  }
  std::vector<std::pair<std::string, Status>> calls() const {
    std::lock_guard<std::mutex> lock(state_->mu);
    return state_->calls;
  }
  size_t count() const {
    std::lock_guard<std::mutex> lock(state_->mu);
    return state_->calls.size();
  }

 private:
  struct State {
    std::mutex mu;
    std::condition_variable cv;
    std::vector<std::pair<std::string, Status>> calls;
  };
  std::shared_ptr<State> state_ = std::make_shared<State>();
};

// Reads every partition of `topics` (name -> partition count) from the beginning with a
// read_committed librdkafka consumer until each partition reports its end. Sorted.
inline std::vector<Record> ConsumeCommitted(const std::string& bootstraps,
                                            const std::map<std::string, int>& topics,
                                            std::chrono::milliseconds timeout, std::string* error) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char errstr[512];
  const std::pair<const char*, const char*> props[] = {{"bootstrap.servers", bootstraps.c_str()},
                                                       {"group.id", "sinks-test-reader"},
                                                       {"isolation.level", "read_committed"},
                                                       {"enable.partition.eof", "true"},
                                                       {"enable.auto.commit", "false"},
                                                       {"auto.offset.reset", "earliest"},
                                                       {"log_level", "3"}};
  for (const auto& [k, v] : props) {
    if (rd_kafka_conf_set(conf, k, v, errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK) {
      *error = errstr;
      rd_kafka_conf_destroy(conf);
      return {};
    }
  }
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
  if (rk == nullptr) {
    *error = errstr;
    rd_kafka_conf_destroy(conf);
    return {};
  }
  rd_kafka_poll_set_consumer(rk);
  rd_kafka_topic_partition_list_t* parts = rd_kafka_topic_partition_list_new(8);
  size_t total = 0;
  for (const auto& [topic, count] : topics) {
    for (int p = 0; p < count; ++p) {
      rd_kafka_topic_partition_list_add(parts, topic.c_str(), p)->offset =
          RD_KAFKA_OFFSET_BEGINNING;
      ++total;
    }
  }
  rd_kafka_assign(rk, parts);
  rd_kafka_topic_partition_list_destroy(parts);

  std::vector<Record> out;
  std::set<std::pair<std::string, int32_t>> at_end;
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (at_end.size() < total && std::chrono::steady_clock::now() < until) {
    rd_kafka_message_t* msg = rd_kafka_consumer_poll(rk, 100);
    if (msg == nullptr) continue;
    const std::string topic = msg->rkt != nullptr ? rd_kafka_topic_name(msg->rkt) : "";
    if (msg->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      at_end.emplace(topic, msg->partition);
    } else if (msg->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      *error = rd_kafka_message_errstr(msg);
    } else {
      Record r;
      r.topic = topic;
      if (msg->key != nullptr) r.key.assign(static_cast<const char*>(msg->key), msg->key_len);
      if (msg->payload != nullptr) {
        r.value.assign(static_cast<const char*>(msg->payload), msg->len);
      }
      rd_kafka_headers_t* hdrs = nullptr;
      if (rd_kafka_message_headers(msg, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        const char* name = nullptr;
        const void* val = nullptr;
        size_t size = 0;
        for (size_t i = 0;
             rd_kafka_header_get_all(hdrs, i, &name, &val, &size) == RD_KAFKA_RESP_ERR_NO_ERROR;
             ++i) {
          r.headers.emplace_back(name, std::string(static_cast<const char*>(val), size));
        }
      }
      out.push_back(std::move(r));
    }
    rd_kafka_message_destroy(msg);
  }
  if (at_end.size() < total && error->empty()) *error = "timed out before the end of the topics";
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  std::sort(out.begin(), out.end());
  return out;
}

// Reads `topic` with kcat (-J: one JSON object per message) as a second, independent client.
// Returns false with `error` set if kcat could not be run or its output did not parse.
inline bool KcatConsume(const std::string& bootstraps, const std::string& topic,
                        std::vector<Record>* out, std::string* error) {
  const std::string cmd = "timeout 30 kcat -C -b '" + bootstraps + "' -t '" + topic +
                          "' -o beginning -e -J -q -X isolation.level=read_committed 2>&1";
  FILE* pipe = popen(cmd.c_str(), "r");
  if (pipe == nullptr) {
    *error = "popen failed";
    return false;
  }
  std::string output;
  char buf[4096];
  size_t n = 0;
  while ((n = fread(buf, 1, sizeof(buf), pipe)) > 0) output.append(buf, n);
  const int rc = pclose(pipe);
  if (rc != 0) {
    *error = "kcat exited with " + std::to_string(rc) + ": " + output;
    return false;
  }
  size_t start = 0;
  while (start < output.size()) {
    size_t end = output.find('\n', start);
    if (end == std::string::npos) end = output.size();
    const std::string line = output.substr(start, end - start);
    start = end + 1;
    if (line.empty()) continue;
    const nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      *error = "kcat printed a line that is not JSON: " + line;
      return false;
    }
    Record r;
    r.topic = j.value("topic", "");
    if (j.contains("key") && j["key"].is_string()) r.key = j["key"].get<std::string>();
    if (j.contains("payload") && j["payload"].is_string()) {
      r.value = j["payload"].get<std::string>();
    }
    if (j.contains("headers") && j["headers"].is_array()) {
      const auto& h = j["headers"];
      for (size_t i = 0; i + 1 < h.size(); i += 2) {
        r.headers.emplace_back(h[i].get<std::string>(), h[i + 1].get<std::string>());
      }
    }
    out->push_back(std::move(r));
  }
  return true;
}

}  // namespace nianbao::sinks::testing
