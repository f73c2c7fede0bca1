// Sockets zjail hands the payload (ListenStream=) belong to the host's
// network namespace. A jail with a private network must not turn them into a
// way out to the host's network.
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fcntl.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "harness.hpp"

namespace zjail_test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

using PassedSockets = RootTest;

int loopback_listener(int& port) {
  int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (s < 0 || bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(s, 4) != 0 ||
      getsockname(s, reinterpret_cast<sockaddr*>(&a), &len) != 0)
    return -1;
  port = ntohs(a.sin_port);
  return s;
}

int connect_to(int port, int protocol = 0) {
  int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, protocol);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(s);
    return -1;
  }
  return s;
}

// A connection accepted on a passed socket, dissolved with connect(AF_UNSPEC)
// and connected again (or sent with TCP Fast Open), would reach the host's
// 127.0.0.1 from a jail whose own network has only lo.
TEST_F(PassedSockets, AcceptedConnectionCannotReconnectToTheHost) {
  int target_port = 0, free_port = 0;
  int target = loopback_listener(target_port);
  ASSERT_GE(target, 0);
  int probe = loopback_listener(free_port);  // a free port for ListenStream=
  ASSERT_GE(probe, 0);
  close(probe);
  TempDir d;
  d.write("listen.profile", "[Jail]\nListenStream=127.0.0.1:" + std::to_string(free_port) + "\n");
  Spawned z({"--profile", kProfile, "--profile", d / "listen.profile", "--", kProbe, "reconnect-accepted",
             std::to_string(target_port)});
  ASSERT_NE(z.wait_line("READY"), "") << "the payload never started";
  int client = connect_to(free_port);
  ASSERT_GE(client, 0);
  auto r = z.wait();
  close(client);
  ASSERT_EQ(fcntl(target, F_SETFL, O_NONBLOCK), 0);
  int reached = accept(target, nullptr, nullptr);
  if (reached >= 0) close(reached);
  close(target);

  long abi = syscall(SYS_landlock_create_ruleset, nullptr, 0, 1U);
  if (abi < 4) {
    // The kernel cannot refuse it: zjail must say so, every time.
    EXPECT_THAT(r.err, HasSubstr("no Landlock network rules")) << r.dump();
    GTEST_SKIP() << "this kernel's Landlock ABI is " << abi
                 << " (4 needed, Linux 6.7): the reconnect cannot be refused here, and zjail warned";
  }
  EXPECT_EQ(outcome(r, "reconnect-accepted"), "EACCES") << r.dump();
  EXPECT_LT(reached, 0) << "the jail reached the host's 127.0.0.1:" << target_port << "\n" << r.dump();
  EXPECT_THAT(r.err, Not(HasSubstr("Landlock"))) << r.dump();
}

// The same attack on a socket systemd passes by socket activation from a
// .socket unit with SocketProtocol=mptcp: a multipath TCP socket is not TCP
// to Landlock (its TCP rights cover IPPROTO_TCP only, not MPTCP, SCTP or
// SMC), so an accepted connection, dissolved and connected again, would
// reach the host's 127.0.0.1 from a private network. zjail refuses to start.
TEST_F(PassedSockets, AcceptedMptcpConnectionCannotReconnectToTheHost) {
  int probe_mptcp = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_MPTCP);
  if (probe_mptcp < 0) GTEST_SKIP() << "this kernel makes no MPTCP socket (" << strerror(errno) << "): nothing to pass";
  close(probe_mptcp);
  int target_port = 0;
  int target = loopback_listener(target_port);
  ASSERT_GE(target, 0);
  // What systemd binds for ListenStream=127.0.0.1:0 with SocketProtocol=mptcp.
  int activated = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_MPTCP);
  ASSERT_GE(activated, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ASSERT_EQ(bind(activated, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(listen(activated, 4), 0);
  ASSERT_EQ(getsockname(activated, reinterpret_cast<sockaddr*>(&a), &len), 0);
  RunOptions opt;
  opt.activation_fd = activated;
  Spawned z({"--profile", kProfile, "--", kProbe, "reconnect-accepted", std::to_string(target_port)}, opt);
  close(activated);
  // Had the payload started, this connection would be its to misuse.
  int client = connect_to(ntohs(a.sin_port), IPPROTO_MPTCP);
  auto r = z.wait();
  if (client >= 0) close(client);
  ASSERT_EQ(fcntl(target, F_SETFL, O_NONBLOCK), 0);
  int reached = accept(target, nullptr, nullptr);
  if (reached >= 0) close(reached);
  close(target);
  EXPECT_EQ(r.code, 125) << r.dump();
  EXPECT_THAT(r.err,
              HasSubstr("passed fd 3 is a socket of family 2, type 1, protocol 262 of the host's network namespace"))
      << r.dump();
  EXPECT_FALSE(r.line("READY")) << "the payload started\n" << r.dump();
  EXPECT_LT(reached, 0) << "the jail reached the host's 127.0.0.1:" << target_port << "\n" << r.dump();
}

std::string link_of(const std::string& path) {
  char buf[4096] = {};
  ssize_t n = readlink(path.c_str(), buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
}

// The supervisor outlives the launch by as long as the jail runs. A copy of a
// passed socket in it would keep the socket open (and accepting) after the
// payload closed it, and a copy of the payload's binary would pin it: once
// the payload runs, it holds neither (launch.hpp: release_payload_fds).
TEST_F(PassedSockets, TheSupervisorKeepsNoCopyOfThemNorOfThePayloadsBinary) {
  int free_port = 0;
  int probe = loopback_listener(free_port);
  ASSERT_GE(probe, 0);
  close(probe);
  TempDir d;
  d.write("listen.profile", "[Jail]\nListenStream=127.0.0.1:" + std::to_string(free_port) + "\n");
  Spawned z({"--profile", kProfile, "--profile", d / "listen.profile", "--", kProbe, "hang",
             "keeps-no-copy-" + std::to_string(getpid())});
  ASSERT_NE(z.wait_line("READY"), "") << "the payload never started";
  auto init = children_of(z.pid());
  ASSERT_EQ(init.size(), 1u);
  auto payload = children_of(init[0]);
  ASSERT_FALSE(payload.empty());
  std::string passed = link_of("/proc/" + std::to_string(payload[0]) + "/fd/3");
  ASSERT_TRUE(passed.starts_with("socket:")) << "the payload's fd 3 is " << passed;
  std::string fds = "/proc/" + std::to_string(z.pid()) + "/fd";
  std::string held;
  for (const auto& e : std::filesystem::directory_iterator(fds)) {
    std::string target = link_of(e.path());
    if (target == passed || target == kProbe) held += e.path().filename().string() + " -> " + target + "\n";
  }
  EXPECT_EQ(held, "") << "the supervisor still holds what only the payload needs";
  ASSERT_EQ(kill(z.pid(), SIGTERM), 0);
  z.wait();
}

}  // namespace
}  // namespace zjail_test
