// Denial explanations: every system call the jail's filters deny is routed
// to zjail (seccomp user notification), which answers it exactly as the
// filters would have (the errno, or the kill) and logs one line saying what
// was denied, in which process, and which directive denied it.
//
//   plan:    notify_filter(plan.seccomp) -> the one filter the payload
//            attaches with a listener (allowed calls cost what they did);
//   launch:  the payload hands the listener over (child/steps.cpp, launch.cpp);
//   runtime: DenialSupervisor::handle() on each notification (Jail::wait).
//
// The pure parts (merging, evaluating, explaining, formatting) are here and
// in denials.cpp; the supervisor, which talks to the kernel, in
// denial_supervisor.cpp. Nothing here runs in the child.
#pragma once

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "zjail/fd.hpp"
#include "zjail/plan.hpp"
#include "zjail/profile.hpp"
#include "zjail/result.hpp"

namespace zjail {

// The filters' joint verdict on one call, as the kernel reaches it: the
// highest-precedence action over all filters, the latest filter winning a tie.
struct Verdict {
  uint32_t action = SECCOMP_RET_ALLOW;  // the full return value
  int filter = -1;                      // which filter decided; -1: allowed
  bool kill() const;
  bool denied() const;
  int err() const;                      // for SECCOMP_RET_ERRNO
};

// Runs classic BPF on `data` as the kernel does (the subset seccomp
// accepts). A malformed program reads as "kill".
uint32_t run_bpf(const std::vector<sock_filter>& prog, const seccomp_data& data);
Verdict evaluate(const std::vector<std::vector<sock_filter>>& filters, const seccomp_data& data);

// The one filter the payload attaches with a listener: the filters
// concatenated, each one's "allow" a jump to the next, and every errno
// denial SECCOMP_RET_USER_NOTIF. A kill stays the kernel's own action
// (`kills_in_kernel`), which no signal handler can outlive: a denial in one
// filter first checks the later filters for a kill, which outranks it.
// Without (--explain), kills go to zjail too, to be named. SECCOMP_RET_LOG
// stays, in the last filter only. Only plain jumps replace returns, so the
// calls the kernel's action cache allowed before are still allowed from the
// cache. A prologue kills calls of another ABI (i386, x32) directly.
// The merged filter's first instructions: calls of another ABI (i386,
// x32) are killed by the kernel, before anything else looks at them.
std::vector<sock_filter> abi_prologue();

Result<std::vector<sock_filter>> notify_filter(const std::vector<std::vector<sock_filter>>& filters,
                                               bool kills_in_kernel = true);

// One denied call, as zjail logs it.
struct Denial {
  std::string call;       // "openat(\"/etc/shadow\")", "ptrace(PTRACE_TRACEME)"
  std::string name;       // "openat": the journal's ZJAIL_SYSCALL=
  pid_t pid = 0;          // as the jail sees it (0: unknown)
  std::string comm;
  std::string directive;  // "not in SystemCallFilter= (profiles/nginx.profile:31)"
  std::string directive_name;  // "SystemCallFilter=": the journal's ZJAIL_DIRECTIVE=
  bool kill = false;      // the process was killed (else the call failed)
  int err = 0;            // the errno the call failed with
  uint64_t repeats = 0;   // a summary line: this many more were not shown
  std::string line() const;  // without the "zjail: " prefix
};

// Where the profile set each directive the base filter's rules come from
// (DenialSource::origins).
std::map<std::string, std::string> base_filter_origins(const Profile& p);

// The directive behind `filter`'s denial of call `nr` (native numbering).
// `sources` is parallel to the filters; a base filter's built-in rules are
// named here.
std::pair<std::string, std::string> explain(const std::vector<DenialSource>& sources, int filter, int nr,
                                            const seccomp_data& data);

// "ptrace(PTRACE_TRACEME)", "socket(AF_NETLINK)", "ioctl(TIOCSTI)",
// "openat(\"/etc/shadow\")" (`path`: the path argument as read, "" unread).
std::string describe_call(const seccomp_data& data, const std::string& path);
// What the payload wrote (a path, its comm), for a log line: control
// characters, '"', '\\' and bytes that are not printable UTF-8 as C escapes
// ("\x1b"), so the payload can neither break zjail's line in two nor send
// the terminal escape sequences, nor turn the journal entry into a blob.
std::string shown(std::string_view text);
// The index of the path argument of `nr` (open, openat, execve, ...), or -1.
int path_argument(int nr);

using DenialReporter = std::function<void(const Denial&)>;

// Learn mode (learn_observe.hpp) and explain mode (explain.hpp): sees every
// notification after the handshake before the denial explanations do.
// Returns true if it answered it; false leaves it to the supervisor, which
// answers it as the filters would (learn mode answers everything itself).
class NotificationSink {
 public:
  virtual ~NotificationSink() = default;
  virtual bool handle(int listener, const seccomp_notif& n) = 0;
  // A call zjail answers itself (a bind() ListenViaBind= hands a socket,
  // listen_via_bind.hpp): seen while its caller waits, not to be answered.
  virtual void observe(int /*listener*/, const seccomp_notif& /*n*/) {}
};

// The parent's end of the listener. Owns the listener fd; answers each
// notification as the original filters would, and reports it.
class DenialSupervisor {
 public:
  DenialSupervisor() = default;
  // `bind_sockets` (ListenViaBind=, listen_via_bind.hpp) are handed to the
  // payload's bind() first, before the sink sees the call.
  DenialSupervisor(UniqueFd listener, pid_t payload, const std::vector<std::vector<sock_filter>>* filters,
                   const std::vector<DenialSource>* sources, DenialReporter report,
                   NotificationSink* sink = nullptr, const std::vector<BindSocket>* bind_sockets = nullptr);
  DenialSupervisor(DenialSupervisor&&) noexcept = default;
  DenialSupervisor& operator=(DenialSupervisor&&) noexcept = default;

