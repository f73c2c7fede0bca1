// Learn mode's observer (docs/learn.md, "How learning observes"): the
// payload attaches a watch filter that routes the calls learning needs to
// zjail's seccomp listener, and zjail records each one in learn::Observations
// and lets it go on (SECCOMP_USER_NOTIF_FLAG_CONTINUE). No ptrace, no strace.
//
//   plan:    learn_native_profile() (without --profile), then plan_watch();
//   launch:  start_jail(plan, cgroup, {}, &observer): the listener reaches
//            zjail as for the denial explanations (denials.hpp);
//   runtime: Observer::handle() on each notification (Jail::wait);
//   end:     Observer::finish(), then learn::write_profile() (learn.hpp).
//
// learn_watch.cpp builds the filter, learn_observe.cpp records the calls,
// learn_args.cpp reads their arguments from the payload, learn_jail.cpp
// shapes the native jail. Nothing here runs in the child.
#pragma once

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/types.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "zjail/denials.hpp"
#include "zjail/learn.hpp"
#include "zjail/plan.hpp"
#include "zjail/result.hpp"

namespace zjail::learn {

// The directives of the jail learning runs in without --profile: the
// host's root and network, its /dev, no private /tmp. With
// PlanContext::learn_native, the planner adds the caller's own identity
// and capabilities, and no Landlock (learn_jail.cpp).
std::string native_profile();

// The system calls the watch filter routes to the listener: those whose
// arguments learning reads, and every call outside @system-service, which
// a learned profile must name. mmap, mprotect and pkey_mprotect go only
// with PROT_EXEC. Native numbers, sorted.
Result<std::vector<int>> watched_calls();

// Replaces plan.seccomp_notify (built by plan_denials) with the watch
// filter: the watched calls go to the listener first, then the profile's
// merged filter, every denial of which also goes to the listener (learning
// answers them). The enforcing launch never sees this filter.
Status plan_watch(Plan& plan);

// One notification, decoded: the call's name and the facts it adds.
class Observer : public NotificationSink {
 public:
  // `plan` must outlive the observer. `against_base`: --profile BASE, so a
  // path missing in the jail but there on the host is not `missing` (the
  // writer compares everything with the base).
  Observer(const Plan& plan, bool against_base, std::vector<std::string> command, std::string user);

  bool handle(int listener, const seccomp_notif& n) override;  // always true
  // A bind() ListenViaBind= answered: recorded as any other call.
  void observe(int listener, const seccomp_notif& n) override;

  // What the run showed outside the calls: sd_notify messages relayed.
  void finish(uint64_t notify_messages);

  const Observations& observations() const { return obs_; }

 private:
  void record(int listener, pid_t tid, const seccomp_notif& n);
  bool passed_socket(pid_t tid, int fd) const;

  const Plan& plan_;
  bool against_base_;
  Observations obs_;
  std::set<pid_t> processes_;          // thread groups seen (host pids)
  std::set<std::pair<dev_t, ino_t>> passed_;  // the sockets of LISTEN_FDS
};

}  // namespace zjail::learn
