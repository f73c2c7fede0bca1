// The session steps, in order: the init builds the jail exactly as for a
// command (child/steps.cpp), then the calling process walks the table below.
// These run in the caller itself, so they are plain calls on the plan, like
// the payload's steps, and the seccomp filter comes last.
#include "zjail/session.hpp"

#include <sched.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/seccomp.h>

#include "scope.hpp"
#include "zjail/cgroup.hpp"

namespace zjail {
namespace {

int join_namespaces(const Plan& plan, int pidfd) {
  // One setns() for all of them: either the caller is in every namespace of
  // the jail or in none. The mount namespace brings the jail's root and cwd.
  int flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWCGROUP;
  if (plan.clone_flags & CLONE_NEWNET) flags |= CLONE_NEWNET;
  return setns(pidfd, flags) < 0 ? errno : 0;
}

int apply_rlimits(const Plan& plan, int) {
  for (const auto& l : plan.rlimits) {
    rlimit r{l.soft, l.hard};
    if (setrlimit(static_cast<__rlimit_resource>(l.resource), &r) < 0) return errno;
  }
  return 0;
}

// The caller keeps its effective set: sshd still has to allocate the pty and
// drop to the user. What goes is every capability anything it executes could
// ever gain, through setuid-root or file-capability binaries alike.
int drop_bounding(const Plan& plan, int) {
  for (int c = 0; c <= plan.last_cap && c < 64; ++c) {
    if (plan.bounding & (1ULL << c)) continue;
    if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL) return errno;
  }
  return prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 ? errno : 0;
}

int set_no_new_privs(const Plan&, int) {
  return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ? errno : 0;
}

int install_seccomp(const Plan& plan, int) {
  if (plan.seccomp.empty()) return EINVAL;
  for (const auto& insns : plan.seccomp) {
    sock_fprog prog{static_cast<unsigned short>(insns.size()), const_cast<sock_filter*>(insns.data())};
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0) return errno;
  }
  return 0;
}

struct JoinStep {
  Step step;
  int (*run)(const Plan&, int pidfd);
  const char* what;
};

constexpr JoinStep kJoinSteps[] = {
    {Step::JoinJail, join_namespaces, "setns into the jail's namespaces"},
    {Step::Rlimits, apply_rlimits, "Limit*="},
    {Step::BoundingSet, drop_bounding, "empty the capability bounding set"},
    {Step::NoNewPrivs, set_no_new_privs, "PR_SET_NO_NEW_PRIVS"},
    {Step::Seccomp, install_seccomp, "seccomp filters"},
};
static_assert(runs_in_order(kJoinSteps, kSessionPath, Step::InitSeal), "a session's steps run in Step order");

}  // namespace

Status place_session_in_scope(const Resources& r, const std::string& user, uid_t uid,
                              std::string& warning, const Fault& fault) {
  if (!r.any_limit()) return {};
  ZJAIL_TRY(inject_fault(fault, Step::Cgroup));
  if (!probe_cgroup_environment().systemd_running) {
    std::string why = "systemd is not running, so no scope can hold the session's limits";
    if (r.enforce_strict.value.value_or(true))
      return make_error(Step::Cgroup, 0, "resource limits requested but cannot be enforced: " + why +
                                             " (EnforceLimits=best-effort runs without them)");
    warning = "RUNNING WITHOUT RESOURCE LIMITS (EnforceLimits=best-effort): " + why;
    return {};
  }
  Resources scoped = r;
  if (!scoped.slice.is_set()) scoped.slice.value = "user-" + std::to_string(uid) + ".slice";
  return start_scope(scoped, "ssh-" + user, getpid(), true);
}

SessionJail::SessionJail(Jail jail) : jail_(std::move(jail)), owner_(getpid()) {}

SessionJail::~SessionJail() {
  // A forked copy never touches the session; the owner kills it. Neither
  // waits: the jail holds the caller's own children (sshd's session child),
  // and its init cannot finish exiting before the caller has reaped them.
  if (getpid() == owner_) (void)jail_.terminate(false);
  jail_.disown();
}

Status SessionJail::end() {
  if (getpid() != owner_) {
    jail_.disown();
    return {};
  }
  return jail_.terminate(false);
}

Result<SessionJail> SessionJail::enter(const Plan& plan) {
  if (!plan.session) return make_error(Step::Plan, EINVAL, "not a session plan");
  auto jail = start_jail(plan, nullptr);
  if (!jail) return std::move(jail).error();
  SessionJail s(std::move(jail).value());
  for (const auto& step : kJoinSteps) {
    int err = fault_at(plan.fault, step.step);
    if (err == 0) err = step.run(plan, s.jail_.pidfd());
    if (err != 0) return make_error(step.step, err, step.what);
  }
  return s;
}

}  // namespace zjail
