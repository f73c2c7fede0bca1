// Profile::security -> the plan: filter rules (SeccompExtras), process
// properties the parent sets on the jail's init, and the payload's own
// steps. Contradictions within the profile are errors here, with the line of
// the directive that cannot hold.
#include <linux/ioprio.h>
#include <linux/securebits.h>
#include <sched.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include <functional>

#include "directives.hpp"
#include "plan_internal.hpp"
#include "scope.hpp"

namespace zjail {
namespace {

constexpr int kGetMdwe = 66;  // PR_GET_MDWE (Linux 6.3)
constexpr int kCapSysTime = 25, kCapWakeAlarm = 35;

Error at(const Origin& o, const std::string& msg) {
  return make_error(Step::Plan, 0, o.file.empty() ? msg : o.str() + ": " + msg);
}

std::string with_origin(const char* directive, const std::string& value, const Origin& o) {
  return std::string(directive) + "=" + value + " (" + o.str() + ")";
}

// io_uring does what these directives filter without the system calls
// their rules see: reopened, it would walk around them.
Status check_io_uring(const Profile& p) {
  const Security& s = p.security;
  if (p.restrict_io_uring.value.value_or(true)) return {};
  const Origin& o = p.restrict_io_uring.origin;
  if (s.restrict_address_families.is_set || s.address_families_none.is_set())
    return at(o, "RestrictIOUring=no contradicts RestrictAddressFamilies=: io_uring makes sockets of any family "
                 "(IORING_OP_SOCKET) without socket(2)");
  for (const auto* rules : {&s.socket_bind_allow, &s.socket_bind_deny, &s.socket_connect_allow, &s.socket_connect_deny})
    if (!rules->empty())
      return at(o, "RestrictIOUring=no contradicts SocketBind*=/SocketConnect*=: io_uring makes MPTCP and SCTP "
                   "sockets (IORING_OP_SOCKET), which Landlock's TCP rules do not cover, without socket(2)");
  if (s.restrict_suid_sgid.value.value_or(false))
    return at(o, "RestrictIOUring=no contradicts RestrictSUIDSGID=: io_uring opens and creates files "
                 "(IORING_OP_OPENAT, IORING_OP_MKDIRAT) with any mode, without the system calls the rules see");
  return {};
}

Status plan_hostname(const Profile& p, Plan& plan) {
  const auto& ph = p.security.protect_hostname;
  if (!ph.is_set() || ph.value->mode == HostnameProtection::No) return {};
  const std::string& name = ph.value->name;
  if (!name.empty()) {
    if (p.hostname.is_set() && *p.hostname.value != name)
      return at(ph.origin, "ProtectHostname=" + name + " contradicts Hostname=" + *p.hostname.value + " (" +
                               p.hostname.origin.str() + ")");
    plan.hostname = name;
  } else if (!p.hostname.is_set()) {
    // As under systemd: a UTS namespace of its own, with the host's name.
    plan.hostname.clear();
  }
  return {};
}

// ProtectClock= takes CAP_SYS_TIME and CAP_WAKE_ALARM out of the bounding
// set, as systemd does.
Status plan_clock(const Profile& p, Plan& plan) {
  const auto& pc = p.security.protect_clock;
  if (!pc.value.value_or(false)) return {};
  uint64_t caps = (1ULL << kCapSysTime) | (1ULL << kCapWakeAlarm);
  if (plan.ambient & caps)
    return at(pc.origin, "ProtectClock=yes contradicts AmbientCapabilities= with CAP_SYS_TIME or CAP_WAKE_ALARM");
  plan.bounding &= ~caps;
  return {};
}

// RestrictRealtime=: the filter sees sched_setscheduler() but not
// sched_setattr(), whose policy sits in a struct; a hard RLIMIT_RTPRIO of 0
// closes that too (the payload has no CAP_SYS_NICE in the host's namespace).
// A LimitRTPRIO= beside it is overruled rather than refused: systemd takes
// both (its units' defaults often carry one), and the directive's point is
// that no real-time priority is reachable.
Status plan_realtime(const Profile& p, Plan& plan) {
  const auto& rr = p.security.restrict_realtime;
  if (!rr.value.value_or(false)) return {};
  std::erase_if(plan.rlimits, [](const RlimitPlan& r) { return r.resource == RLIMIT_RTPRIO; });
  plan.rlimits.push_back(RlimitPlan{RLIMIT_RTPRIO, 0, 0, "RestrictRealtime= (" + rr.origin.str() + ")"});
  return {};
}

Status plan_credentials(const Profile& p, Plan& plan) {
  const Security& s = p.security;
  SecurityPlan& out = plan.security;
  if (s.secure_bits.is_set()) {
    unsigned bits = *s.secure_bits.value;
    if ((bits & SECBIT_KEEP_CAPS_LOCKED) && !(bits & SECBIT_KEEP_CAPS) && plan.ambient)
      return at(s.secure_bits.origin, "SecureBits=keep-caps-locked without keep-caps drops every capability at "
                                      "the user change, which contradicts AmbientCapabilities=");
    out.securebits = static_cast<int>(bits);
  }
  switch (s.keyring_mode.value.value_or(KeyringMode::Private)) {
    case KeyringMode::Inherit: out.keyring = SecurityPlan::Keyring::Inherit; break;
    case KeyringMode::Private: out.keyring = SecurityPlan::Keyring::Private; break;
    case KeyringMode::Shared: out.keyring = SecurityPlan::Keyring::Shared; break;
  }
  if (s.personality.is_set()) out.personality = static_cast<long>(*s.personality.value);
  out.deny_write_execute = s.memory_deny_write_execute.value.value_or(false) && kernel_has_mdwe();
  return {};
}

Status plan_scheduling(const Profile& p, Plan& plan) {
  const Security& s = p.security;
  auto& props = plan.security.process;
  using Kind = ProcessProperty::Kind;
  if (s.oom_score_adjust.is_set())
    props.push_back({Kind::OomScoreAdjust, *s.oom_score_adjust.value, 0, "",
                     with_origin("OOMScoreAdjust", std::to_string(*s.oom_score_adjust.value), s.oom_score_adjust.origin)});
  if (s.nice.is_set())
    props.push_back({Kind::Nice, *s.nice.value, 0, "", with_origin("Nice", std::to_string(*s.nice.value), s.nice.origin)});
  if (s.cpu_scheduling_policy.is_set() || s.cpu_scheduling_priority.is_set() ||
      s.cpu_scheduling_reset_on_fork.is_set()) {
    int policy = s.cpu_scheduling_policy.value.value_or(SCHED_OTHER);
    bool realtime = policy == SCHED_FIFO || policy == SCHED_RR;
    int prio = s.cpu_scheduling_priority.value.value_or(0);
    if (s.cpu_scheduling_priority.is_set() && prio > 0 && !realtime)
      return at(s.cpu_scheduling_priority.origin,
                "CPUSchedulingPriority=" + std::to_string(prio) + " needs CPUSchedulingPolicy=fifo or rr");
    // As systemd clamps it: a real-time policy runs at priority 1 at least.
    if (realtime && prio == 0) prio = 1;
    const Origin& o = s.cpu_scheduling_policy.is_set() ? s.cpu_scheduling_policy.origin
                      : s.cpu_scheduling_priority.is_set() ? s.cpu_scheduling_priority.origin
                                                           : s.cpu_scheduling_reset_on_fork.origin;
    props.push_back({Kind::Scheduler, policy, prio, "",
                     with_origin("CPUSchedulingPolicy", std::to_string(policy) + " priority " + std::to_string(prio), o)});
    if (s.cpu_scheduling_reset_on_fork.value.value_or(false)) {
      plan.security.reset_on_fork_policy = policy;
      plan.security.reset_on_fork_priority = prio;
    }
  }
  if (s.cpu_affinity.is_set()) {
    auto mask = cpuset_mask(*s.cpu_affinity.value);
    if (!mask) return at(s.cpu_affinity.origin, "CPUAffinity=" + *s.cpu_affinity.value + ": " + mask.error().context);
    props.push_back({Kind::CpuAffinity, 0, 0, *mask,
                     with_origin("CPUAffinity", *s.cpu_affinity.value, s.cpu_affinity.origin)});
  }
  if (s.io_scheduling_class.is_set() || s.io_scheduling_priority.is_set()) {
    int cls = s.io_scheduling_class.value.value_or(IOPRIO_CLASS_BE);
    int level = s.io_scheduling_priority.value.value_or(4);
    // The kernel refuses a level with no class, and ignores it for idle,
    // where systemd keeps it (idle/4 in /proc).
    if (cls == IOPRIO_CLASS_NONE) level = 0;
    const Origin& o = s.io_scheduling_class.is_set() ? s.io_scheduling_class.origin : s.io_scheduling_priority.origin;
    props.push_back({Kind::IoPriority, static_cast<int>(IOPRIO_PRIO_VALUE(cls, level)), 0, "",
                     with_origin("IOSchedulingClass", std::to_string(cls) + " priority " + std::to_string(level), o)});
  }
  return {};
}

}  // namespace

bool kernel_has_mdwe() { return prctl(kGetMdwe, 0, 0, 0, 0) >= 0; }

Status add_security_extras(const Profile& p, SeccompExtras& extras) {
  const Security& s = p.security;
  if (s.protect_clock.value.value_or(false)) extras.deny.push_back({"@clock", EPERM, "ProtectClock="});
  if (s.protect_hostname.is_set() && s.protect_hostname.value->mode == HostnameProtection::Yes)
    for (const char* call : {"sethostname", "setdomainname"})
      extras.deny.push_back({call, EPERM, "ProtectHostname="});
  if (s.address_families_none.is_set()) {
    extras.families = {true, true, {}};
  } else if (s.restrict_address_families.is_set) {
    extras.families.set = true;
    extras.families.allow = !s.restrict_address_families.invert;
    for (const auto& i : s.restrict_address_families.names)
      extras.families.list.push_back(address_family_number(i.value));
  }
  extras.deny_write_execute = s.memory_deny_write_execute.value.value_or(false) && !kernel_has_mdwe();
  extras.restrict_realtime = s.restrict_realtime.value.value_or(false);
  extras.restrict_suid_sgid = s.restrict_suid_sgid.value.value_or(false);
  extras.plain_tcp_only = !s.socket_bind_allow.empty() || !s.socket_bind_deny.empty() ||
                          !s.socket_connect_allow.empty() || !s.socket_connect_deny.empty();
  extras.deny_listen = socket_bind_closes_tcp(p);
  if (s.lock_personality.value.value_or(false)) {
    // Personality=, or the one the payload inherits, as systemd picks it:
    // only PER_LINUX32 and PER_LINUX count.
    unsigned long current = static_cast<unsigned long>(personality(0xffffffff));
    unsigned long inherited = (current & PER_MASK) == PER_LINUX32 ? PER_LINUX32 : PER_LINUX;
    extras.lock_personality = static_cast<long>(s.personality.value.value_or(inherited));
  }
  return {};
}

Status plan_security(const Profile& p, Plan& plan) {
  ZJAIL_TRY(check_io_uring(p));
  ZJAIL_TRY(plan_hostname(p, plan));
  ZJAIL_TRY(plan_clock(p, plan));
  ZJAIL_TRY(plan_realtime(p, plan));
  ZJAIL_TRY(plan_credentials(p, plan));
  return plan_scheduling(p, plan);
}

Status refuse_in_session(const Profile& p) {
  const Security& s = p.security;
  auto refuse = [](const Origin& o, const char* key, const char* why) {
    return at(o, std::string(key) + " is not available to a login session: " + why);
  };
  // A session's jail is built by pam_zjail, which has no network step.
  const Network& n = p.network;
  for (const auto* list : {&n.address, &n.host_address, &n.port, &n.host_loopback_port, &s.ip_address_allow,
                           &s.ip_address_deny})
    if (!list->empty())
      return refuse(list->front().origin, "the network directives", "a session has a private network or the host's");
  for (const auto* flag : {&n.virtual_ethernet, &n.user_mode})
    if (flag->is_set()) return refuse(flag->origin, "the network directives", "a session has a private network or the host's");
  if (s.restrict_network_interfaces.is_set || s.network_namespace_path.is_set())
    return refuse(s.network_namespace_path.is_set() ? s.network_namespace_path.origin
                  : s.restrict_network_interfaces.names.empty()
                      ? Origin{}
                      : s.restrict_network_interfaces.names.front().origin,
                  "the network directives", "a session has a private network or the host's");
  if (s.secure_bits.is_set())
    return refuse(s.secure_bits.origin, "SecureBits=", "sshd changes users itself after joining the jail");
  if (s.keyring_mode.is_set())
    return refuse(s.keyring_mode.origin, "KeyringMode=", "the session keyring is the PAM stack's (pam_keyinit)");
  for (const auto* set : {&s.cpu_scheduling_policy, &s.cpu_scheduling_priority})
    if (set->is_set()) return refuse(set->origin, "CPUScheduling*=", "real-time scheduling is no login's business");
  if (s.cpu_scheduling_reset_on_fork.is_set())
    return refuse(s.cpu_scheduling_reset_on_fork.origin, "CPUSchedulingResetOnFork=",
                  "it would reset the shell that sshd forks");
  return {};
}

}  // namespace zjail
