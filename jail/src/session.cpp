// The session steps, in order: the init builds the jail exactly as for a
// command (child/steps.cpp); then the calling process joins it and takes the
// privilege steps a payload takes too (child/privileges.hpp), in the table
// below, the seccomp filter last.
#include "zjail/session.hpp"

#include <sched.h>
#include <unistd.h>

#include "child/privileges.hpp"
#include "process_properties.hpp"
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

// The caller keeps its effective set: sshd still has to allocate the pty and
// drop to the user. What goes is every capability anything it executes could
// ever gain (drop_bounding_set).
// The session's Landlock rules: the jail's own, as a payload's.
int restrict_session(const Plan& plan, int&) noexcept { return apply_landlock(plan.landlock, -1); }

struct SessionStep {
  Step step;
  child::PrivilegeStep run;
  const char* what;
};

constexpr SessionStep kSessionSteps[] = {
    {Step::Rlimits, child::apply_rlimits, "Limit*="},
    {Step::BoundingSet, child::drop_bounding_set, "empty the capability bounding set"},
    {Step::NoNewPrivs, child::set_no_new_privs, "PR_SET_NO_NEW_PRIVS"},
    {Step::Personality, child::set_personality, "Personality="},
    {Step::DenyWriteExecute, child::deny_write_execute, "MemoryDenyWriteExecute= (PR_SET_MDWE)"},
    {Step::Landlock, restrict_session, "Landlock rules"},
    {Step::Seccomp, child::install_seccomp, "seccomp filters"},
};
static_assert(runs_in_order(kSessionSteps, kSessionPath, Step::JoinJail), "a session's steps run in Step order");

}  // namespace

Status place_session_in_scope(const Resources& r, const std::string& user, uid_t uid,
                              std::string& warning, const Fault& fault) {
  if (!r.any_limit()) return {};
  ZJAIL_TRY(inject_fault(fault, Step::Cgroup));
  CgroupEnvironment env = probe_cgroup_environment();
  if (!env.systemd_running) {
    std::string why = "systemd is not running, so no scope can hold the session's limits";
    if (r.enforce_strict.value.value_or(true))
      return make_error(Step::Cgroup, 0, "resource limits requested but cannot be enforced: " + why +
                                             " (EnforceLimits=best-effort runs without them)");
    warning = "RUNNING WITHOUT RESOURCE LIMITS (EnforceLimits=best-effort): " + why;
    return {};
  }
  Resources scoped = r;
  if (!scoped.slice.is_set()) scoped.slice.value = "user-" + std::to_string(uid) + ".slice";
  return start_scope(scoped, "ssh-" + user, getpid(), true, nullptr, env.unified_root);
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
  ZJAIL_TRY_ASSIGN(auto jail, start_jail(plan, nullptr));
  SessionJail s(std::move(jail));
  int err = fault_at(plan.fault, Step::JoinJail);
  if (err == 0) err = join_namespaces(plan, s.jail_.pidfd());
  if (err != 0) return make_error(Step::JoinJail, err, "setns into the jail's namespaces");
  // The caller is the session's process, not a child of the jail's init:
  // it takes the init's process properties itself.
  ZJAIL_TRY(apply_process_properties(plan, getpid()));
  for (const auto& step : kSessionSteps) {
    int detail = -1;
    err = fault_at(plan.fault, step.step);
    if (err == 0) err = step.run(plan, detail);
    if (err != 0) return make_error(step.step, err, step.what);
  }
  return s;
}

}  // namespace zjail
