// The steps of setting up a jail, in the order they run. This enum is the one
// place that order is written: the child's step tables (child/steps.cpp) and
// a session's (session.cpp) are checked against it when they compile, and
// the fault-injection tests ask zjail-faultinject for it
// (ZJAIL_FAULT_STEP=list, fault.hpp) instead of keeping lists of their own.
//
// Every step has a stable name. The names appear in error messages, in the
// journal's ZJAIL_STEP field, in the docs and in the tests, so renaming one
// is a user-visible change.
#pragma once

#include <cstddef>

namespace zjail {

enum class Step : unsigned char {
  // Parent side, before clone: everything that allocates happens here.
  PamConfig,        // "pam-config": reading /etc/zjail/pam.conf (pam_zjail)
  Profile,          // "profile": parsing and validating profiles
  ResolveUser,      // "resolve-user": User=/Group=/SupplementaryGroups= lookup
  Plan,             // "plan": turning the profile into the plain-data plan
  CompileSeccomp,   // "compile-seccomp": building the BPF program
  CheckPaths,       // "check-paths": a session's root and bind sources are root's
  Credentials,      // "credentials": reading LoadCredential= and friends
  ResolveCommand,   // "resolve-command": finding and opening the payload
  Directories,      // "directories": making RuntimeDirectory= and friends on the host
  Listen,           // "listen": binding ListenStream=/ListenDatagram= sockets
  JoinNetwork,      // "join-network": entering NetworkNamespacePath= for the clone
  SyncSocket,       // "sync-socket": parent/child error channel
  Clone,            // "clone": creating the namespaces and the jail init
  IdMap,            // "id-map": writing uid_map/setgroups/gid_map
  Cgroup,           // "cgroup": the jail's cgroup, its limits, the systemd scope
  ProcessProperties,  // "process-properties": Nice=, OOMScoreAdjust=, CPU and I/O scheduling, set on the init
  Network,          // "network": veth links, addresses, filters, port forwards, pasta (network.hpp)
  // The jail's init (PID 1), building the jail: kInitSteps and kJailSteps in
  // child/steps.cpp.
  InitSetup,        // "init-setup": death signal and signal handlers of the init
  CloseStrayFds,    // "close-stray-fds": the init drops every fd the jail does not need
  // Without namespaces (kFallbackSteps): the payload is the clone child.
  DeathSignal,      // "death-signal": the payload dies with zjail (no pid namespace does it)
  SyncWait,         // "sync-wait": waiting for the parent's go-ahead
  CgroupNamespace,  // "cgroup-namespace": rooted at the jail's final cgroup
  MountPrivate,     // "mount-private": making every mount private
  OpenSources,      // "open-sources": cloning bind sources before they are hidden
  RootMount,        // "root-mount": the fresh tmpfs root or RootDirectory=
  Mounts,           // "mounts": binds, tmpfs, /proc, /dev in plan order
  PivotRoot,        // "pivot-root": entering the new root, detaching the old
  RemountRoot,      // "remount-root": making the jail root read-only
  Hostname,         // "hostname": the uts namespace's host name
  Loopback,         // "loopback": bringing lo up in the private network
  InitSeal,         // "init-seal": the init becomes undumpable, so nothing can ptrace it
  // A login session: the caller joins the built jail (session.cpp).
  JoinJail,         // "join-jail": a login session's process entering the jail
  // The payload (PID 2): kPayloadSteps in child/steps.cpp. A session's
  // caller takes rlimits, bounding-set, no-new-privs and seccomp too
  // (child/privileges.cpp).
  ForkPayload,      // "fork-payload": starting the payload as PID 2
  Setsid,           // "setsid": new session, or keeping the terminal
  Rlimits,          // "rlimits": Limit*= directives
  Umask,            // "umask": UMask=
  PassFds,          // "pass-fds": placing passed fds at 3, 4, ...
  CloseFds,         // "close-fds": closing every fd not passed on purpose
  Groups,           // "setgroups": supplementary groups
  Gid,              // "setresgid"
  BoundingSet,      // "bounding-set": dropping from the bounding set
  SecureBits,       // "securebits": SecureBits=
  Keyring,          // "keyring": KeyringMode=, a session keyring of the payload's own
  Uid,              // "setresuid"
  Capabilities,     // "capabilities": permitted/effective/inheritable/ambient
  KeyringShared,    // "keyring-shared": KeyringMode=shared links the user keyring in
  NoNewPrivs,       // "no-new-privs"
  Personality,      // "personality": Personality=
  DenyWriteExecute, // "memory-deny-write-execute": PR_SET_MDWE
  SchedResetOnFork, // "sched-reset-on-fork": CPUSchedulingResetOnFork=
  Landlock,         // "landlock": the payload's Landlock rules (landlock.hpp)
  Chdir,            // "chdir": WorkingDirectory=
  JailCommand,      // "jail-command": the command given by path, as the jail shows it
  Seccomp,          // "seccomp": installing the filter, last before exec
  Exec,             // "exec": execve of the payload
  // Once the payload runs.
  Wait,             // "wait": supervising the jail
  Count_
};

// The set-up paths a step is part of.
enum StepPath : unsigned char {
  kNoPath = 0,           // not part of setting up (supervision)
  kLaunchPath = 1 << 0,  // a command's launch (zjail)
  kSessionPath = 1 << 1, // a login session (pam_zjail)
  kBothPaths = kLaunchPath | kSessionPath,
  // A launch without namespaces (user namespaces refused by the host): no
  // init, no jail to build; the payload's own steps (plan.hpp, Plan::namespaces).
  kFallbackPath = 1 << 2,
};

struct StepInfo {
  Step step;
  const char* name;
  unsigned char paths;  // StepPath bits
};

// In enum order (checked below).
inline constexpr StepInfo kSteps[] = {
    {Step::PamConfig, "pam-config", kSessionPath},
    {Step::Profile, "profile", kBothPaths | kFallbackPath},
    {Step::ResolveUser, "resolve-user", kBothPaths | kFallbackPath},
    {Step::Plan, "plan", kBothPaths | kFallbackPath},
    {Step::CompileSeccomp, "compile-seccomp", kBothPaths | kFallbackPath},
    {Step::CheckPaths, "check-paths", kSessionPath},
    {Step::Credentials, "credentials", kLaunchPath},
    {Step::ResolveCommand, "resolve-command", kLaunchPath | kFallbackPath},
    {Step::Directories, "directories", kLaunchPath | kFallbackPath},
    {Step::Listen, "listen", kLaunchPath | kFallbackPath},
    {Step::JoinNetwork, "join-network", kLaunchPath},
    {Step::SyncSocket, "sync-socket", kBothPaths | kFallbackPath},
    {Step::Clone, "clone", kBothPaths | kFallbackPath},
    {Step::IdMap, "id-map", kBothPaths},
    {Step::Cgroup, "cgroup", kBothPaths | kFallbackPath},
    {Step::ProcessProperties, "process-properties", kBothPaths | kFallbackPath},
    {Step::Network, "network", kLaunchPath},
    {Step::InitSetup, "init-setup", kBothPaths},
    {Step::CloseStrayFds, "close-stray-fds", kBothPaths},
    {Step::DeathSignal, "death-signal", kFallbackPath},
    {Step::SyncWait, "sync-wait", kBothPaths | kFallbackPath},
    {Step::CgroupNamespace, "cgroup-namespace", kBothPaths},
    {Step::MountPrivate, "mount-private", kBothPaths},
    {Step::OpenSources, "open-sources", kBothPaths},
    {Step::RootMount, "root-mount", kBothPaths},
    {Step::Mounts, "mounts", kBothPaths},
    {Step::PivotRoot, "pivot-root", kBothPaths},
    {Step::RemountRoot, "remount-root", kBothPaths},
    {Step::Hostname, "hostname", kBothPaths},
    {Step::Loopback, "loopback", kBothPaths},
    {Step::InitSeal, "init-seal", kBothPaths},
    {Step::JoinJail, "join-jail", kSessionPath},
    {Step::ForkPayload, "fork-payload", kLaunchPath},
    {Step::Setsid, "setsid", kLaunchPath | kFallbackPath},
    {Step::Rlimits, "rlimits", kBothPaths | kFallbackPath},
    {Step::Umask, "umask", kLaunchPath | kFallbackPath},
    {Step::PassFds, "pass-fds", kLaunchPath | kFallbackPath},
    {Step::CloseFds, "close-fds", kLaunchPath | kFallbackPath},
    {Step::Groups, "setgroups", kLaunchPath},
    {Step::Gid, "setresgid", kLaunchPath | kFallbackPath},
    {Step::BoundingSet, "bounding-set", kBothPaths},
    {Step::SecureBits, "securebits", kLaunchPath | kFallbackPath},
    {Step::Keyring, "keyring", kLaunchPath | kFallbackPath},
    {Step::Uid, "setresuid", kLaunchPath | kFallbackPath},
    {Step::Capabilities, "capabilities", kLaunchPath | kFallbackPath},
    {Step::KeyringShared, "keyring-shared", kLaunchPath | kFallbackPath},
    {Step::NoNewPrivs, "no-new-privs", kBothPaths | kFallbackPath},
    {Step::Personality, "personality", kBothPaths | kFallbackPath},
    {Step::DenyWriteExecute, "memory-deny-write-execute", kBothPaths | kFallbackPath},
    {Step::SchedResetOnFork, "sched-reset-on-fork", kLaunchPath | kFallbackPath},
    {Step::Landlock, "landlock", kBothPaths | kFallbackPath},
    {Step::Chdir, "chdir", kLaunchPath | kFallbackPath},
    {Step::JailCommand, "jail-command", kLaunchPath},
    {Step::Seccomp, "seccomp", kBothPaths | kFallbackPath},
    {Step::Exec, "exec", kLaunchPath | kFallbackPath},
    {Step::Wait, "wait", kNoPath},
};

constexpr bool steps_in_enum_order() {
  size_t i = 0;
  for (const auto& s : kSteps)
    if (static_cast<size_t>(s.step) != i++) return false;
  return i == static_cast<size_t>(Step::Count_);
}
static_assert(steps_in_enum_order(), "kSteps lists every Step once, in enum order");

constexpr const char* step_name(Step s) noexcept {
  auto i = static_cast<size_t>(s);
  return i < static_cast<size_t>(Step::Count_) ? kSteps[i].name : "unknown";
}

// Whether `s` is part of every path in `path`.
constexpr bool on_path(Step s, unsigned path) noexcept {
  auto i = static_cast<size_t>(s);
  return path != kNoPath && i < static_cast<size_t>(Step::Count_) && (kSteps[i].paths & path) == path;
}

// A step table (child/steps.cpp, session.cpp) runs its steps in enum order,
// after `after`, each of them part of every path in `path`.
template <class Entry, size_t N>
constexpr bool runs_in_order(const Entry (&table)[N], unsigned path, Step after) {
  Step last = after;
  for (const auto& e : table) {
    if (e.step <= last || !on_path(e.step, path)) return false;
    last = e.step;
  }
  return true;
}

}  // namespace zjail
