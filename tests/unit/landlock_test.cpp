// The Landlock plan: which jails get the TCP connect rule, what a kernel
// without network rules is told, and the rule itself applied in a forked
// child against a real listener.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "zjail/landlock.hpp"

namespace zjail {
namespace {

using ::testing::HasSubstr;

UniqueFd tcp_listener(uint16_t& port) {
  UniqueFd s(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (!s || bind(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(s.get(), 4) != 0 ||
      getsockname(s.get(), reinterpret_cast<sockaddr*>(&a), &len) != 0)
    return {};
  port = ntohs(a.sin_port);
  return s;
}

std::vector<UniqueFd> one(UniqueFd fd) {
  std::vector<UniqueFd> v;
  v.push_back(std::move(fd));
  return v;
}

TEST(LandlockPlan, OnlyPrivateNetworksHandedHostTcpSockets) {
  uint16_t port = 0;
  auto tcp = one(tcp_listener(port));
  ASSERT_TRUE(tcp[0]);
  std::vector<std::string> warnings;
  auto deny = [&](bool priv, const std::vector<UniqueFd>& fds) {
    auto plan = plan_landlock(priv, fds, 4, warnings);
    EXPECT_TRUE(plan) << plan.error().message();
    return plan && plan->handle_connect_tcp && plan->connect_ports.empty();
  };
  EXPECT_TRUE(deny(true, tcp));
  EXPECT_FALSE(deny(false, tcp));  // the host's network anyway
  EXPECT_FALSE(deny(true, {}));
  auto udp = one(UniqueFd(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)));
  EXPECT_FALSE(deny(true, udp));  // documented: no rule tells replies apart
  auto local = one(UniqueFd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)));
  EXPECT_FALSE(deny(true, local));
  EXPECT_TRUE(warnings.empty());
}

// Landlock's TCP rights cover IPPROTO_TCP only: a passed socket of another
// protocol (MPTCP, SCTP) or family (netlink, ...) cannot be confined, and a
// private network refuses it rather than pretend.
TEST(LandlockPlan, SocketsNoRuleCoversAreRefused) {
  std::vector<std::string> warnings;
  std::vector<UniqueFd> others;
  UniqueFd mptcp(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_MPTCP));
  if (mptcp) others.push_back(std::move(mptcp));
  UniqueFd netlink(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, 0));
  if (netlink) others.push_back(std::move(netlink));
  if (others.empty()) GTEST_SKIP() << "this kernel makes neither MPTCP nor netlink sockets";
  for (auto& fd : others) {
    auto v = one(std::move(fd));
    auto plan = plan_landlock(true, v, 7, warnings);
    ASSERT_FALSE(plan);
    EXPECT_THAT(plan.error().context, HasSubstr("passed fd 3 is a socket of family"))
        << plan.error().message();
    EXPECT_TRUE(plan_landlock(false, v, 7, warnings));  // the host's network: nothing to keep
  }
}

TEST(LandlockPlan, KernelWithoutNetworkRulesIsReported) {
  uint16_t port = 0;
  auto tcp = one(tcp_listener(port));
  std::vector<std::string> warnings;
  auto plan = plan_landlock(true, tcp, 3, warnings);
  ASSERT_TRUE(plan);
  EXPECT_FALSE(plan->handle_connect_tcp);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_THAT(warnings[0], HasSubstr("Landlock ABI 3, 4 needed")) << warnings[0];
}

// The rule against a real listener: connect() and TCP Fast Open's sendto()
// fail, a unix socket still connects.
TEST(LandlockApply, TcpConnectDenied) {
  int abi = landlock_abi();
  if (abi < 4) GTEST_SKIP() << "this kernel's Landlock ABI is " << abi << ": no network rules to test";
  uint16_t port = 0;
  UniqueFd listener = tcp_listener(port);
  ASSERT_TRUE(listener);
  pid_t pid = fork();
  if (pid == 0) {
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) _exit(100);
    LandlockPlan only_tcp;
    only_tcp.handle_connect_tcp = true;
    if (apply_landlock(only_tcp, -1) != 0) _exit(101);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 || errno != EACCES) _exit(1);
    int f = socket(AF_INET, SOCK_STREAM, 0);
    if (sendto(f, "x", 1, MSG_FASTOPEN, reinterpret_cast<sockaddr*>(&a), sizeof a) >= 0) _exit(2);
    int u[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, u) != 0) _exit(3);
    _exit(0);
  }
  int st = 0;
  waitpid(pid, &st, 0);
  EXPECT_TRUE(WIFEXITED(st)) << st;
  EXPECT_EQ(WEXITSTATUS(st), 0);
  // Nothing reached the listener.
  ASSERT_EQ(fcntl(listener.get(), F_SETFL, O_NONBLOCK), 0);
  EXPECT_LT(accept(listener.get(), nullptr, nullptr), 0);
}

}  // namespace
}  // namespace zjail

namespace zjail {
namespace {

// The signal scope: a process that applied it cannot signal its parent
// (same uid, outside its domain); without it, it can.
TEST(LandlockApply, SignalScopeKeepsSignalsInTheDomain) {
  int abi = landlock_abi();
  if (abi < 6) GTEST_SKIP() << "this kernel's Landlock ABI is " << abi << ": no scopes to test";
  for (bool scoped : {false, true}) {
    pid_t pid = fork();
    if (pid == 0) {
      if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) _exit(100);
      LandlockPlan plan;
      plan.scoped = scoped ? kLandlockScopeSignal : 0;
      plan.handle_connect_tcp = !scoped;  // something to apply either way
      if (apply_landlock(plan, -1) != 0) _exit(101);
      int r = kill(getppid(), 0);
      _exit(r == 0 ? 0 : errno == EPERM ? 1 : 2);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    ASSERT_TRUE(WIFEXITED(st)) << st;
    EXPECT_EQ(WEXITSTATUS(st), scoped ? 1 : 0) << (scoped ? "scoped" : "not scoped");
  }
}

}  // namespace
}  // namespace zjail
