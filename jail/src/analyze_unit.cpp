// What a systemd service unit's own settings do for each `zjail --analyze`
// item, with systemd's defaults and implications (DynamicUser= implies
// ProtectSystem=strict, a seccomp setting implies NoNewPrivileges= for a
// process without CAP_SYS_ADMIN, ...). Items a non-root user is shielded from
// by file permissions alone are judged lower for it than for root.
#include <algorithm>

#include "analyze_internal.hpp"
#include "syntax.hpp"
#include "zjail/caps.hpp"
#include "zjail/syscalls.hpp"

namespace zjail::analysis {
namespace {

using std::string;

std::vector<string> words(const string& value) {
  std::vector<string> out;
  string why;
  if (!split_words(value, out, why)) {
    out.clear();
    size_t i = 0;
    while (i < value.size()) {
      size_t j = value.find_first_of(" \t", i);
      if (j == string::npos) j = value.size();
      if (j > i) out.push_back(value.substr(i, j - i));
      i = j + 1;
    }
  }
  return out;
}

uint64_t all_caps() {
  return last_capability() >= 63 ? ~0ULL : (1ULL << (last_capability() + 1)) - 1;
}

uint64_t caps_of(const std::vector<string>& names) {
  uint64_t m = 0;
  for (const auto& n : names)
    if (auto c = capability_from_name(n)) m |= 1ULL << *c;
  return m;
}

// CapabilityBoundingSet=: lines are OR-ed, "~" lines AND-ed with the
// complement; the empty assignment means the empty set. Unset: every
// capability.
uint64_t bounding_set(const std::vector<string>& values) {
  uint64_t mask = all_caps();
  bool first = true;
  for (const auto& v : values) {
    if (v.empty()) {
      mask = 0;
      first = false;
      continue;
    }
    bool invert = v[0] == '~';
    uint64_t m = caps_of(words(invert ? v.substr(1) : v));
    if (invert) mask &= ~m;
    else mask = first ? m : mask | m;
    first = false;
  }
  return mask;
}

uint64_t ambient_set(const std::vector<string>& values) {
  uint64_t mask = 0;
  for (const auto& v : values) {
    if (v.empty()) {
      mask = 0;
      continue;
    }
    bool invert = v[0] == '~';
    uint64_t m = caps_of(words(invert ? v.substr(1) : v));
    mask = invert ? mask & ~m : mask | m;
  }
  return mask;
}

// SystemCallFilter= in systemd's semantics: the first assignment fixes the
// polarity, later ones of the same polarity add, of the other remove.
// ":errno" suffixes are dropped; names zjail's tables lack go to `notes`.
SyscallPolicy syscall_policy(const std::vector<string>& values, std::vector<string>& notes) {
  SyscallPolicy p;
  for (const auto& v : values) {
    if (v.empty()) {
      p = SyscallPolicy{};
      continue;
    }
    bool invert = v[0] == '~';
    std::set<string> calls;
    for (string w : words(invert ? v.substr(1) : v)) {
      w = w.substr(0, w.find(':'));
      auto r = expand_syscalls({w});
      if (r) calls.insert(r->begin(), r->end());
      else if (std::find(notes.begin(), notes.end(), "unit: unknown system call or group " + w) == notes.end())
        notes.push_back("unit: unknown system call or group " + w);
    }
    if (!p.set) {
      p.set = true;
      p.allow_list = !invert;
      p.names = std::move(calls);
      if (p.allow_list)  // systemd always allows @default in an allow list
        for (const auto& d : group_members("@default")) p.names.insert(d);
    } else if (p.allow_list != invert) {
      p.names.insert(calls.begin(), calls.end());
    } else {
      for (const auto& c : calls) p.names.erase(c);
    }
  }
  return p;
}

}  // namespace

Findings judge_unit(const UnitFile& u, std::vector<string>& notes) {
  Findings f;
  const string U = "unit";
  auto yes = [&](const char* key) { return parse_bool(u.last(key)).value_or(false); };
  auto set_or = [&](const char* key, const char* dflt) {
    string v = u.last(key);
    return v.empty() ? string(dflt) + " (default)" : v;
  };
  // Exposure for root, or for an unprivileged user shielded by permissions.
  string user = u.last("User");
  bool dynamic = yes("DynamicUser");
  bool root = !dynamic && (user.empty() || user == "root" || user == "0");
  auto by_user = [&](double unprivileged) { return root ? 1.0 : unprivileged; };

  judge(f, User, root ? 1 : 0, dynamic ? "DynamicUser=yes" : user.empty() ? "root (default)" : user, U,
        root ? "runs as root" : "an unprivileged user");
  bool userns = yes("PrivateUsers");
  judge(f, PrivateUsers, userns ? 0 : 1, set_or("PrivateUsers", "no"), U,
        userns ? "a user namespace: no capability counts on the host" : "the host's user namespace");

  uint64_t bset = bounding_set(u.all("CapabilityBoundingSet"));
  uint64_t ambient = ambient_set(u.all("AmbientCapabilities")) & bset;
  bool seccomp_like = false;
  for (const char* k : {"SystemCallFilter", "SystemCallArchitectures", "RestrictAddressFamilies",
                        "RestrictNamespaces", "PrivateDevices", "ProtectKernelTunables",
                        "ProtectKernelModules", "ProtectKernelLogs", "ProtectClock",
                        "MemoryDenyWriteExecute", "RestrictRealtime", "RestrictSUIDSGID",
                        "LockPersonality"})
    seccomp_like |= u.has(k) && u.last(k) != "no";
  bool sys_admin = (root ? bset : ambient) & (1ULL << 21);
  bool nnp_implied = (seccomp_like || dynamic) && !sys_admin;
  bool nnp = yes("NoNewPrivileges") || nnp_implied;
  judge(f, NoNewPrivileges, nnp ? 0 : 1,
        yes("NoNewPrivileges") ? "yes" : nnp_implied ? "yes (implied)" : set_or("NoNewPrivileges", "no"), U,
        nnp ? "set-uid and file capabilities give nothing"
            : "a set-uid binary or file capability can raise privileges");
  // Root holds its bounding set; another user its ambient set, and the
  // bounding set through set-uid binaries unless no_new_privs stops that.
  uint64_t held = root ? bset : ambient | (nnp ? 0 : bset);
  string how = root ? (u.has("CapabilityBoundingSet") ? "" : "all (root, default)") : "";
  judge_caps(f, held, userns, U, how);
  bool host_privileged = !userns && held != 0;

  bool private_net = yes("PrivateNetwork") || u.has("NetworkNamespacePath");
  judge(f, PrivateNetwork, private_net ? 0 : 1, set_or("PrivateNetwork", "no"), U,
        private_net ? "loopback only" : "the host's network");
  string af = u.last("RestrictAddressFamilies");
  double af_e = 1;
  string af_why = "every address family";
  if (!af.empty()) {
    bool any_net = false;
    for (const auto& w : words(af))
      any_net |= w.find("NETLINK") != string::npos || w.find("PACKET") != string::npos;
    if (af == "none") af_e = 0, af_why = "no sockets";
    else if (af[0] == '~') af_e = 0.5, af_why = "a deny list of families";
    else af_e = any_net ? 0.4 : 0, af_why = any_net ? "includes netlink or packet sockets" : "only the listed families";
  }
  if (private_net) af_e = std::min(af_e, 0.3);
  judge(f, RestrictAddressFamilies, af_e, set_or("RestrictAddressFamilies", "(any)"), U, af_why);
  string ipdeny = u.last("IPAddressDeny");
  double ip_e = private_net ? 0 : ipdeny.empty() ? 1 : (ipdeny.find("any") != string::npos ? 0 : 0.5);
  judge(f, IPAddressDeny, ip_e, set_or("IPAddressDeny", "(none)"), U,
        ip_e == 0 ? "no address outside the allow list" : "no IP address filter");

  string ns = u.last("RestrictNamespaces");
  double ns_e = ns.empty() ? 1 : parse_bool(ns) ? (*parse_bool(ns) ? 0 : 1) : 0.5;
  judge(f, RestrictNamespaces, ns_e, set_or("RestrictNamespaces", "no"), U,
        ns_e == 0 ? "no new namespaces" : ns_e < 1 ? "some namespace types allowed" : "may create namespaces");
  string pp = u.last("ProtectProc");
  bool hidepid = !pp.empty() && pp != "default";
  judge(f, ProtectProc, hidepid ? 0.2 : 1, set_or("ProtectProc", "default"), U,
        hidepid ? "other users' processes hidden, host PID namespace"
                : "every host process is visible in /proc");
  bool subset = u.last("ProcSubset") == "pid";
  judge(f, ProcSubset, subset ? 0 : 1, set_or("ProcSubset", "all"), U,
        subset ? "/proc shows process directories only" : "all of /proc");
  bool uts = yes("ProtectHostname");
  judge(f, ProtectHostname, uts ? 0 : host_privileged ? 1 : 0.2, set_or("ProtectHostname", "no"), U,
        uts ? "a UTS namespace of its own" : "the host's host name");
  bool ipc = yes("PrivateIPC");
  judge(f, PrivateIPC, ipc ? 0 : by_user(0.5), set_or("PrivateIPC", "no"), U,
        ipc ? "an IPC namespace of its own" : "the host's SysV IPC and POSIX message queues");

  bool root_dir = u.has("RootDirectory") || u.has("RootImage");
  judge(f, RootDirectory, root_dir ? 0.3 : u.has("InaccessiblePaths") ? by_user(0.6) * 0.8 : by_user(0.6),
        root_dir ? (u.has("RootDirectory") ? u.last("RootDirectory") : u.last("RootImage")) : "(host root)", U,
        root_dir ? "a directory tree of its own" : "the host's whole file system is visible");
  string ps = dynamic && u.last("ProtectSystem").empty() ? "strict" : u.last("ProtectSystem");
  double ps_e = ps == "strict" || ps == "full" ? 0 : parse_bool(ps).value_or(false) ? by_user(0) * 0.5 : by_user(0.2);
  judge(f, ProtectSystem, ps_e, ps.empty() ? "no (default)" : ps, U,
        ps_e == 0 ? "/usr, /boot and /etc are read-only" : "the OS is writable as far as permissions allow");
  string ph = dynamic && u.last("ProtectHome").empty() ? "read-only" : u.last("ProtectHome");
  double ph_e = ph == "tmpfs" || parse_bool(ph).value_or(false) ? 0 : ph == "read-only" ? by_user(0.3) * 0.5 : by_user(0.5);
  judge(f, ProtectHome, ph_e, ph.empty() ? "no (default)" : ph, U,
        ph_e == 0 ? "home directories are hidden" : "home directories are visible");
  if (ps == "strict") {
    std::vector<string> rw;
    for (const auto& v : u.all("ReadWritePaths"))
      for (const auto& w : words(v)) rw.push_back(w);
    for (auto [key, base] : {std::pair{"StateDirectory", "/var/lib/"}, {"LogsDirectory", "/var/log/"},
                             {"CacheDirectory", "/var/cache/"}, {"RuntimeDirectory", "/run/"}})
      for (const auto& v : u.all(key))
        for (const auto& w : words(v)) rw.push_back(base + w.substr(0, w.find(':')));
    string list;
    for (const auto& p : rw) list += (list.empty() ? "" : " ") + p;
    judge(f, ReadWritePaths, writable_paths_exposure(rw.size()), rw.empty() ? "(none)" : list, U,
          rw.empty() ? "nothing of the host is writable" : "these host paths are writable");
  } else {
    judge(f, ReadWritePaths, by_user(0.5), "(no ProtectSystem=strict)", U,
          "everything the user may write is writable");
  }
  bool tmp = yes("PrivateTmp") || dynamic;
  judge(f, PrivateTmp, tmp ? 0 : 1, tmp && dynamic && !u.has("PrivateTmp") ? "yes (implied)" : set_or("PrivateTmp", "no"),
        U, tmp ? "a /tmp of its own" : "the host's /tmp is shared");
  bool pdev = yes("PrivateDevices");
  string policy = u.last("DevicePolicy");
  double dev_e = pdev ? 0 : policy == "closed" || policy == "strict" ? 0.2 : by_user(0.3);
  judge(f, PrivateDevices, dev_e, pdev ? "yes" : policy.empty() ? set_or("PrivateDevices", "no") : "DevicePolicy=" + policy,
        U, dev_e == 0 ? "a minimal /dev" : dev_e < 1 ? "device access limited" : "every host device node");
  for (auto [item, key, what] : {std::tuple{ProtectKernelTunables, "ProtectKernelTunables", "/proc/sys and /sys"},
                                 {ProtectKernelLogs, "ProtectKernelLogs", "the kernel log"},
                                 {ProtectControlGroups, "ProtectControlGroups", "the cgroup tree"}}) {
    bool on = yes(key);
    judge(f, item, on ? 0 : by_user(0.2), set_or(key, "no"), U,
          string(what) + (on ? " protected" : root ? " writable by root" : " readable"));
  }
  bool suid = yes("RestrictSUIDSGID") || dynamic;
  judge(f, RestrictSUIDSGID, suid ? 0 : by_user(0.5), set_or("RestrictSUIDSGID", "no"), U,
        suid ? "cannot create set-id files" : "may create set-uid/set-gid files");

  bool native = u.has("SystemCallArchitectures");
  for (const auto& v : u.all("SystemCallArchitectures"))
    for (const auto& w : words(v)) native &= w == "native" || w == "x86-64";
  judge(f, SystemCallArchitectures, native ? 0 : 1, set_or("SystemCallArchitectures", "(any)"), U,
        native ? "only the native ABI" : "i386 and x32 system calls around any filter");
  SyscallPolicy sys = syscall_policy(u.all("SystemCallFilter"), notes);
  judge_syscalls(f, sys, host_privileged, sys.set ? (sys.allow_list ? "allow list" : "deny list") : "(no filter)", U);
  bool mdwe = yes("MemoryDenyWriteExecute");
  judge(f, MemoryDenyWriteExecute, mdwe ? 0 : 1, set_or("MemoryDenyWriteExecute", "no"), U,
        mdwe ? "no writable and executable memory" : "may map memory writable and executable");
  bool rt = yes("RestrictRealtime");
  judge(f, RestrictRealtime, rt ? 0 : by_user(0.3), set_or("RestrictRealtime", "no"), U,
        rt ? "no real-time scheduling" : "real-time scheduling can starve the host");
  bool lock = yes("LockPersonality");
  judge(f, LockPersonality, lock ? 0 : 1, set_or("LockPersonality", "no"), U,
        lock ? "the execution domain cannot change" : "personality(2) may change the execution domain");

  string tasks = u.last("TasksMax");
  double tasks_e = tasks.empty() ? 0.5 : tasks == "infinity" ? 1 : 0;
  judge(f, TasksMax, tasks_e, set_or("TasksMax", "15%"), U,
        tasks_e == 0 ? "the number of tasks is capped" : tasks_e < 1 ? "systemd's DefaultTasksMax only" : "no cap on tasks");
  bool mem = (u.has("MemoryMax") && u.last("MemoryMax") != "infinity") || u.has("MemoryHigh") || u.has("LimitAS");
  judge(f, MemoryMax, mem ? 0 : 1, set_or("MemoryMax", "infinity"), U, mem ? "memory is capped" : "no memory cap");
  string nofile = u.last("LimitNOFILE");
  double nofile_e = nofile.empty() ? 0.5 : nofile == "infinity" ? 1 : 0;
  judge(f, LimitNOFILE, nofile_e, set_or("LimitNOFILE", "1024:524288"), U,
        nofile_e == 0 ? "open files are capped" : "open files up to systemd's default hard limit");
  string core = u.last("LimitCORE");
  double core_e = core == "0" || core == "0:0" ? 0 : 0.5;
  judge(f, LimitCORE, core_e, set_or("LimitCORE", "0:infinity"), U,
        core_e == 0 ? "no core dumps" : "core dumps may be enabled, and could hold secrets");
  return f;
}

std::vector<string> unit_blocks_zjail(const UnitFile& u, bool limits) {
  std::vector<string> out;
  auto block = [&](const string& what) { out.push_back("zjail cannot start inside " + u.name + ": " + what); };
  // RestrictNamespaces=: yes/no, a list of the types allowed, or ~ a list
  // of the types refused; zjail needs every type but time's to be allowed.
  string ns = u.last("RestrictNamespaces");
  if (!ns.empty() && ns != "no" && ns != "false" && ns != "0") {
    std::vector<string> missing;
    bool invert = ns[0] == '~';
    auto listed = words(invert ? ns.substr(1) : ns);
    bool all_denied = parse_bool(ns).value_or(false);
    for (const char* t : {"user", "mnt", "pid", "uts", "ipc", "net", "cgroup"}) {
      bool in = std::find(listed.begin(), listed.end(), t) != listed.end();
      if (all_denied || (invert ? in : !in)) missing.push_back(t);
    }
    if (!missing.empty())
      block("RestrictNamespaces=" + ns + " refuses the " + [&] {
        string s;
        for (const auto& m : missing) s += (s.empty() ? "" : " ") + m;
        return s;
      }() + " namespace(s) zjail creates");
  }
  string pu = u.last("PrivateUsers");
  if (!pu.empty() && pu != "no" && pu != "false" && pu != "0")
    block("PrivateUsers=" + pu + " puts zjail in a user namespace where it cannot map the payload's user or reach "
          "the host's cgroups");
  uint64_t bset = bounding_set(u.all("CapabilityBoundingSet"));
  for (const char* cap : {"cap_sys_admin", "cap_setuid", "cap_setgid"})
    if (auto c = capability_from_name(cap); c && !(bset & (1ULL << *c)))
      block("CapabilityBoundingSet= lacks " + capability_name(*c) + ", which zjail needs to build the jail");
  std::vector<string> ignored;
  SyscallPolicy sys = syscall_policy(u.all("SystemCallFilter"), ignored);
  for (const char* call : {"mount", "pivot_root", "unshare", "setns"})
    if (!sys.allowed(call))
      block(string("SystemCallFilter= denies ") + call + " (@mount or namespaces), which zjail needs to build the jail");
  if (limits && !parse_bool(u.last("Delegate")).value_or(false))
    block("the profile's resource limits need Delegate=yes on the unit");
  return out;
}

}  // namespace zjail::analysis
