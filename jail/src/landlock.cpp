#include "zjail/landlock.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <string>

namespace zjail {
namespace {

constexpr unsigned kCreateRulesetVersion = 1U << 0;  // LANDLOCK_CREATE_RULESET_VERSION
constexpr int kNetAbi = 4;

// What a socket of the host's network namespace, handed into a private
// network, can reach beyond the peers that come to it.
enum class Passed {
  Contained,   // a unix socket: paths resolve in the jail's mount namespace
  Tcp,         // TCP: an accepted connection can be reconnected (connect AF_UNSPEC)
  Datagram,    // UDP: sendto() any address; no kernel rule tells replies apart (documented)
  Uncontained  // anything else (MPTCP, SCTP, raw, netlink, vsock, ...): no rule covers it
};

Passed classify(int fd, std::string& what) {
  int domain = 0, type = 0, protocol = 0;
  socklen_t len = sizeof domain;
  if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) != 0) return Passed::Contained;  // not a socket
  len = sizeof type;
  getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len);
  len = sizeof protocol;
  getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &protocol, &len);
  what = "a socket of family " + std::to_string(domain) + ", type " + std::to_string(type) + ", protocol " +
         std::to_string(protocol);
  if (domain == AF_UNIX) return Passed::Contained;
  if (domain != AF_INET && domain != AF_INET6) return Passed::Uncontained;
  // Landlock's TCP rights cover IPPROTO_TCP only: not MPTCP, SCTP or SMC.
  if (type == SOCK_STREAM && protocol == IPPROTO_TCP) return Passed::Tcp;
  if (type == SOCK_DGRAM && (protocol == IPPROTO_UDP || protocol == IPPROTO_UDPLITE)) return Passed::Datagram;
  return Passed::Uncontained;
}

}  // namespace

int landlock_abi() noexcept {
  long v = syscall(SYS_landlock_create_ruleset, nullptr, 0, kCreateRulesetVersion);
  return v > 0 ? static_cast<int>(v) : 0;
}

Result<LandlockPlan> plan_landlock(bool private_network, const std::vector<UniqueFd>& passed, int abi,
                                   std::vector<std::string>& warnings) {
  LandlockPlan plan;
  if (!private_network) return plan;  // the host's network is open anyway
  bool host_tcp = false;
  for (size_t i = 0; i < passed.size(); ++i) {
    std::string what;
    switch (classify(passed[i].get(), what)) {
      case Passed::Contained:
      case Passed::Datagram: break;
      case Passed::Tcp: host_tcp = true; break;
      case Passed::Uncontained:
        return make_error(Step::Plan, EPROTONOSUPPORT,
                          "passed fd " + std::to_string(3 + i) + " is " + what +
                              " of the host's network namespace, which PrivateNetwork=yes cannot confine "
                              "(Landlock covers TCP only): pass TCP, UDP or unix sockets, or set PrivateNetwork=no");
    }
  }
  if (!host_tcp) return plan;
  if (abi < 0) abi = landlock_abi();
  if (abi >= kNetAbi) {
    plan.deny_tcp_connect = true;
    return plan;
  }
  warnings.push_back(tcp_reconnect_warning(abi));
  return plan;
}

std::string tcp_reconnect_warning(int abi) {
  return "this kernel has no Landlock network rules (Landlock ABI " + std::to_string(abi) +
         ", 4 needed: Linux 6.7): the payload can turn a connection accepted on a passed TCP socket into "
         "one to any address the host reaches, despite PrivateNetwork=yes";
}

int apply_landlock(const LandlockPlan& plan) noexcept {
  if (!plan.deny_tcp_connect) return 0;
  LandlockRulesetAttr attr{0, kLandlockNetConnectTcp};
  long fd = syscall(SYS_landlock_create_ruleset, &attr, sizeof attr, 0);
  if (fd < 0) return errno;
  long r = syscall(SYS_landlock_restrict_self, fd, 0);
  int e = errno;
  close(static_cast<int>(fd));
  return r < 0 ? e : 0;
}

}  // namespace zjail
