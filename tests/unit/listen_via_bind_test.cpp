// ListenViaBind= (listen_via_bind.hpp), the parts that need no jail: the
// address comparison, the fdinfo flags, and what the plan makes of it (the
// sockets kept out of LISTEN_FDS, the bind() watch section, the refusal
// where zjail cannot hold its listener). The runtime is tested in
// tests/root/root_listen_via_bind_test.cpp.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <seccomp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "../../jail/src/listen_via_bind.hpp"
#include "zjail/denials.hpp"
#include "zjail/parser.hpp"
#include "zjail/plan.hpp"
#include "zjail/profile.hpp"

namespace zjail {
namespace {

using ::testing::HasSubstr;

Origin at(int line) { return Origin{"via.profile", line}; }

PlanContext root_ctx() {
  PlanContext c;
  c.cwd = "/";
  return c;
}

bool has_env(const Plan& plan, const std::string& prefix) {
  return std::any_of(plan.envp_storage.begin(), plan.envp_storage.end(),
                     [&](const std::string& e) { return e.starts_with(prefix); });
}

// A port on 127.0.0.1 free for TCP and UDP (the kernel's pick), or 0.
int free_port() {
  for (int tries = 0; tries < 20; ++tries) {
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (s < 0 || bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        getsockname(s, reinterpret_cast<sockaddr*>(&a), &len) != 0)
      return 0;
    close(s);
    int u = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    bool udp = u >= 0 && bind(u, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    if (u >= 0) close(u);
    if (udp) return ntohs(a.sin_port);
  }
  return 0;
}

BindSocket inet(const char* host, uint16_t port) {
  BindSocket s;
  auto* in = reinterpret_cast<sockaddr_in*>(&s.addr);
  in->sin_family = AF_INET;
  in->sin_port = htons(port);
  inet_pton(AF_INET, host, &in->sin_addr);
  s.len = sizeof *in;
  s.family = AF_INET;
  return s;
}

BindSocket inet6(const char* host, uint16_t port, uint32_t scope = 0) {
  BindSocket s;
  auto* in6 = reinterpret_cast<sockaddr_in6*>(&s.addr);
  in6->sin6_family = AF_INET6;
  in6->sin6_port = htons(port);
  in6->sin6_scope_id = scope;
  inet_pton(AF_INET6, host, &in6->sin6_addr);
  s.len = sizeof *in6;
  s.family = AF_INET6;
  return s;
}

TEST(ListenViaBindAddress, OnlyTheSameFamilyAddressAndPort) {
  const BindSocket listed = inet("127.0.0.1", 80);
  EXPECT_TRUE(same_address(listed, inet("127.0.0.1", 80).addr, sizeof(sockaddr_in)));
  // What bind() reads past sin_zero does not matter; what it reads does.
  EXPECT_TRUE(same_address(listed, inet("127.0.0.1", 80).addr, sizeof(sockaddr_storage)));
  EXPECT_FALSE(same_address(listed, inet("127.0.0.1", 81).addr, sizeof(sockaddr_in)));
  EXPECT_FALSE(same_address(listed, inet("127.0.0.2", 80).addr, sizeof(sockaddr_in)));
  EXPECT_FALSE(same_address(listed, inet("0.0.0.0", 80).addr, sizeof(sockaddr_in)));
  EXPECT_FALSE(same_address(listed, inet("127.0.0.1", 80).addr, sizeof(sockaddr_in) - 1));  // too short
  EXPECT_FALSE(same_address(listed, inet6("::ffff:127.0.0.1", 80).addr, sizeof(sockaddr_in6)));

  const BindSocket any6 = inet6("::", 80);
  EXPECT_TRUE(same_address(any6, inet6("::", 80).addr, sizeof(sockaddr_in6)));
  EXPECT_FALSE(same_address(any6, inet("0.0.0.0", 80).addr, sizeof(sockaddr_in)));
  EXPECT_FALSE(same_address(any6, inet6("::1", 80).addr, sizeof(sockaddr_in6)));
  EXPECT_FALSE(same_address(any6, inet6("::", 80, 2).addr, sizeof(sockaddr_in6)));  // another scope
  EXPECT_FALSE(same_address(any6, inet6("::", 80).addr, 24));  // RFC 2133's: the kernel's to judge
}

TEST(ListenViaBindAddress, FdinfoFlagsAreOctal) {
  EXPECT_EQ(fdinfo_flags("pos:\t0\nflags:\t02004002\nmnt_id:\t15\nino:\t4242\n"), 02004002);
  EXPECT_EQ(fdinfo_flags("flags:\t02\n"), 02);
  EXPECT_EQ(fdinfo_flags("pos:\t0\nmnt_id:\t15\n"), -1);
  EXPECT_EQ(fdinfo_flags("pos:\t0\nflags:\tzz\n"), -1);
  EXPECT_EQ(fdinfo_flags("pos:\t0\nflags:\t0208\n"), -1);  // not octal
  EXPECT_EQ(fdinfo_flags(""), -1);
}

// The IPv4 and IPv6 sockets go to the payload's bind(), the unix one to
// LISTEN_FDS as before; the merged filter sends bind() to zjail.
TEST(ListenViaBindPlan, InetSocketsAreKeptForBindAndBindIsWatched) {
  int port = free_port();
  ASSERT_NE(port, 0);
  std::string path = "/tmp/zjail-via-bind-" + std::to_string(getpid()) + ".sock";
  Profile p;
  p.listen_stream.push_back({"127.0.0.1:" + std::to_string(port), at(1)});
  p.listen_datagram.push_back({"127.0.0.1:" + std::to_string(port), at(2)});
  p.listen_stream.push_back({path, at(3)});
  p.listen_via_bind = {true, at(4)};
  auto plan = build_plan(p, {"/bin/true"}, root_ctx());
  ASSERT_TRUE(plan) << plan.error().message();
  EXPECT_EQ(plan->pass_fds.size(), 1u);
  ASSERT_EQ(plan->bind_sockets.size(), 2u);
  const BindSocket& tcp = plan->bind_sockets[0];
  EXPECT_EQ(tcp.family, AF_INET);
  EXPECT_EQ(tcp.type, SOCK_STREAM);
  EXPECT_EQ(tcp.protocol, IPPROTO_TCP);
  EXPECT_EQ(tcp.v6only, -1);
  EXPECT_EQ(tcp.what, "ListenStream=127.0.0.1:" + std::to_string(port) + " (via.profile:1)");
  EXPECT_TRUE(same_address(tcp, tcp.addr, tcp.len));
  EXPECT_EQ(plan->bind_sockets[1].type, SOCK_DGRAM);
  EXPECT_EQ(plan->bind_sockets[1].protocol, IPPROTO_UDP);
  EXPECT_TRUE(has_env(*plan, "LISTEN_FDS=1"));
  EXPECT_TRUE(has_env(*plan, "LISTEN_FDNAMES=zjail"));

  ASSERT_FALSE(plan->seccomp_notify.empty());
  seccomp_data d{};
  d.arch = seccomp_arch_native();
  d.nr = seccomp_syscall_resolve_name("bind");
  EXPECT_EQ(run_bpf(plan->seccomp_notify, d), static_cast<uint32_t>(SECCOMP_RET_USER_NOTIF));
  d.nr = seccomp_syscall_resolve_name("connect");
  EXPECT_NE(run_bpf(plan->seccomp_notify, d), static_cast<uint32_t>(SECCOMP_RET_USER_NOTIF));
  plan = Result<Plan>(make_error(Step::Plan, 0, ""));
  unlink(path.c_str());
}

// Without it, or without an inet socket, nothing changes: the sockets are
// LISTEN_FDS and bind() stays off the listener.
TEST(ListenViaBindPlan, OffOrUnixOnlyLeavesSocketActivationAsItWas) {
  int port = free_port();
  ASSERT_NE(port, 0);
  Profile p;
  p.listen_stream.push_back({"127.0.0.1:" + std::to_string(port), at(1)});
  auto plan = build_plan(p, {"/bin/true"}, root_ctx());
  ASSERT_TRUE(plan) << plan.error().message();
  EXPECT_EQ(plan->pass_fds.size(), 1u);
  EXPECT_TRUE(plan->bind_sockets.empty());
  EXPECT_TRUE(has_env(*plan, "LISTEN_FDS=1"));
  seccomp_data d{};
  d.arch = seccomp_arch_native();
  d.nr = seccomp_syscall_resolve_name("bind");
  EXPECT_NE(run_bpf(plan->seccomp_notify, d), static_cast<uint32_t>(SECCOMP_RET_USER_NOTIF));
  plan = Result<Plan>(make_error(Step::Plan, 0, ""));

  p.listen_via_bind = {true, at(2)};
  auto via = build_plan(p, {"/bin/true"}, root_ctx());
  ASSERT_TRUE(via) << via.error().message();
  EXPECT_TRUE(via->pass_fds.empty());
  EXPECT_EQ(via->bind_sockets.size(), 1u);
  EXPECT_FALSE(has_env(*via, "LISTEN_FDS="));
  EXPECT_FALSE(has_env(*via, "LISTEN_PID="));
}

// kernel.yama.ptrace_scope=3: zjail cannot hold the listener, so the launch
// fails before anything is bound, naming the directive.
TEST(ListenViaBindPlan, FailsClosedWithoutTheListener) {
  int port = free_port();
  ASSERT_NE(port, 0);
  Profile p;
  p.listen_stream.push_back({"127.0.0.1:" + std::to_string(port), at(1)});
  p.listen_via_bind = {true, at(3)};
  PlanContext ctx = root_ctx();
  ctx.listener_handoff_refused = true;
  auto plan = build_plan(p, {"/bin/true"}, ctx);
  ASSERT_FALSE(plan);
  EXPECT_EQ(plan.error().step, Step::Listen);
  EXPECT_THAT(plan.error().message(), HasSubstr("via.profile:3: ListenViaBind=yes needs zjail's seccomp listener"));
  EXPECT_EQ(plan.error().message().find('\n'), std::string::npos);
  auto check = check_plan(p, ctx);
  EXPECT_FALSE(check);
  // Nothing was bound: the port is still free.
  int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a), 0) << strerror(errno);
  close(s);
  // A unix socket alone needs no listener: passed as always.
  Profile unix_only;
  unix_only.listen_via_bind = {true, at(3)};
  EXPECT_TRUE(check_plan(unix_only, ctx));
}

// A filter that denies bind() would, with the watch section in front of it,
// have its kill made by zjail instead of the kernel: refused instead.
TEST(ListenViaBindPlan, RefusedWhereTheFiltersDenyBind) {
  int port = free_port();
  ASSERT_NE(port, 0);
  Profile p;
  p.listen_stream.push_back({"127.0.0.1:" + std::to_string(port), at(1)});
  p.listen_via_bind = {true, at(2)};
  ASSERT_TRUE(apply_directive(p, "SystemCallFilter", "~bind", at(3)));
  auto plan = build_plan(p, {"/bin/true"}, root_ctx());
  ASSERT_FALSE(plan);
  EXPECT_THAT(plan.error().message(), HasSubstr("ListenViaBind=yes needs bind(), which the profile's system call "
                                                "filters deny"));
}

}  // namespace
}  // namespace zjail
