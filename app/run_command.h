// `nianbao run --config FILE`: the daemon.
//
//   start:  config (+ sources) ─► logging ─► state (SQLite) ─► [embedded Kafka] ─► sinks
//           ─► metrics endpoint ─► pipeline workers ─► crawler ─► sd_notify READY=1
//
//   run:    crawler (loop thread) ─► PageQueue ─► pipeline (parser threads) ─► sinks
//           ─► acknowledged ─► StateStore::MarkDelivered (loop thread)
//           timers on the loop: watchdog ping, metrics sampling, sd_notify STATUS
//
//   SIGHUP: reload the sources file; a bad one is logged and the old one kept; the old
//           crawler stops scheduling, its fetches in flight finish, the new one starts.
//
//   SIGTERM / SIGINT (and the end of --once):
//     stop scheduling ─► fetches in flight finish (or are cancelled at half the deadline)
//     ─► page queue closed ─► parser workers drain it ─► sinks flushed until the deadline,
//     what is left reported undelivered (not marked: fetched and published again after a
//     restart) ─► state closed ─► exit 0
//
// Exit status: 0 after a clean stop; 2 when the configuration, the sources file, the state
// or a sink cannot be opened (the message names the file and line, or the property); with
// --once, 3 when the pass left work for the next one (a report not delivered, a state write
// that failed: both are fetched and handed on again next time).
// Threading: the main thread runs the event loop; the shutdown drain runs on one helper
// thread so that the loop keeps serving delivery acknowledgements while it waits.
#pragma once

#include <string>

namespace nianbao::app {

struct RunCommandOptions {
  std::string config;
  bool once = false;    // one pass over every source, deliver, stop
  double linger_s = 0;  // with --once and the embedded Kafka: keep it up this long after
                        // delivery (or until SIGTERM) so that a reader can consume
};

int RunDaemon(const RunCommandOptions& options);

}  // namespace nianbao::app
