// Landlock, the second wall: each test makes the host side of an attack
// (an abstract socket that talks, a directory fd handed in, a write to a
// device DeviceAllow= grants for reading; signals: tests/unit/landlock_test)
// and runs the probe that tries it, next to the same try where the
// profile allows it. What the kernel lacks is skipped, loudly.
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <thread>

#include "harness.hpp"
#include "fd_handout.hpp"
#include "test_io.hpp"

namespace zjail_test {
namespace {

using ::testing::HasSubstr;

class Landlock : public RootTest {
 protected:
  void SetUp() override {
    RootTest::SetUp();
    abi_ = landlock_abi();
  }
  RunResult with(const std::string& lines, const std::vector<std::string>& probe) {
    std::string name = "ll" + std::to_string(++n_) + ".profile";
    profiles_.write(name, "[Jail]\n" + lines);
    std::vector<std::string> args{"--profile", profiles_ / name, "--", kProbe};
    args.insert(args.end(), probe.begin(), probe.end());
    return run(args);
  }
  // The probe's sock-bind|sock-connect|sock-listen KIND PORT: its outcome,
  // and zjail's own output where it failed.
  std::string sock(const std::string& lines, const char* verb, const char* kind, int port) {
    auto r = with(lines, {verb, kind, std::to_string(port)});
    return outcome(r, verb) + (r.code == 0 ? "" : " " + r.dump());
  }
  void need(int abi, const char* what) {
    if (abi_ < abi)
      GTEST_SKIP() << "\n*** this kernel's Landlock ABI is " << abi_ << ": no " << what << " (ABI " << abi
                   << " needed) ***";
  }
  int abi_ = 0;
  TempDir profiles_;
  int n_ = 0;
};

// A listener of the host's that answers every connection with a secret,
// until it is destroyed.
struct Listener {
  int fd = -1;
  std::thread t;
  explicit Listener(sockaddr_un a, socklen_t len) {
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (bind(fd, reinterpret_cast<sockaddr*>(&a), len) < 0 || listen(fd, 8) < 0) {
      close(fd);
      fd = -1;
    }
  }
  ~Listener() {
    if (fd >= 0) shutdown(fd, SHUT_RDWR);
    if (t.joinable()) t.join();
    if (fd >= 0) close(fd);
  }
};

// Under the host's network (network-service, which the daemon profiles
// include), abstract unix sockets are shared with the host: the mount
// namespace does not cover them.
TEST_F(Landlock, TheHostsAbstractSocketsAreOutOfReach) {
  need(6, "scopes");
  std::string name = "zjail-test-abstract-" + std::to_string(getpid());
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::memcpy(a.sun_path + 1, name.data(), name.size());
  Listener l(a, static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size()));
  ASSERT_GE(l.fd, 0) << std::strerror(errno);
  l.t = std::thread([fd = l.fd] {
    for (int c; (c = accept4(fd, nullptr, nullptr, SOCK_CLOEXEC)) >= 0; close(c))
      if (write(c, "host-secret", 11) < 0) break;
  });
  auto denied = with("Include=network-service\n", {"abstract-connect", name});
  EXPECT_EQ(outcome(denied, "abstract-connect"), "EPERM") << denied.dump();
  // The named exception opens it again: the baseline the attack needs.
  auto allowed = with("Include=network-service\nRestrictAbstractUnixSockets=no\n", {"abstract-connect", name});
  EXPECT_EQ(allowed.line("PASS abstract-connect").value_or(""), "PASS abstract-connect @" + name + " read=host-secret")
      << allowed.dump();
}

// A directory fd of the host's /etc, handed into the jail over a unix
// socket in a bound directory: openat() beneath it reaches nothing.
TEST_F(Landlock, APassedDirectoryFdReachesNothing) {
  need(2, "path rules");
  TempDir dir;
  chmod(dir.path().c_str(), 0777);
  std::string path = dir / "handoff.sock";
  zjail_test_io::DirFdHandout handout(path, "/etc");
  ASSERT_TRUE(handout.ok()) << std::strerror(errno);
  std::string lines = "Include=base-service\nBindPaths=" + dir.path() + "\n";
  auto r = with(lines, {"passed-dirfd", path, "passwd"});
  EXPECT_EQ(outcome(r, "passed-dirfd"), "EACCES") << r.dump();
  // The fd itself did arrive: a file the jail shows is still read through
  // its own path.
  auto mine = with(lines, {"read", "/etc/passwd"});
  EXPECT_NE(outcome(mine, "read"), "PASS") << "base-service binds no /etc/passwd" << mine.dump();
}

// DeviceAllow= with r alone: the node is bound, and a read-only bind does
// not stop a device being written; the rule on the node does. The payload's
// stdin is /dev/null, read-only: that is no way to write to it either.
TEST_F(Landlock, DeviceAllowReadOnlyStopsWrites) {
  need(2, "path rules");
  std::string strict = "Include=base-service\nDevicePolicy=strict\nDeviceAllow=/dev/zero rw\n";
  auto base = with(strict + "DeviceAllow=/dev/null rw\n", {"open-write", "/dev/null"});
  ASSERT_EQ(outcome(base, "open-write"), "PASS") << base.dump();
  std::string lines = strict + "DeviceAllow=/dev/null r\n";
  auto w = with(lines, {"open-write", "/dev/null"});
  EXPECT_EQ(outcome(w, "open-write"), "EACCES") << w.dump();
  auto rd = with(lines, {"read", "/dev/null"});
  EXPECT_EQ(outcome(rd, "read"), "PASS") << rd.dump();
  auto other = with(lines, {"open-write", "/dev/zero"});
  EXPECT_EQ(outcome(other, "open-write"), "PASS") << other.dump();
  // Lines add up, as in systemd: r and w make rw.
  auto both = with(lines + "DeviceAllow=/dev/null w\n", {"open-write", "/dev/null"});
  EXPECT_EQ(outcome(both, "open-write"), "PASS") << both.dump();
}

// The mount table as rules: what a profile binds read-only stays
// unwritable through a path the mounts would not have stopped, and what
// it binds read-write is still writable.
TEST_F(Landlock, TheRulesFollowTheMounts) {
  need(2, "path rules");
  TempDir rw, ro;
  chmod(rw.path().c_str(), 0777);
  auto r = with("Include=base-service\nBindPaths=" + rw.path() + "\nBindReadOnlyPaths=" + ro.path() + "\n",
                {"create", rw / "made"});
  EXPECT_EQ(outcome(r, "create"), "PASS") << r.dump();
  auto tmp = with("Include=base-service\n", {"create", "/tmp/x"});
  EXPECT_EQ(outcome(tmp, "create"), "PASS") << tmp.dump();
  auto ls = with("Include=base-service\n", {"opendir", "/usr/bin"});
  EXPECT_EQ(outcome(ls, "opendir"), "PASS") << ls.dump();
}

// A loopback TCP port nothing holds now (held only while `held` lives, for a listener).
int free_port(int* held = nullptr) {
  int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a = zjail_test_io::loopback(0);
  socklen_t len = sizeof a;
  if (bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0 || getsockname(s, reinterpret_cast<sockaddr*>(&a), &len) < 0)
    return -1;
  if (held) {
    listen(s, 8);
    *held = s;
  } else {
    close(s);
  }
  return ntohs(a.sin_port);
}

// On the host's network, where no namespace stands between the payload and
// the host's ports: SocketBind*= lets it bind the ports it lists and no
// other, by IPv4, IPv6 or MPTCP (which Landlock's TCP rule does not see,
// so the socket is refused). UDP is not covered, as documented.
TEST_F(Landlock, SocketBindRulesHoldOnTheHostsNetwork) {
  need(4, "network rules");
  int open = free_port(), closed = free_port();
  ASSERT_GT(open, 0);
  ASSERT_GT(closed, 0);
  std::string net = "Include=network-service\n";
  std::string rules = net + "SocketBindDeny=tcp:any\nSocketBindAllow=tcp:" + std::to_string(open) + "\n";
  auto bind = [&](const std::string& lines, const char* kind, int port) { return sock(lines, "sock-bind", kind, port); };
  // The baseline the attack needs: without the rules, every way binds.
  EXPECT_EQ(bind(net, "tcp4", closed), "PASS");
  EXPECT_EQ(bind(net, "tcp6", closed), "PASS");
  std::string mptcp = bind(net, "mptcp4", closed);
  EXPECT_EQ(bind(rules, "tcp4", open), "PASS");
  EXPECT_EQ(bind(rules, "tcp4", closed), "EACCES");
  EXPECT_EQ(bind(rules, "tcp6", closed), "EACCES");
  EXPECT_EQ(bind(rules, "tcp4", 0), "EACCES");  // an ephemeral port is a port too, as in systemd
  EXPECT_EQ(bind(rules, "mptcp4", closed), "EPROTONOSUPPORT") << "unconfined: " << mptcp;
  EXPECT_EQ(bind(rules, "mptcp6", closed), "EPROTONOSUPPORT");
  EXPECT_EQ(bind(rules, "seq4", closed), "EPROTONOSUPPORT");  // SCTP, where its module is loaded
  EXPECT_EQ(bind(rules, "udp4", closed), "PASS");  // tcp: rules say nothing of UDP
  // listen() on an unbound socket takes an ephemeral port without bind():
  // closed where no TCP port is open, a documented gap where some are.
  auto listen = [&](const std::string& lines) { return sock(lines, "sock-listen", "tcp4", 0); };
  EXPECT_EQ(listen(net), "PASS");
  EXPECT_EQ(listen(net + "SocketBindDeny=tcp:any\n"), "EACCES");
  EXPECT_EQ(listen(rules), "PASS");
}

// SocketConnect*=, for the outgoing TCP connections learn mode writes: a
// host listener the rules do not list is out of reach, even over IPv6 or
// MPTCP, while the listed one answers.
TEST_F(Landlock, SocketConnectRulesHoldOnTheHostsNetwork) {
  need(4, "network rules");
  int a = -1, b = -1;
  int allowed = free_port(&a), denied = free_port(&b);
  ASSERT_GT(allowed, 0);
  ASSERT_GT(denied, 0);
  std::string net = "Include=network-service\n";
  std::string rules = net + "SocketConnectDeny=any\nSocketConnectAllow=" + std::to_string(allowed) + "\n";
  auto connect = [&](const std::string& lines, const char* kind, int port) {
    return sock(lines, "sock-connect", kind, port);
  };
  EXPECT_EQ(connect(net, "tcp4", denied), "PASS");
  EXPECT_EQ(connect(rules, "tcp4", allowed), "PASS");
  EXPECT_EQ(connect(rules, "tcp4", denied), "EACCES");
  EXPECT_EQ(connect(rules, "tcp6", denied), "EACCES");
  EXPECT_EQ(connect(rules, "mptcp4", denied), "EPROTONOSUPPORT");
  close(a);
  close(b);
}

// What Landlock cannot say is refused, never half-enforced.
TEST_F(Landlock, SocketRulesLandlockCannotHoldAreRefused) {
  need(4, "network rules");
  auto refused = [&](const std::string& lines, const std::string& why) {
    auto r = with("Include=network-service\n" + lines, {"ns"});
    EXPECT_EQ(r.code, 125) << r.dump();
    EXPECT_THAT(r.err, HasSubstr(why)) << r.dump();
  };
  refused("SocketBindDeny=any\nSocketBindAllow=tcp:80\n", "deny binds to UDP ports, and Landlock confines TCP only");
  refused("SocketBindDeny=ipv4:tcp:any\n", "differently for IPv4 and IPv6");
  refused("SocketBindDeny=tcp:22\n", "leave more than 1024 TCP ports open");
  refused("SocketConnectDeny=any\nRestrictIOUring=no\n", "RestrictIOUring=no contradicts SocketBind*=/SocketConnect*=");
}

}  // namespace
}  // namespace zjail_test