  int fd() const { return listener_.get(); }
  bool active() const { return static_cast<bool>(listener_); }

  // Takes one notification and answers it. The listener hung up (no process
  // left under the filter): stops being active.
  void handle();
  // The launch's handshake: waits for the payload's marker call and answers
  // it, so the payload knows the listener is held (launch.cpp).
  Status handshake(int timeout_ms);
  // Summary lines for the calls whose denials were not all shown.
  void report_suppressed();
  // No process is left under the filter (the listener hung up).
  void close_listener();

  // The payload's main process was killed for a denied call: its name.
  const std::string& killed_payload_call() const { return killed_call_; }

 private:
  friend struct SupervisorCarry;  // handover.cpp carries it across an exec
  UniqueFd listener_;
  pid_t payload_ = -1;  // host pid of the payload's main process
  const std::vector<std::vector<sock_filter>>* filters_ = nullptr;
  const std::vector<DenialSource>* sources_ = nullptr;
  DenialReporter report_;
  NotificationSink* sink_ = nullptr;
  const std::vector<BindSocket>* bind_sockets_ = nullptr;
  std::map<int, uint64_t> seen_;  // per call: denials so far
  std::map<int, Denial> last_;    // per call, once past kDenialsShown: the latest
  std::string killed_call_;
};

// How many denials of one call are shown before they are only counted.
inline constexpr uint64_t kDenialsShown = 3;

// The plan's merged filter (Plan::seccomp_notify) and sources, for a launch
// with namespaces. The payload must be able to write its record after
// attaching it, and its marker call must reach the listener: both are checked.
// With `explain_kills` (--explain), kills are routed to zjail as well and
// named, at the price of a kill a signal handler can outlive (docs/denials.md).
Status plan_denials(Plan& plan, bool explain_kills = false);

}  // namespace zjail
