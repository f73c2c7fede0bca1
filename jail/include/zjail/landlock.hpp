// Landlock: rules the payload lays on itself, checked by the kernel on every
// access whatever namespace the object lives in: a second wall under the
// mount namespace. The parent decides what the jail needs (plan_landlock,
// plan_landlock_paths); the payload applies it (apply_landlock) right after
// no_new_privs, with plain system calls: no allocation, no logging.
//
// - Paths (ABI 2): the jail's mount table as rules. What is mounted
//   read-only may be read (and run, where it is not noexec), what is
//   writable may be written, device nodes as DeviceAllow= says. A
//   directory fd that comes from outside the jail (SCM_RIGHTS) reaches
//   nothing beneath it, since no rule covers the host's tree.
// - Scopes (ABI 6): abstract unix sockets and signals of processes outside
//   the payload's domain are out of reach, even on the host's network.
// - TCP (ABI 4): SocketBindAllow=/SocketBindDeny= and
//   SocketConnectAllow=/SocketConnectDeny= as the TCP ports the payload
//   may bind and connect to (landlock_net.cpp). And a jail with a private network that is handed TCP sockets
//   of the host's network namespace may not connect() any TCP socket: after
//   connect(AF_UNSPEC) dissolves an accepted connection, connect() would
//   reach whatever the host reaches. Seccomp cannot see which socket a
//   connect() is for; Landlock's TCP connect right can.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "zjail/fd.hpp"
#include "zjail/result.hpp"

namespace zjail {

// The kernel's Landlock ABI, defined here because Debian 12's
// linux-libc-dev (6.1) predates most of it.
// The ABI versions zjail's features need: path rules with refer (Linux
// 5.19), TCP port rules (6.7), scopes (6.12).
inline constexpr int kLandlockPathAbi = 2;
inline constexpr int kLandlockNetAbi = 4;
inline constexpr int kLandlockScopeAbi = 6;
inline constexpr uint64_t kLandlockNetBindTcp = 1ULL << 0;
inline constexpr uint64_t kLandlockNetConnectTcp = 1ULL << 1;
inline constexpr uint64_t kLandlockScopeAbstractUnix = 1ULL << 0;
inline constexpr uint64_t kLandlockScopeSignal = 1ULL << 1;
struct LandlockRulesetAttr {
  uint64_t handled_access_fs;
  uint64_t handled_access_net;
  uint64_t scoped;
};

// One path rule: `path` in the jail (absolute), and the access rights
// beneath it (LANDLOCK_ACCESS_FS_*).
struct LandlockPathRule {
  std::string path;
  uint64_t access = 0;
  bool file = false;  // a device node, expected not to be a directory (only the order of the opens)
};

// A device node DeviceAllow= grants read or write only (the mount flags
// cannot say it: a read-only mount still lets a device be written).
struct DeviceAccess {
  std::string path;  // in the jail, absolute
  bool read = true, write = true;
};

struct LandlockPlan {
  int abi = 0;                        // what the kernel offers
  uint64_t handled_fs = 0;            // 0: no path rules
  std::vector<LandlockPathRule> paths;
  bool exec_rule = false;             // the command, opened outside the jail, may be run
  // Host paths (without namespaces): opened with RESOLVE_NO_SYMLINKS, so
  // that a symlink planted since the plan steers no rule elsewhere.
  bool no_symlinks = false;
  uint64_t scoped = 0;                // LANDLOCK_SCOPE_*
  // TCP (ABI 4): bind()/connect() only to these ports, when handled.
  bool handle_bind_tcp = false;
  std::vector<uint16_t> bind_ports;
  bool handle_connect_tcp = false;
  std::vector<uint16_t> connect_ports;
  // What the profile asked for and this kernel cannot do, for -v, --show
  // and --analyze, which credit only what applies.
  std::vector<std::string> missing;
};

// The ABI version this kernel offers, 0 if Landlock is missing or disabled.
int landlock_abi() noexcept;

struct Profile;
// What the profile asks of Landlock that a kernel of ABI `abi` lacks, for
// --show (a launch's own list is LandlockPlan::missing).
std::vector<std::string> landlock_missing(const Profile& p, int abi);

// What the jail needs from its network and the sockets it is handed
// (fd 3 onwards). When the kernel (ABI `abi`; -1 asks it, only if a rule is
// needed) cannot enforce it, the plan holds nothing and `warnings` says what
// stays open. A passed socket no rule can confine (MPTCP, SCTP, netlink,
// ...) into a private network is an error.
Result<LandlockPlan> plan_landlock(bool private_network, const std::vector<UniqueFd>& passed, int abi,
                                   std::vector<std::string>& warnings);

// "80 443 8000-8010", or "none".
std::string landlock_ports_text(const std::vector<uint16_t>& ports);

// The warning plan_landlock() gives where TCP stays open; --check says the same.
std::string tcp_reconnect_warning(int abi);

// Payload side: 0 or an errno. `exec_fd` (-1: none) is the command opened
// before the mounts, which may be run (LandlockPlan::exec_rule).
int apply_landlock(const LandlockPlan& plan, int exec_fd) noexcept;

}  // namespace zjail
