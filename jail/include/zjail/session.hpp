// Confining a login session (pam_zjail): the calling process, sshd's
// privileged session process, joins a jail built by a fresh init, so that
// everything it forks afterwards (the user's shell, commands, sftp, port
// forwarding) lives inside. OpenSSH opens the PAM session there before it
// forks anything for the user, which is why joining covers all of it.
#pragma once

#include <sys/types.h>

#include <string>

#include "zjail/launch.hpp"
#include "zjail/plan.hpp"
#include "zjail/profile.hpp"
#include "zjail/result.hpp"

namespace zjail {

// Puts the calling process into a transient systemd scope under the user's
// slice (user-UID.slice) carrying the profile's limits, so that every process
// of the session is accounted and limited there. No limits: nothing to do.
// Without systemd, limits are an error unless EnforceLimits=best-effort,
// which sets `warning` instead.
Status place_session_in_scope(const Resources& r, const std::string& user, uid_t uid,
                              std::string& warning, const Fault& fault = {});

class SessionJail {
 public:
  // Runs the session steps on a plan from build_session_plan(): start the
  // jail's init (which builds the jail and then only reaps), join its mount,
  // pid, network, uts, ipc and cgroup namespaces, apply the rlimits, empty
  // the capability bounding set, set NO_NEW_PRIVS and install the seccomp
  // filters. The caller keeps its effective capabilities (it must still drop
  // to the user), but nothing it ever executes can gain any. On error the
  // jail is gone again; if the join already happened the caller is left
  // inside a jail it must not use: it fails the session.
  static Result<SessionJail> enter(const Plan& plan);

  SessionJail(SessionJail&&) noexcept = default;
  SessionJail& operator=(SessionJail&&) = delete;
  // Ends the jail if the process that entered it still owns it (a forked
  // copy of this object never kills the session).
  ~SessionJail();

  pid_t init_pid() const { return jail_.pid(); }

  // Kills the jail's init, and with it every process in the jail. Only the
  // process that entered the jail may end it; see ~SessionJail on reaping.
  Status end();

 private:
  explicit SessionJail(Jail jail);
  Jail jail_;
  pid_t owner_;
};

}  // namespace zjail
