#include "zjail/landlock.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

namespace zjail {
namespace {

constexpr unsigned kCreateRulesetVersion = 1U << 0;  // LANDLOCK_CREATE_RULESET_VERSION
constexpr int kNetAbi = 4;

// An IPv4 or IPv6 stream socket (TCP or MPTCP): one that connect() could
// point at a new peer.
bool is_inet_stream(int fd) {
  int domain = 0, type = 0;
  socklen_t len = sizeof domain;
  if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) != 0) return false;
  len = sizeof type;
  if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0) return false;
  return (domain == AF_INET || domain == AF_INET6) && type == SOCK_STREAM;
}

}  // namespace

int landlock_abi() noexcept {
  long v = syscall(SYS_landlock_create_ruleset, nullptr, 0, kCreateRulesetVersion);
  return v > 0 ? static_cast<int>(v) : 0;
}

LandlockPlan plan_landlock(bool private_network, const std::vector<UniqueFd>& passed, int abi,
                           std::vector<std::string>& warnings) {
  LandlockPlan plan;
  if (!private_network) return plan;  // the host's network is open anyway
  bool host_tcp = false;
  for (const auto& fd : passed) host_tcp = host_tcp || is_inet_stream(fd.get());
  if (!host_tcp) return plan;
  if (abi < 0) abi = landlock_abi();
  if (abi >= kNetAbi) {
    plan.deny_tcp_connect = true;
    return plan;
  }
  warnings.push_back(
      "this kernel has no Landlock network rules (Landlock ABI " + std::to_string(abi) +
      ", 4 needed: Linux 6.7): the payload can turn a connection accepted on a passed TCP socket into "
      "one to any address the host reaches, despite PrivateNetwork=yes");
  return plan;
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
