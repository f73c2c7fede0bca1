// Learn mode's native jail (PlanContext::learn_native, docs/learn.md): the
// shape a payload learns in without --profile. It must behave as it does
// natively, or the learned profile describes another program: the host's
// root, /dev, network and hostname, the caller's own user and capabilities
// (root with all of them, as a unit without User=), no Landlock and no
// seccomp denial (the watch filter's notifications are all let through).
// What stays is what changes nothing a daemon can tell: a pid namespace,
// so that every process is stopped when learning ends, and the mount
// namespace its /proc needs.
#include <sched.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "plan_internal.hpp"

namespace zjail {

Status plan_learn_native(const PlanContext& ctx, Plan& plan) {
  // Root needs no user namespace, and must not have one: in it, the host's
  // network and files would not see its capabilities (a bind to port 80, a
  // chown to www-data fail). An unprivileged caller has no capability to lose.
  plan.clone_flags = CLONE_NEWPID | CLONE_NEWNS | (plan.invoked_as_root ? 0 : CLONE_NEWUSER);
  plan.hostname.clear();  // no UTS namespace: the host's name
  if (ctx.learn_user.empty()) plan.groups.clear();  // as systemd gives a unit without User=
  plan.root_attr = 0;     // the host's mounts keep their own flags
  plan.landlock = LandlockPlan{};
  // The host's own root: the relay's socket is there already, where the
  // payload, as the caller, may reach it. Shown at /run/host/notify, it
  // would be a directory made on the host's /run (which a user may not).
  if (!ctx.notify_relay.empty()) {
    std::erase_if(plan.mounts, [](const MountOp& m) { return m.origin == "NOTIFY_SOCKET"; });
    set_env(plan.envp_storage, "NOTIFY_SOCKET=" + ctx.notify_relay);
  }
  plan.ambient = 0;
  // zjail's own sets, as the payload would have them run directly: all of
  // them for root (less what this host's bounding set lacks), none for a
  // user (the caller, or --user's).
  plan.caps.reset(plan.uid == 0 ? cap_get_proc() : cap_init());
  if (!plan.caps) return make_error(Step::Plan, errno, "cap_get_proc");
  if (cap_clear_flag(plan.caps.get(), CAP_INHERITABLE) != 0) return make_error(Step::Plan, errno, "cap_clear_flag");
  plan.bounding = 0;
  for (int c = 0; c <= plan.last_cap && c < 64; ++c)
    if (prctl(PR_CAPBSET_READ, c, 0, 0, 0) == 1) plan.bounding |= 1ULL << c;
  return {};
}

}  // namespace zjail
