// A standalone Kafka for the end-to-end tests: librdkafka's mock cluster in its own process,
// so that a test can stop the daemon (even with SIGKILL) while the cluster and its data live
// on, and can take the brokers down and up.
//
//   mock_kafka [--brokers N] [--topic NAME[:PARTITIONS]]...   prints "BOOTSTRAP host:port,..." then
//   reads commands on stdin, one a line: "down" / "up" (every broker), "quit"; EOF also quits.
//
// Test code; not installed. Threading: main thread only.
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "sinks/embedded_kafka.h"

int main(int argc, char** argv) {
  nianbao::sinks::EmbeddedKafka::Options options;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--brokers" && i + 1 < argc) {
      options.brokers = std::stoi(argv[++i]);
    } else if (arg == "--topic" && i + 1 < argc) {
      // NAME or NAME:PARTITIONS (the cluster's topics: the mock does not serve CreateTopics,
      // and a metadata request would create them with its default partition count).
      std::string topic = argv[++i];
      int partitions = 1;
      if (auto colon = topic.rfind(':'); colon != std::string::npos) {
        partitions = std::stoi(topic.substr(colon + 1));
        topic.resize(colon);
      }
      options.topics.push_back({topic, partitions});
    } else {
      std::cerr << "usage: mock_kafka [--brokers N] [--topic NAME[:PARTITIONS]]...\n";
      return 2;
    }
  }
  auto cluster = nianbao::sinks::EmbeddedKafka::Start(options);
  if (!cluster.ok()) {
    std::cerr << "mock_kafka: " << cluster.status().ToString() << "\n";
    return 1;
  }
  std::cout << "BOOTSTRAP " << cluster.value()->bootstraps() << std::endl;
  std::string line;
  while (std::getline(std::cin, line)) {
    nianbao::Status s;
    if (line == "down") {
      s = cluster.value()->SetBrokerDown(-1);
    } else if (line == "up") {
      s = cluster.value()->SetBrokerUp(-1);
    } else if (line == "quit") {
      break;
    } else {
      s = nianbao::Status::InvalidArgument("unknown command: " + line);
    }
    std::cout << (s.ok() ? "OK" : "ERROR " + s.ToString()) << std::endl;
  }
  return 0;
}
