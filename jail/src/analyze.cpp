// `zjail --analyze`: the item table, what a zjail profile says about each
// item, and how the profile and a unit combine into one score. The weights
// are zjail's own judgement of how much each item limits a compromised
// payload; docs/analyze.md lists them with the reasoning.
#include "zjail/analyze.hpp"

#include <algorithm>
#include <cstring>

#include "analyze_internal.hpp"
#include "plan_internal.hpp"
#include "zjail/caps.hpp"
#include "zjail/landlock.hpp"
#include "zjail/syscalls.hpp"
#include "zjail/network_setup.hpp"

namespace zjail {
namespace analysis {
namespace {

using std::string;

// In the order of the Item enum.
const ItemInfo kItems[] = {
    {"User=", 2000},
    {"PrivateUsers=", 1000},
    {"NoNewPrivileges=", 1000},
    {"CapabilityBoundingSet=~CAP_SYS_ADMIN", 1500},
    {"CapabilityBoundingSet=~CAP_SYS_PTRACE", 1000},
    {"CapabilityBoundingSet=~CAP_SYS_(MODULE|RAWIO|BOOT|TIME)", 1000},
    {"CapabilityBoundingSet=~CAP_NET_(ADMIN|RAW)", 750},
    {"CapabilityBoundingSet=~CAP_(DAC_*|FOWNER|CHOWN|FSETID)", 1000},
    {"CapabilityBoundingSet=~CAP_SET(UID|GID|PCAP)", 750},
    {"CapabilityBoundingSet=~(other capabilities)", 500},
    {"PrivateNetwork=", 1500},
    {"RestrictAddressFamilies=", 500},
    {"IPAddressDeny=", 250},
    {"RestrictAbstractUnixSockets=", 250},
    {"Landlock path rules", 250},
    {"RestrictNamespaces=", 750},
    {"ProtectProc=", 500},
    {"ProcSubset=", 250},
    {"ProtectHostname=", 100},
    {"PrivateIPC=", 250},
    {"RootDirectory=", 1000},
    {"ProtectSystem=", 1000},
    {"ProtectHome=", 1000},
    {"ReadWritePaths=", 500},
    {"PrivateTmp=", 500},
    {"PrivateDevices=", 1000},
    {"ProtectKernelTunables=", 750},
    {"ProtectKernelLogs=", 250},
    {"ProtectControlGroups=", 500},
    {"RestrictSUIDSGID=", 250},
    {"SystemCallArchitectures=", 1000},
    {"SystemCallFilter=~@mount", 750},
    {"SystemCallFilter=~@module", 750},
    {"SystemCallFilter=~@raw-io", 500},
    {"SystemCallFilter=~@reboot", 500},
    {"SystemCallFilter=~@swap", 500},
    {"SystemCallFilter=~@clock", 500},
    {"SystemCallFilter=~@debug", 750},
    {"SystemCallFilter=~@privileged", 750},
    {"SystemCallFilter=~@keyring", 250},
    {"SystemCallFilter=~@io-uring", 250},
    {"SystemCallFilter=~@resources", 250},
    {"SystemCallFilter=~@cpu-emulation", 100},
    {"SystemCallFilter=~@obsolete", 100},
    {"MemoryDenyWriteExecute=", 250},
    {"RestrictRealtime=", 100},
    {"LockPersonality=", 100},
    {"TasksMax=", 250},
    {"MemoryMax=", 250},
    {"LimitNOFILE=", 100},
    {"LimitCORE=", 100},
};
static_assert(std::size(kItems) == Count);

// The SystemCallFilter=~@GROUP items (the group is in the item's name) and
// what the group's calls do.
struct SyscallItem {
  Item item;
  const char* what;
};
// Calls that fail without capabilities in the host's user namespace: a jail
// that allows them only has the attack surface.
const SyscallItem kGatedSyscalls[] = {
    {SysMount, "mounting and pivot_root"},
    {SysModule, "loading kernel modules"},
    {SysRawIo, "raw I/O port access"},
    {SysReboot, "rebooting, kexec"},
    {SysSwap, "swapon/swapoff"},
    {SysClock, "setting the clock"},
    {SysPrivileged, "privileged calls (bpf, setuid, chown, ...)"},
};
// Calls that work unprivileged.
const SyscallItem kOpenSyscalls[] = {
    {SysDebug, "ptrace and process_vm_* on processes of the same user"},
    {SysKeyring, "the kernel keyring, which no namespace isolates"},
    {SysIoUring, "io_uring, a large kernel attack surface"},
    {SysResources, "priorities, affinity and rlimits"},
    {SysCpuEmulation, "modify_ldt and vm86"},
    {SysObsolete, "obsolete calls, kernel attack surface"},
};

string join(const std::vector<string>& v, const char* sep) {
  string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

}  // namespace

const ItemInfo& item_info(Item i) { return kItems[i]; }

const std::vector<CapGroup>& cap_groups() {
  static const std::vector<CapGroup> groups = {
      {CapSysAdmin, {21}},                        // CAP_SYS_ADMIN
      {CapSysPtrace, {19}},                       // CAP_SYS_PTRACE
      {CapKernel, {16, 17, 22, 25, 34, 38, 39}},  // MODULE RAWIO BOOT TIME SYSLOG PERFMON BPF
      {CapNet, {12, 13}},                         // NET_ADMIN NET_RAW
      {CapFiles, {0, 1, 2, 3, 4}},                // CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID
      {CapIds, {6, 7, 8}},                        // SETGID SETUID SETPCAP
      {CapOther, {}},
  };
  return groups;
}

uint64_t cap_group_mask(const CapGroup& g) {
  uint64_t all = last_capability() >= 63 ? ~0ULL : (1ULL << (last_capability() + 1)) - 1;
  if (!g.caps.empty()) {
    uint64_t m = 0;
    for (int c : g.caps)
      if (c <= last_capability()) m |= 1ULL << c;
    return m;
  }
  uint64_t named = 0;
  for (const auto& other : cap_groups())
    if (!other.caps.empty()) named |= cap_group_mask(other);
  return all & ~named;
}

void judge_caps(Findings& f, uint64_t held, bool scoped, const string& source, const string& how) {
  for (const auto& g : cap_groups()) {
    uint64_t mask = cap_group_mask(g);
    uint64_t have = held & mask;
    if (!have) {
      judge(f, g.item, 0, how.empty() ? "none held" : how, source, "none of these capabilities can be held");
      continue;
    }
    std::vector<string> names;
    for (int c = 0; c < 64; ++c)
      if (have & (1ULL << c)) names.push_back(capability_name(c));
    double share = static_cast<double>(__builtin_popcountll(have)) / __builtin_popcountll(mask);
    double e = std::max(0.5, share) * (scoped ? 0.5 : 1);
    string setting = names.size() > 3 ? std::to_string(names.size()) + " capabilities" : join(names, " ");
    judge(f, g.item, e, setting, source,
          scoped ? "held in the jail's user namespace only: no power over host resources, "
                   "but kernel attack surface"
                 : "held with power over the host");
  }
}

std::set<string> group_members(const string& group) {
  auto r = expand_syscalls({group});
  return r ? std::move(*r) : std::set<string>{};
}

void judge_syscalls(Findings& f, const SyscallPolicy& policy, bool host_privileged,
                    const string& setting, const string& source) {
  auto judge_group = [&](const SyscallItem& s, bool gated) {
    auto members = group_members(std::strchr(item_info(s.item).name, '@'));
    size_t allowed = 0;
    for (const auto& m : members) allowed += policy.allowed(m);
    double e = members.empty() ? 0 : static_cast<double>(allowed) / members.size();
    string why;
    if (allowed == 0) {
      why = string("denied: ") + s.what;
    } else {
      why = string(allowed == members.size() ? "allowed: " : "partly allowed: ") + s.what;
      if (gated && !host_privileged) {
        e *= 0.5;
        why += "; they fail without host capabilities (attack surface only)";
      }
    }
    judge(f, s.item, e, setting, source, why);
  };
  for (const auto& s : kGatedSyscalls) judge_group(s, true);
  for (const auto& s : kOpenSyscalls) judge_group(s, false);
}

double writable_paths_exposure(size_t n) {
  return n == 0 ? 0 : std::min(1.0, 0.3 + 0.1 * static_cast<double>(n - 1));
}

namespace {

// RestrictAddressFamilies=: how much of the kernel's socket code the
// payload reaches, and in which network.
void judge_families(Findings& f, const Profile& p, const SyscallPolicy& policy, bool private_net) {
  const Security& s = p.security;
  const string P = "profile", Z = "zjail";
  double where = private_net ? 0.3 : 1;
  string net = private_net ? "in the jail's own network namespace" : "on the host's network";
  if (!policy.allowed("socket") || s.address_families_none.is_set()) {
    judge(f, RestrictAddressFamilies, 0, "none", P, "no sockets at all");
    return;
  }
  const NameList& l = s.restrict_address_families;
  if (!l.is_set) {
    judge(f, RestrictAddressFamilies, where, "(any)", Z, "every address family, " + net);
    return;
  }
  std::vector<string> names;
  for (const auto& i : l.names) names.push_back(i.value);
  if (l.invert) {
    judge(f, RestrictAddressFamilies, where * 0.7, "~" + join(names, " "), P, "every family but these, " + net);
    return;
  }
  bool common = std::all_of(names.begin(), names.end(), [](const string& n) {
    return n == "AF_UNIX" || n == "AF_INET" || n == "AF_INET6" || n == "AF_NETLINK";
  });
  judge(f, RestrictAddressFamilies, common ? where * 0.2 : where * 0.5, join(names, " "), P,
        common ? "only these common families, " + net : "only these families, some of them exotic, " + net);
}

// What a zjail profile (and zjail itself) does for each item.
Result<Findings> judge_profile(const Profile& p) {
  Findings f;
  const string P = "profile", Z = "zjail";
  if (p.identity.dynamic_user.value.value_or(false))
    judge(f, User, 0, "DynamicUser=yes", P,
          "a transient uid of 61184-65519 that no other jail or service holds while it runs");
  else
    judge(f, User, 0, p.user.value.value_or("nobody (default)"), p.user.is_set() ? P : Z,
          "never host root: User=root is refused and uids are mapped into a user namespace");
  PrivateUsersMode users = p.identity.private_users.value.value_or(PrivateUsersMode::Self);
  if (users == PrivateUsersMode::Identity || users == PrivateUsersMode::Full)
    judge(f, PrivateUsers, 0.1, users == PrivateUsersMode::Full ? "full" : "identity", P,
          "a user namespace of the jail's own, mapping host ids to themselves: other users' files show their "
          "owners, though the payload cannot become them");
  else
    judge(f, PrivateUsers, 0, "yes", p.identity.private_users.is_set() ? P : Z,
          "always a user namespace of the jail's own, mapping root and the payload's ids only");
  judge(f, NoNewPrivileges, 0, "yes", Z, "always set: set-uid and file capabilities give nothing");

  const NameList& bset = p.capability_bounding_set.is_set ? p.capability_bounding_set : p.ambient_capabilities;
  ZJAIL_TRY_ASSIGN(auto held, capability_mask(bset));
  ZJAIL_TRY_ASSIGN(auto ambient, capability_mask(p.ambient_capabilities));
  judge_caps(f, (held | ambient) & ~sandbox_dropped_caps(p), true, P, "");

  NetworkMode mode = network_mode(p);
  bool private_net = mode == NetworkMode::Private;
  bool listens = !p.listen_stream.empty() || !p.listen_datagram.empty();
  string net_src = p.private_network.is_set() ? P : Z;
  if (mode == NetworkMode::Veth || mode == NetworkMode::UserMode || mode == NetworkMode::Join) {
    judge_linked_network(f, p, mode);
  } else if (private_net) {
    judge(f, PrivateNetwork, 0, "yes", net_src,
          listens ? "loopback only; the sockets zjail binds are all it serves"
                  : "loopback only: nothing to reach, nothing to attack");
    // The sockets zjail binds are the host's: a datagram socket sends to any
    // address, and so does an accepted TCP connection reconnected, unless
    // Landlock forbids TCP connect (landlock.hpp).
    bool tcp = std::any_of(p.listen_stream.begin(), p.listen_stream.end(),
                           [](const auto& i) { return !i.value.starts_with("/"); });
    bool tcp_open = tcp && landlock_abi() < kLandlockNetAbi;
    if (!p.listen_datagram.empty())
      judge(f, IPAddressDeny, 1, "(ListenDatagram=)", P,
            "a ListenDatagram= socket is the host's: sendto() reaches any address the host reaches");
    else if (tcp_open)
      judge(f, IPAddressDeny, 1, "(ListenStream=)", P,
            "no Landlock network rules on this kernel: a connection accepted on a ListenStream= socket can be "
            "reconnected to any address the host reaches");
    else
      judge(f, IPAddressDeny, 0, "(private network)", net_src,
            tcp ? "no route to any address; Landlock refuses TCP connect, so the passed sockets lead nowhere new"
                : "no route to any address");
  } else {
    judge(f, PrivateNetwork, 1, "no", P, "the host's network: every interface and address");
    // SocketConnect*= narrows outgoing TCP to ports, where Landlock applies
    // it (a launch is refused where it cannot): half of what an address
    // filter would close.
    LandlockPlan ll;
    bool connect_rules = !p.security.socket_connect_deny.empty() && plan_landlock_net(p, landlock_abi(), ll) &&
                         ll.handle_connect_tcp;
    if (connect_rules)
      judge(f, IPAddressDeny, 0.5, "(SocketConnectDeny=)", P,
            "outgoing TCP reaches only ports " + landlock_ports_text(ll.connect_ports) +
                "; UDP and other protocols reach any address");
    else
      judge(f, IPAddressDeny, 1, "(none)", Z, "zjail has no IP address filter");
  }
  // Abstract unix sockets belong to the network namespace, not the mount
  // namespace: on the host's network only Landlock's scope (ABI 6) keeps
  // the host's out of reach. Credited only where this kernel applies it.
  int abi = landlock_abi();
  if (owns_network_namespace(mode))
    judge(f, RestrictAbstractUnixSockets, 0, "(private network)", net_src,
          "abstract sockets are the jail's network namespace's own");
  else if (!p.restrict_abstract_unix_sockets.value.value_or(true))
    judge(f, RestrictAbstractUnixSockets, 1, "no", P, "the host's abstract unix sockets are reachable");
  else if (abi < kLandlockScopeAbi)
    judge(f, RestrictAbstractUnixSockets, 1, "yes (not applied)", Z,
          "this kernel has no Landlock scopes (ABI " + std::to_string(abi) +
              ", 6 needed): the host's abstract unix sockets are reachable; PrivateNetwork=yes keeps them away");
  else
    judge(f, RestrictAbstractUnixSockets, 0, "yes", p.restrict_abstract_unix_sockets.is_set() ? P : Z,
          "Landlock scopes abstract unix sockets to the payload's own");
  if (abi >= kLandlockPathAbi)
    judge(f, LandlockPaths, 0, "(the mount table)", Z,
          "a directory fd handed in from outside reaches nothing the jail does not show");
  else
    judge(f, LandlockPaths, 1, "(not applied)", Z,
          "this kernel has no Landlock path rules: a directory fd handed in reaches the host's tree beneath it");

  SyscallPolicy policy;
  const NameList& filter = p.system_call_filter;
  if (filter.is_set) {
    std::vector<string> names;
    for (const auto& n : filter.names) names.push_back(n.value);
    ZJAIL_TRY_ASSIGN(auto set, expand_syscalls(names));
    policy = SyscallPolicy{true, !filter.invert, std::move(set), {}};
  }
  // What other directives deny whatever the filter says (ProtectClock=, ...).
  ZJAIL_TRY_ASSIGN(auto extras, implied_seccomp_extras(p));
  for (const auto& d : extras.deny) {
    ZJAIL_TRY_ASSIGN(auto denied, expand_syscalls({d.name}));
    policy.denied.insert(denied.begin(), denied.end());
  }
  string filter_setting = filter.is_set ? (filter.invert ? "deny list" : "allow list") : "(no filter)";
  judge_families(f, p, policy, private_net);

  judge(f, RestrictNamespaces, 0, "yes", p.security.restrict_namespaces.is_set() ? P : Z,
        "the base filter refuses clone/unshare with CLONE_NEW* and setns, whatever RestrictNamespaces= allows");
  judge(f, ProtectProc, 0, "(PID namespace)", Z, "a PID namespace of its own: no host process is visible");
  bool subset_pid = p.proc_subset.value.value_or(ProcSubset::All) == ProcSubset::Pid;
  judge(f, ProcSubset, subset_pid ? 0 : 0.4, subset_pid ? "pid" : "all", p.proc_subset.is_set() ? P : Z,
        subset_pid ? "/proc shows process directories only"
                   : "/proc/meminfo, /proc/sys (read-only) and the like are readable");
  const auto& ph = p.security.protect_hostname;
  bool locked_name = ph.is_set() && ph.value->mode == HostnameProtection::Yes;
  judge(f, ProtectHostname, 0, locked_name ? "yes" : "(UTS namespace)", locked_name ? P : Z,
        locked_name ? "a UTS namespace of its own, and sethostname/setdomainname denied"
                    : "a UTS namespace of its own: a name set there stays there");
  judge(f, PrivateIPC, 0, "(IPC namespace)", Z, "an IPC namespace of its own");

  judge_file_system(f, p);
  // A set-uid file made in a writable place stays there for the host to run.
  bool writes = f[ReadWritePaths].known && f[ReadWritePaths].exposure > 0;
  if (p.security.restrict_suid_sgid.value.value_or(false))
    judge(f, RestrictSUIDSGID, 0, "yes", P, "set-uid and set-gid bits cannot be set");
  else if (writes)
    judge(f, RestrictSUIDSGID, 0.5, "(not set)", Z,
          "no effect in the jail (no_new_privs, nosuid), but a set-uid file made in a writable place stays on "
          "the host for anyone to run");
  else
    judge(f, RestrictSUIDSGID, 0, "(no_new_privs, nosuid)", Z, "set-id bits have no effect in the jail");

  judge(f, SystemCallArchitectures, 0, "native", Z, "i386 and x32 entry points are always closed");
  judge_syscalls(f, policy, false, filter_setting, filter.is_set ? P : Z);
  // What the sandbox directives deny with EPERM, whatever the filter says.
  for (auto [item, on, by] : {std::tuple{SysModule, p.sandbox.protect_kernel_modules.value.value_or(false), "ProtectKernelModules=yes"},
                              {SysRawIo, p.sandbox.private_devices.value.value_or(false), "PrivateDevices=yes"}})
    if (on) judge(f, item, 0, by, P, "denied with EPERM by " + string(by));
  if (p.restrict_io_uring.value.value_or(true))
    judge(f, SysIoUring, 0, "RestrictIOUring=yes", p.restrict_io_uring.is_set() ? P : Z,
          "the base filter closes io_uring whatever the filter allows");
  if (p.security.memory_deny_write_execute.value.value_or(false))
    judge(f, MemoryDenyWriteExecute, 0, "yes", P, "no mapping can be writable and executable, or become executable");
  else
    judge(f, MemoryDenyWriteExecute, 1, "(not set)", Z, "writable and executable memory is allowed");
  auto rtprio = p.limits.find(RLIMIT_RTPRIO);
  bool sched = policy.allowed("sched_setscheduler") || policy.allowed("sched_setattr");
  if (p.security.restrict_realtime.value.value_or(false))
    judge(f, RestrictRealtime, 0, "yes", P, "real-time policies are refused, and RLIMIT_RTPRIO is 0");
  else if (rtprio != p.limits.end() && rtprio->second.value.hard > 0 && sched)
    judge(f, RestrictRealtime, 1, "LimitRTPRIO > 0", P, "real-time scheduling can starve the host");
  else
    judge(f, RestrictRealtime, sched ? 0.3 : 0, sched ? "(inherited RLIMIT_RTPRIO)" : "denied", sched ? Z : P,
          sched ? "real-time priority only as far as the inherited LimitRTPRIO allows"
                : "scheduler calls are denied");
  bool persona = policy.allowed("personality");
  if (p.security.lock_personality.value.value_or(false))
    judge(f, LockPersonality, 0, "yes", P, "the execution domain cannot change");
  else
    judge(f, LockPersonality, persona ? 1 : 0, persona ? "(not locked)" : "personality() denied", persona ? Z : P,
          persona ? "personality(2) may change the execution domain" : "the execution domain cannot change");

  auto has_limit = [&](int r) { return p.limits.count(r) > 0; };
  const Resources& res = p.resources;
  bool tasks = res.tasks_max.is_set() || has_limit(RLIMIT_NPROC);
  judge(f, TasksMax, tasks ? 0 : 1, tasks ? (res.tasks_max.is_set() ? "TasksMax" : "LimitNPROC") : "(inherited)",
        tasks ? P : Z, tasks ? "the number of tasks is capped" : "no cap on tasks: a fork bomb reaches the host's limit");
  bool mem = res.memory_max.is_set() || res.memory_high.is_set() || has_limit(RLIMIT_AS);
  judge(f, MemoryMax, mem ? 0 : 1, mem ? (res.memory_max.is_set() ? "MemoryMax" : "MemoryHigh/LimitAS") : "(inherited)",
        mem ? P : Z, mem ? "memory is capped" : "no memory cap of its own");
  bool nofile = has_limit(RLIMIT_NOFILE);
  judge(f, LimitNOFILE, nofile ? 0 : 1, nofile ? std::to_string(p.limits.at(RLIMIT_NOFILE).value.hard) : "(inherited)",
        nofile ? P : Z, nofile ? "open files are capped" : "open files as the caller's limit allows");
  auto core = p.limits.find(RLIMIT_CORE);
  double core_e = core == p.limits.end() ? 1 : core->second.value.hard == 0 ? 0 : 0.5;
  judge(f, LimitCORE, core_e, core == p.limits.end() ? "(inherited)" : core_e == 0 ? "0" : "allowed",
        core == p.limits.end() ? Z : P, core_e == 0 ? "no core dumps, which could hold secrets" : "core dumps may be written");
  return f;
}

// Where the host refuses zjail a user namespace (plan_fallback.cpp): what
// the namespaces gave is gone, and Landlock is the file system's only wall.
void judge_without_namespaces(Findings& f, const Profile& p, std::vector<string>& notes) {
  const string Z = "zjail";
  judge(f, User, 0, "(the caller)", Z, "the caller's own uid; root never runs without namespaces");
  judge(f, PrivateUsers, 1, "(none)", Z,
        "this host refuses zjail a user namespace: the payload holds the caller's ids and groups on the host");
  bool private_net = p.private_network.value.value_or(true);
  judge(f, PrivateNetwork, 1, private_net ? "(refused here)" : "no", private_net ? Z : "profile",
        private_net ? "no network namespace: PrivateNetwork=yes is refused, and --network host gives the host's"
                    : "the host's network: every interface and address");
  if (private_net) {
    judge(f, IPAddressDeny, 1, "(none)", Z, "zjail has no IP address filter");
    int abi = landlock_abi();
    bool scoped = p.restrict_abstract_unix_sockets.value.value_or(true) && abi >= 6;
    judge(f, RestrictAbstractUnixSockets, scoped ? 0 : 1, scoped ? "yes" : "(not applied)", Z,
          scoped ? "Landlock scopes abstract unix sockets to the payload's own"
                 : "the host's abstract unix sockets are reachable");
  }
  judge(f, LandlockPaths, 0, "(the profile's host paths)", Z,
        "the only file-system wall: Landlock grants the host paths the profile binds at the same path, and "
        "nothing else");
  judge(f, ProtectProc, 0.2, "(no PID namespace)", Z,
        "Landlock grants nothing of the host's /proc, but kill()'s answers show which host pids exist");
  judge(f, ProcSubset, 0, "(no /proc)", Z, "no rule grants /proc");
  judge(f, ProtectHostname, 0, "(the host's)", Z, "no UTS namespace: the host's name, which the payload cannot change");
  judge(f, PrivateIPC, 1, "(the host's)", Z,
        "no IPC namespace: the caller's SysV IPC objects and POSIX message queues are reachable");
  notes.push_back("without namespaces (this host refuses zjail a user namespace): Landlock, seccomp, no_new_privs, "
                  "rlimits and a new session confine the payload; it sees the host's processes, network, IPC and "
                  "hostname, and its children can outlive zjail");
}

string rating(double score) {
  if (score <= 1.0) return "SAFE";
  if (score <= 3.0) return "OK";
  if (score <= 6.0) return "MEDIUM";
  if (score <= 8.5) return "EXPOSED";
  return "UNSAFE";
}

}  // namespace
}  // namespace analysis

namespace analysis {
namespace {

// The sockets of the unit's .socket reach the payload as the profile's own
// ListenDatagram=/ListenStream= do: the host's, in a private network.
void judge_activated_sockets(const Profile& p, const UnitFile& u, Findings& jail, std::vector<std::string>& notes) {
  if (!p.private_network.value.value_or(true) || u.socket.empty()) return;
  auto any = [&](const char* key) {
    auto it = u.socket.find(key);
    return it != u.socket.end() && !it->second.empty() && !it->second.back().empty();
  };
  std::string protocol = u.socket.count("SocketProtocol") ? u.socket.at("SocketProtocol").back() : "";
  if (!protocol.empty() && protocol != "tcp" && protocol != "udp")
    notes.push_back("the unit's socket has SocketProtocol=" + protocol +
                    ", which zjail refuses to hand into a private network (it exits 125)");
  if (any("ListenDatagram"))
    judge(jail, IPAddressDeny, 1, "(ListenDatagram= of the .socket)", "unit",
          "a socket-activated datagram socket is the host's: sendto() reaches any address the host reaches");
  else if (u.socket.count("ListenStream") &&
           std::any_of(u.socket.at("ListenStream").begin(), u.socket.at("ListenStream").end(),
                       [](const std::string& v) { return !v.empty() && v[0] != '/' && v[0] != '@'; }) &&
           landlock_abi() < kLandlockNetAbi)
    judge(jail, IPAddressDeny, 1, "(ListenStream= of the .socket)", "unit",
          "no Landlock network rules on this kernel: a connection accepted on a socket-activated socket can be "
          "reconnected to any address the host reaches");
}

}  // namespace
}  // namespace analysis

Result<Analysis> analyze(const Profile* profile, const UnitFile* unit, bool without_namespaces) {
  using namespace analysis;
  Analysis out;
  Findings jail, svc;
  if (profile) {
    ZJAIL_TRY_ASSIGN(auto f, judge_profile(*profile));
    jail = std::move(f);
    if (without_namespaces) judge_without_namespaces(jail, *profile, out.notes);
    if (unit) {
      judge_activated_sockets(*profile, *unit, jail, out.notes);
      auto blocks = unit_blocks_zjail(*unit, profile->resources.any_limit());
      out.notes.insert(out.notes.end(), blocks.begin(), blocks.end());
    }
  }
  // Without a profile or unit the payload is judged as systemd would judge a
  // service with no sandboxing settings.
  UnitFile none;
  none.name = "(none)";
  if (unit || !profile) svc = judge_unit(unit ? *unit : none, out.notes);

  int total = 0;
  for (int i = 0; i < Count; ++i) total += kItems[i].weight;
  double sum = 0;
  for (int i = 0; i < Count; ++i) {
    // Both layers apply to the payload, so each item is as good as the better
    // one. For system call groups that misses two partial filters denying a
    // whole group together: the score errs high, never low.
    const Finding& best =
        jail[i].known && (!svc[i].known || jail[i].exposure <= svc[i].exposure) ? jail[i] : svc[i];
    AnalysisItem it;
    it.item = kItems[i].name;
    it.setting = best.setting;
    it.source = best.source;
    it.weight = kItems[i].weight;
    it.exposure = best.exposure;
    it.score = 10.0 * it.weight * it.exposure / total;
    it.reason = best.reason;
    sum += it.weight * it.exposure;
    out.items.push_back(std::move(it));
  }
  // Rounded half up (sum and total are never negative) without libm, which
  // zjail then need not load at every launch.
  out.score = static_cast<double>(static_cast<long long>(100.0 * sum / total + 0.5)) / 10.0;
  out.rating = rating(out.score);
  return out;
}

}  // namespace zjail
