// sd_notify through the jail. The payload lives in its own pid and mount
// namespaces, so systemd could neither reach nor credit it; zjail binds a
// socket, shows it inside the jail at /run/host/notify, and relays each
// message to $NOTIFY_SOCKET from its own pid, which is the unit's main PID.
#pragma once

#include <string>

#include "zjail/fd.hpp"
#include "zjail/result.hpp"

namespace zjail {

inline constexpr const char* kJailNotifyPath = "/run/host/notify";

class NotifyRelay {
 public:
  // Binds the jail-side socket in a fresh private directory under `run_dir`.
  static Result<NotifyRelay> create(const std::string& run_dir, const std::string& upstream);
  NotifyRelay() = default;
  NotifyRelay(NotifyRelay&& o) noexcept;
  NotifyRelay& operator=(NotifyRelay&& o) noexcept;
  ~NotifyRelay();

  bool active() const { return fd_.valid(); }
  int fd() const { return fd_.get(); }
  const std::string& socket_path() const { return path_; }

  // Reads every pending message and forwards it. MAINPID= is dropped (a pid
  // from inside the jail means nothing outside) and so are passed fds.
  void relay();

  // What the relay would forward of `msg`, for tests.
  static std::string filter(std::string_view msg);

 private:
  void cleanup() noexcept;
  UniqueFd fd_;
  UniqueFd out_;
  std::string path_, dir_, upstream_;
};

}  // namespace zjail
