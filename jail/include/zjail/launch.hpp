// Starting and supervising a jail from a Plan.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include "zjail/cgroup.hpp"
#include "zjail/denials.hpp"
#include "zjail/fd.hpp"
#include "zjail/network_setup.hpp"
#include "zjail/notify.hpp"
#include "zjail/plan.hpp"
#include "zjail/result.hpp"

namespace zjail {

struct SupervisorTicket;  // handover.hpp

struct ExitStatus {
  bool signaled = false;
  int code = 0;  // exit code, or the signal number
  // Killed for a denied system call (SIGSYS): the call, as the denial's
  // log line shows it.
  std::string seccomp_call;
  int shell_code() const { return signaled ? 128 + code : code; }
};

// Blocks the forwarded signals for the lifetime of the object and collects
// them on a signalfd, so none is lost between clone and supervision.
class SignalForwarding {
 public:
  static Result<SignalForwarding> start();
  SignalForwarding(SignalForwarding&& o) noexcept;
  SignalForwarding& operator=(SignalForwarding&&) = delete;
  ~SignalForwarding();
  int fd() const { return fd_.get(); }

 private:
  friend struct SupervisorCarry;  // handover.cpp carries it across an exec
  SignalForwarding() = default;
  sigset_t old_{};
  UniqueFd fd_;
  bool active_ = false;
};

// A running jail: owns the init's pidfd. Destroying a Jail that has not been
// waited for kills the whole jail and reaps it.
class Jail {
 public:
  Jail(Jail&& o) noexcept;
  Jail& operator=(Jail&&) = delete;
  ~Jail();

  pid_t pid() const { return pid_; }
  int pidfd() const { return pidfd_.get(); }

  // Forwards signals from `fwd` and sd_notify messages through `notify`
  // (either may be null) until the jail exits. With `shed_when_idle`, the
  // caller is a supervisor started only for this jail: once the jail has run
  // kShedAfterMs without events, it gives back its start-up memory
  // (memory.hpp) and free heap.
  // With `stop_grace_ms` >= 0 (learn mode), SIGINT and SIGTERM end the
  // jail: the payload gets SIGTERM, and the whole jail is killed once it has
  // had that long to exit. With a `ticket` and `shed_when_idle`, an idle
  // jail is handed over to the small supervisor instead (handover.hpp):
  // then this never returns, unless the handover could not be made.
  Result<ExitStatus> wait(const SignalForwarding* fwd, NotifyRelay* notify = nullptr,
                          bool shed_when_idle = false, int stop_grace_ms = -1,
                          const SupervisorTicket* ticket = nullptr);

  // Kills the init; the kernel then kills everything in its pid namespace.
  // With `reap`, waits for it. Without, it is reaped when already gone and
  // otherwise forgotten: a jail holding children of ours (a login session's)
  // cannot finish dying until we reap those, so waiting here would deadlock.
  Status terminate(bool reap = true);
  // Forgets the jail without touching it: for a forked copy of the owner.
  void disown() noexcept;

 private:
  friend struct SupervisorCarry;  // handover.cpp carries it across an exec
  friend Result<Jail> start_jail(const Plan& plan, JailCgroup* cgroup, DenialReporter report,
                                 NotificationSink* sink);
  Jail() = default;
  pid_t pid_ = -1;
  UniqueFd pidfd_;
  UniqueFd status_;
  DenialSupervisor denials_;  // inactive without Plan::seccomp_notify
  NetworkLease network_;      // what the jail's network holds on the host
  bool reaped_ = false;
  int carried_status_ = -1;   // the payload's status, read by the small supervisor
};

// The fds in the plan that only the launch used, closed once start_jail()
// has returned (all but ListenViaBind='s sockets): the payload's binary, the
// sockets passed to it, the network namespace it joined. The jail holds its
// own; the supervisor's would keep a passed connection (Accept=yes) open
// after the payload closed it, for as long as the jail runs.
void release_payload_fds(Plan& plan);

// What a supervisor that stays keeps of its plan: the filters and what
// explains their denials (the Jail's DenialSupervisor reads them where they
// are), and ListenViaBind='s sockets; the rest is freed, fds with it. One
// that hands over (handover.hpp) leaves the whole plan behind with its exec,
// and frees nothing before: every free after the clone writes to a page the
// clone left copy-on-write.
void keep_for_supervision(Plan& plan);

// Whether the host refuses this process a user namespace: the errno
// (EPERM, ENOSPC: user.max_user_namespaces=0, EACCES, EUSERS), or 0 where
// one can be made and used. The sysctls answer first; where Ubuntu's
// AppArmor restriction is on, which lets one be made but takes its
// capabilities, a real attempt makes a mount namespace in one. For an unprivileged caller's front
// end, which then plans a launch without namespaces (PlanContext).
int user_namespace_refusal() noexcept;

// Whether Yama's kernel.yama.ptrace_scope=3 forbids every ptrace attach,
// which pidfd_getfd() needs to copy the payload's seccomp listener
// (PlanContext::listener_handoff_refused). Scopes 1 and 2 allow it: the
// payload is zjail's descendant, in a user namespace zjail's user owns.
bool listener_handoff_refused() noexcept;

// Creates the namespaces, builds the jail and starts the payload. Returns once
// the payload has called execve, or with the error of the step that failed;
// in that case the payload never ran and the jail is gone. With `cgroup`, the
// jail's init starts inside its cgroup (or is adopted by its scope) before it
// is allowed to run anything. With Plan::seccomp_notify, the jail's denied
// calls go to `report` (from start_jail until wait() returns); `plan` must
// outlive the Jail. With `sink` (learn mode), every notification after the
// handshake goes to it instead; it must outlive the Jail too.
Result<Jail> start_jail(const Plan& plan, JailCgroup* cgroup = nullptr, DenialReporter report = {},
                        NotificationSink* sink = nullptr);

}  // namespace zjail
