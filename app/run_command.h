// `nianbao run --config FILE`: the daemon.
//
//   start:  config (+ sources) ─► logging ─► state (SQLite) ─► [embedded Kafka] ─► sinks
//           ─► metrics endpoint ─► CPU pool ─► status updater ─► crawler ─► READY=1
//
//   run:    crawler (loop thread) ─► status updater (loop thread) ─► parse on the CPU pool
//           ─► sinks ─► acknowledged ─► StateStore::MarkDelivered (loop thread)
//           timers on the loop: watchdog ping, metrics sampling, sd_notify STATUS
//
//   SIGHUP: re-read the config file and its sources file; a bad one is logged and the old
//           one kept. The sources and [log] are applied; any other changed setting is named
//           in a warning (it needs a restart). The old crawler stops scheduling, its fetches
//           in flight finish (hurried at the shutdown deadline), the new one starts and keeps
//           each source's stored due time.
//
//   SIGTERM / SIGINT (and the end of --once), one deadline armed on the loop:
//     stop scheduling ─► fetches in flight finish (cancelled at half the deadline)
//     ─► pages being parsed and delivered reach their final status (or, at the deadline,
//     end as failed: not marked delivered, so fetched and published again after a restart)
//     ─► sinks closed on a pool thread with what is left of the deadline ─► exit 0
//
// Exit status: 0 after a clean stop; 2 when the configuration, the sources file, the state
// or a sink cannot be opened (the message names the file and line, or the property); with
// --once, 3 when the pass left work for the next one (a report not delivered, a state write
// that failed: both are fetched and handed on again next time).
// Threading: the main thread runs the event loop, which owns the crawler, the status
// updater and the state; parsing and the sinks' blocking close run on the CPU pool.
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
