// The escape battery's catalog: every probe, its class, what it needs from
// the host, and the exact outcome that counts as "blocked" in each profile.
// Shared by the battery (which prints the verdicts) and the gtest driver
// (which instantiates one test per probe and profile from it), so the two
// can never disagree about what is expected.
#pragma once

#include <set>
#include <string>
#include <vector>

namespace zjail_escape {

// What a probe needs from outside the jail; the driver (or `battery
// host-setup`) provides it as a command-line option. Without it the probe
// is SKIPPED, never silently passed.
enum class Need {
  None,
  OutsidePid,  // --outside-pid: a host process of the payload's uid
  Key,         // --key: serial of a readable key in root's user keyring
  Abstract,    // --abstract: an abstract unix socket listening in the host netns
  TcpPort,     // --tcp-port: a TCP listener on the host's 127.0.0.1
  Tty,         // stdin is a terminal (the caller's)
  Suid,        // --suid: a setuid-root copy of the battery, bound in
  Fcap,        // --fcap: a copy with file capabilities, bound in
  BlockDev,    // --blockdev: a host block device node, bound in
  ShmKey,      // --shm-key: a host SysV shared memory segment, mode 0666
  Marker,      // --marker NAME: host files /dev/shm/NAME and /tmp/NAME, mode 0644
  DirFd,       // --dirfd-socket PATH: a unix socket that hands out an fd of a directory no jail shows
  Alone,       // no other process of ours in the jail (kill -1)
};

struct ProbeInfo {
  const char* name;
  const char* cls;
  Need need;
  // The blocked outcome per profile: an errno name (EPERM), a signal name
  // (SIGSYS) or a named check (lo-only). nullptr: not applicable there.
  const char* base_service;
  const char* untrusted;
  const char* ssh_restricted;
  // Run unjailed as root, a harmless probe shows the escape works
  // ("ESCAPED") or the errno that proves it got past the privilege check;
  // nullptr where running it on the host would be unsafe or meaningless.
  const char* baseline;
  const char* what;
  // Under sys-visible (base-service with the host's /sys bound read-only,
  // tests/escape/profiles): nullptr where it is the same as base-service.
  const char* sys_visible = nullptr;
  // Under network-service (base-service with the host's network namespace):
  // nullptr where it is the same as base-service. "ESCAPED" where the host's
  // network is what the profile is for (its 127.0.0.1, its interfaces): the
  // probe must reach its target, and the battery says verdict=open.
  const char* network_service = nullptr;
  // Where the host's kernel closes this way out by itself (shown unconfined
  // on the host, passed in with --kernel-closed NAME), the outcome in every
  // profile: "closed by the kernel". nullptr: no kernel closes it, or the
  // filter always answers first, so every host must show zjail's outcome.
  const char* kernel_closed = nullptr;
};

const std::vector<ProbeInfo>& catalog();
const ProbeInfo* find_probe(const std::string& name);
// The expected blocked outcome of `p` under `profile`; nullptr for a profile
// the catalog does not know or a probe that does not apply there.
const char* expected(const ProbeInfo& p, const std::string& profile);
// expected(), adjusted for what this kernel lacks: the probes in
// `kernel_closed` (from closed_by_this_kernel() on the host; the battery
// gets them as --kernel-closed) expect their kernel_closed outcome, and what
// the probe's own side can tell (inside the jail, /proc/sys/kernel tells
// about the kernel) is read there.
// `landlock_abi`: the host's Landlock ABI (-1: not told). An outcome that
// stands on a Landlock feature (kLandlockOutcomes in catalog.cpp) expects,
// on a host that said its ABI lacks the feature, what is left without it;
// not told, it expects the feature's block, so a missing layer fails.
const char* expected_here(const ProbeInfo& p, const std::string& profile, const std::set<std::string>& kernel_closed,
                          int landlock_abi = -1);
// The probes whose way out this host's kernel closes by itself, each shown
// unconfined. Host side only: a jail cannot learn it (a filter, or the
// jail's own view, would answer first).
std::set<std::string> closed_by_this_kernel();
// Why this host's kernel refuses `p`'s attack to unconfined root too (no
// IA32 emulation, no vsock, kernel.io_uring_disabled=2, ptrace_scope=3, a
// namespace kind it refuses, a read-only /proc/sys, ...), so that its
// baseline has nothing to show; "" when it does not. Host side only.
std::string baseline_refused_here(const ProbeInfo& p);
// The battery's arguments that pass `closed` on: {"--kernel-closed", "a,b"},
// or nothing.
std::vector<std::string> kernel_closed_args(const std::set<std::string>& closed);
const std::vector<std::string>& known_profiles();

// A daemon profile shipped in profiles/: the battery checks it against the
// column of the catalog profile it includes, plus its written-down
// differences (daemon_difference()).
struct DaemonProfile {
  const char* name;  // profiles/NAME.profile
  const char* base;  // "network-service" or "base-service"
  // systemd hands it a .socket unit's socket (fd 3, LISTEN_FDS=1), as the
  // gtest driver does.
  bool socket_activated = false;
};
const std::vector<DaemonProfile>& daemon_profiles();

// Where a daemon profile's outcome differs from its base's, and why.
struct Difference {
  const char* profile;
  const char* probe;
  const char* outcome;
  const char* why;
};
const Difference* daemon_difference(const std::string& profile, const std::string& probe);

// The host's Landlock ABI, 0 without Landlock. Host side only: the jail's
// filter may answer the query first.
int landlock_abi_here();
// The battery's arguments that pass the host's Landlock ABI on.
std::vector<std::string> landlock_abi_args();

}  // namespace zjail_escape
