// sd_notify through the jail. The payload lives in its own pid and mount
// namespaces, so systemd could neither reach nor credit it; zjail binds a
// socket, shows it inside the jail at /run/host/notify, and relays each
// message to $NOTIFY_SOCKET from its own pid, which is the unit's main PID.
//
// zjail is root, and systemd believes a privileged sender about anything,
// MAINPID= of a host process included. So a message is rebuilt from an
// allow-list of assignments whose values are checked, never passed on as
// sent. Both sockets are non-blocking: a wedged upstream cannot stall the
// supervisor (docs/systemd.md).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "zjail/fd.hpp"
#include "zjail/result.hpp"

namespace zjail {

inline constexpr const char* kJailNotifyPath = "/run/host/notify";

class NotifyRelay {
 public:
  // systemd's NOTIFY_BUFFER_MAX: a longer message it ignores, so do we.
  static constexpr size_t kMaxMessage = 4096;
  // Messages waiting for a full upstream; while that many wait, the jail's
  // socket is left unread and its senders wait, as they would on systemd's.
  static constexpr size_t kMaxQueued = 16;

  // Removes what dead zjails left in `run_dir`, then binds the jail-side
  // socket in a fresh private directory there, locked for zjail's lifetime.
  // `any_user`: a payload on the host's own root that may switch users
  // (learn mode's native jail) reaches it by its path, which a directory
  // no one may list keeps secret (run_dir 0711, a 64-bit random name).
  static Result<NotifyRelay> create(const std::string& run_dir, const std::string& upstream, bool any_user = false);
  NotifyRelay() = default;
  NotifyRelay(NotifyRelay&& o) noexcept;
  NotifyRelay& operator=(NotifyRelay&& o) noexcept;
  ~NotifyRelay();

  bool active() const { return fd_.valid(); }
  const std::string& socket_path() const { return path_; }

  // For the supervisor's poll: the jail side (POLLIN) while wants_input(),
  // the upstream (POLLOUT) while pending().
  int fd() const { return fd_.get(); }
  int upstream_fd() const { return out_.get(); }
  bool wants_input() const { return queue_.size() < kMaxQueued; }
  bool pending() const { return !queue_.empty(); }
  // Messages the jail sent (learn mode: the payload used sd_notify).
  uint64_t received() const { return received_; }

  // Sends what the upstream takes, then reads and filters what the jail sent
  // while there is room. Never blocks.
  void relay();

  // The message systemd gets for `msg` from the jail; "" drops it.
  static std::string filter(std::string_view msg);

  // Removes notify-<pid>-<n> directories of zjails that are gone: the pid is
  // dead and nobody holds the directory's lock. Never follows a symlink.
  static void remove_stale(const std::string& run_dir);

 private:
  friend struct SupervisorCarry;  // handover.cpp carries it across an exec
  void flush();
  bool connect_upstream();
  void cleanup() noexcept;
  UniqueFd fd_, out_, lock_;
  uint64_t received_ = 0;
  std::vector<std::string> queue_;  // at most kMaxQueued; empty costs nothing
  std::string path_, dir_, upstream_;
};

}  // namespace zjail
