// A VersionLedger in memory for the ingest tests: the rules of crawler::StateStore's (its own
// tests check the real one) without a database, and a record of every MarkDelivered call.
// Loop thread only, like the real one.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "base/page.h"

namespace nianbao::testing {

class MemoryLedger final : public VersionLedger {
 public:
  struct Row {
    DeliveredState delivered;
    std::string pending;
  };

  Result<DeliveredState> GetDelivered(const std::string& url) override {
    auto it = rows.find(url);
    return it == rows.end() ? DeliveredState{} : it->second.delivered;
  }
  Result<int64_t> BeginVersion(const std::string& url, const std::string& content) override {
    Row& r = rows[url];
    if (r.pending != content || r.delivered.version == 0) {
      ++r.delivered.version;
      r.pending = content;
    }
    return r.delivered.version;
  }
  Status MarkDelivered(const std::string& url, const std::string& sha256,
                       const DeliveredContent* content) override {
    marked.emplace_back(url, sha256);
    Row& r = rows[url];
    r.delivered.sha256 = sha256;
    if (content != nullptr) {
      r.delivered.fingerprint = content->fingerprint;
      r.delivered.shape = content->shape;
      r.delivered.suspect.clear();
      if (r.pending == content->fingerprint) r.pending.clear();
    }
    return Status::Ok();
  }
  Status MarkSuspect(const std::string& url, const std::string& fingerprint) override {
    rows[url].delivered.suspect = fingerprint;
    return Status::Ok();
  }

  std::map<std::string, Row> rows;
  std::vector<std::pair<std::string, std::string>> marked;  // (url, sha256) per MarkDelivered
};

}  // namespace nianbao::testing
