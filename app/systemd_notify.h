// SystemdNotifier: the daemon's side of systemd's Type=notify protocol (sd_notify(3)).
//
// The unit (systemd/nianbao.service) is Type=notify with WatchdogSec=, so the daemon must:
//   Ready()     once it serves (config loaded, sinks open, endpoint listening); until then
//               `systemctl start` waits, and fails after TimeoutStartSec.
//   Watchdog()  from a timer on the loop every WatchdogInterval(); a loop that stops
//               turning stops pinging, and systemd kills and restarts the service.
//   Reloading() on SIGHUP before re-reading the config, then Ready() when done.
//   Stopping()  as shutdown starts (before the producer flush, which may take a while).
//   Status(t)   a one-line state shown by `systemctl status` ("crawling 12 sources").
//
// Outside systemd (NOTIFY_SOCKET unset: a terminal, tests, `nianbao parse`) every call is a
// no-op returning OK, and WatchdogInterval() is nullopt.
//
// Errors: a call returns kIoError only when NOTIFY_SOCKET is set and the datagram cannot be
// sent; the daemon logs it and carries on (systemd will notice the missing READY/ping itself).
// Ownership: a plain value with no state; the daemon keeps one.
// Threading: any thread. Each call is one non-blocking send on a Unix datagram socket, so it
// is fine on the loop thread.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

#include "base/status.h"

namespace nianbao::app {

class SystemdNotifier {
 public:
  // True when the process was started by systemd with a notification socket.
  bool active() const;

  nianbao::Status Ready();
  // The text is one line: line feeds are replaced with spaces so it cannot inject other
  // protocol assignments.
  nianbao::Status Status(std::string_view text);
  nianbao::Status Watchdog();
  nianbao::Status Stopping();
  // Sends RELOADING=1 with MONOTONIC_USEC (what Type=notify-reload expects on newer systemd);
  // REQUIRES: Ready() again once the reload is done.
  nianbao::Status Reloading();

  // Half of WatchdogSec when the watchdog is enabled for this process (WATCHDOG_USEC set and
  // WATCHDOG_PID absent or ours), the ping period sd_watchdog_enabled(3) recommends; else
  // nullopt.
  std::optional<std::chrono::microseconds> WatchdogInterval() const;
};

}  // namespace nianbao::app
