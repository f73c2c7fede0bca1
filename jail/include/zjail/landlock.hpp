// Landlock: rules the payload lays on itself, checked by the kernel on every
// access whatever namespace the object lives in. The parent decides what the
// jail needs (plan_landlock); the payload applies it (apply_landlock) right
// after no_new_privs, with plain system calls: no allocation, no logging.
//
// Today's rule: a jail with a private network that is handed TCP sockets of
// the host's network namespace (ListenStream=, or socket activation) may not
// connect() any TCP socket. An accepted connection is a host socket: after
// connect(AF_UNSPEC) dissolves it, connect() would reach whatever the host
// reaches, from a jail that has only lo. Seccomp cannot see which socket a
// connect() is for; Landlock's TCP connect right (ABI 4, Linux 6.7) can.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "zjail/fd.hpp"
#include "zjail/result.hpp"

namespace zjail {

// The kernel's Landlock ABI, defined here because Debian 12's
// linux-libc-dev (6.1) predates the network rules.
inline constexpr uint64_t kLandlockNetBindTcp = 1ULL << 0;
inline constexpr uint64_t kLandlockNetConnectTcp = 1ULL << 1;
struct LandlockRulesetAttr {
  uint64_t handled_access_fs;
  uint64_t handled_access_net;
};

struct LandlockPlan {
  bool deny_tcp_connect = false;  // handle LANDLOCK_ACCESS_NET_CONNECT_TCP, allow no port
};

// The ABI version this kernel offers, 0 if Landlock is missing or disabled.
int landlock_abi() noexcept;

// What the jail needs, from its network and the sockets it is handed
// (fd 3 onwards). When the kernel (ABI `abi`; -1 asks it, only if a rule is
// needed) cannot enforce it, the plan holds nothing and `warnings` says what
// stays open. A passed socket no rule can confine (MPTCP, SCTP, netlink,
// ...) into a private network is an error.
Result<LandlockPlan> plan_landlock(bool private_network, const std::vector<UniqueFd>& passed, int abi,
                                   std::vector<std::string>& warnings);

// The warning plan_landlock() gives where TCP stays open; --check says the same.
std::string tcp_reconnect_warning(int abi);

// Payload side: 0 or an errno.
int apply_landlock(const LandlockPlan& plan) noexcept;

}  // namespace zjail
