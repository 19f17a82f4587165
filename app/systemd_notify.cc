#include "app/systemd_notify.h"

#include <systemd/sd-daemon.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>

namespace nianbao::app {
namespace {

nianbao::Status Send(const std::string& state) {
  // unset_environment = 0: the watchdog and later notifications need NOTIFY_SOCKET again.
  const int r = sd_notify(0, state.c_str());
  if (r < 0) {
    return nianbao::Status::IoError("sd_notify(" + state.substr(0, state.find('=')) +
                                    "): " + std::strerror(-r));
  }
  return nianbao::Status::Ok();  // r == 0: not under systemd, nothing to do
}

}  // namespace

bool SystemdNotifier::active() const {
  const char* socket = std::getenv("NOTIFY_SOCKET");
  return socket != nullptr && *socket != '\0';
}

nianbao::Status SystemdNotifier::Ready() { return Send("READY=1"); }

nianbao::Status SystemdNotifier::Status(std::string_view text) {
  std::string msg = "STATUS=";
  for (const char c : text) msg += (c == '\n' || c == '\r') ? ' ' : c;
  return Send(msg);
}

nianbao::Status SystemdNotifier::Watchdog() { return Send("WATCHDOG=1"); }

nianbao::Status SystemdNotifier::Stopping() { return Send("STOPPING=1"); }

nianbao::Status SystemdNotifier::Reloading() {
  // systemd compares MONOTONIC_USEC with CLOCK_MONOTONIC to tell this reload from an older one.
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  const std::uint64_t usec = static_cast<std::uint64_t>(ts.tv_sec) * 1000000u +
                             static_cast<std::uint64_t>(ts.tv_nsec) / 1000u;
  return Send("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(usec));
}

std::optional<std::chrono::microseconds> SystemdNotifier::WatchdogInterval() const {
  std::uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return std::nullopt;
  // Half the timeout, as sd_watchdog_enabled(3) recommends: one late ping is not fatal.
  return std::chrono::microseconds(usec / 2);
}

}  // namespace nianbao::app
