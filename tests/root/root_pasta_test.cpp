// pasta (jail/src/pasta.cpp) against real namespaces. Every test runs in a
// forked child with its own network namespace standing in for the host: a
// veth "zj0" with 192.0.2.1 (what pasta copies into the jail) and 192.0.2.2
// (the servers), a default route via 192.0.2.254 that nothing answers, and a
// secret server on the host's loopback. No packet leaves namespaces the test
// made. The jail is a user+network namespace made by an unprivileged owner
// (uid 65534) unless the test says root; probes enter it with setns.
#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <string>
#include <thread>

#include "harness.hpp"
#include "netns.hpp"
#include "pasta.hpp"

namespace zjail_test {
namespace {

using namespace std::chrono_literals;
using zjail::Pasta;
using zjail::PastaSpec;
using zjail::PortForward;

constexpr uid_t kNobody = 65534;
constexpr uint16_t kTcpPort = 7001, kUdpPort = 7002, kSecretPort = 7003;

// Lines "key=value" written by the forked scenario, read by the test.
using Report = std::map<std::string, std::string>;

void say(int fd, const std::string& key, const std::string& value) {
  std::string line = key + "=" + value + "\n";
  (void)!write(fd, line.data(), line.size());
}

sockaddr_in addr4(const char* ip, uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  inet_pton(AF_INET, ip, &a.sin_addr);
  return a;
}

// A forked server that dies with its parent: TCP answers each connection
// with `token`, UDP answers each datagram with it.
pid_t serve(int type, const char* ip, uint16_t port, const char* token) {
  int s = socket(AF_INET, type | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  auto a = addr4(ip, port);
  if (bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return -1;
  if (type == SOCK_STREAM && listen(s, 16) != 0) return -1;
  pid_t pid = fork();
  if (pid != 0) {
    close(s);
    return pid;
  }
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  for (;;) {
    if (type == SOCK_STREAM) {
      int c = accept(s, nullptr, nullptr);
      if (c < 0) continue;
      (void)!write(c, token, strlen(token));
      close(c);
    } else {
      char buf[64];
      sockaddr_storage from{};
      socklen_t len = sizeof from;
      if (recvfrom(s, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len) >= 0)
        sendto(s, token, strlen(token), 0, reinterpret_cast<sockaddr*>(&from), len);
    }
  }
}

// What a TCP connection to ip:port reads within 3 s, or "error: ...".
std::string tcp_fetch(const char* ip, uint16_t port) {
  int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  timeval tv{3, 0};
  setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  auto a = addr4(ip, port);
  std::string out;
  if (connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    out = std::string("error: ") + strerror(errno);
  } else {
    char buf[64];
    ssize_t n = read(s, buf, sizeof buf);
    out = n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string("error: read ") + strerror(n < 0 ? errno : 0);
  }
  close(s);
  return out;
}

std::string udp_fetch(const char* ip, uint16_t port) {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  timeval tv{1, 0};
  setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  auto a = addr4(ip, port);
  std::string out = "error: no answer";
  for (int i = 0; i < 3 && out.starts_with("error"); ++i) {  // the first may go before ARP settles
    sendto(s, "ping", 4, 0, reinterpret_cast<sockaddr*>(&a), sizeof a);
    char buf[64];
    ssize_t n = recv(s, buf, sizeof buf, 0);
    if (n > 0) out.assign(buf, static_cast<size_t>(n));
  }
  close(s);
  return out;
}

// Runs `fn` in a forked child inside the jail's namespaces; its stdout-like
// result comes back through a pipe.
std::string in_jail(pid_t jail, const std::function<std::string()>& fn) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) return "error: pipe";
  pid_t pid = fork();
  if (pid == 0) {
    close(p[0]);
    std::string r;
    for (const char* ns : {"user", "net"}) {
      int fd = open(("/proc/" + std::to_string(jail) + "/ns/" + ns).c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0 || setns(fd, 0) != 0) r = std::string("error: setns ") + ns + ": " + strerror(errno);
    }
    if (r.empty()) r = fn();
    (void)!write(p[1], r.data(), r.size());
    _exit(0);
  }
  close(p[1]);
  std::string out = drain_and_reap(p[0], pid);
  return out;
}

// A jail: a process in a new user and network namespace, mapped to its
// creator, waiting to be killed. Optionally a server bound inside first.
pid_t make_jail(uint16_t tcp_port = 0) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) return -1;
  uid_t uid = geteuid();
  gid_t gid = getegid();
  pid_t pid = fork();
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (unshare(CLONE_NEWUSER | CLONE_NEWNET) != 0) _exit(1);
    auto put = [](const char* file, const std::string& text) {
      int fd = open(file, O_WRONLY | O_CLOEXEC);
      bool ok = fd >= 0 && write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
      if (fd >= 0) close(fd);
      return ok;
    };
    if (!put("/proc/self/setgroups", "deny") || !put("/proc/self/uid_map", "0 " + std::to_string(uid) + " 1") ||
        !put("/proc/self/gid_map", "0 " + std::to_string(gid) + " 1"))
      _exit(2);
    if (tcp_port && serve(SOCK_STREAM, "0.0.0.0", tcp_port, "jail") < 0) _exit(3);
    (void)!write(p[1], "r", 1);
    for (;;) pause();
  }
  close(p[1]);
  char c;
  bool ok = read(p[0], &c, 1) == 1;
  close(p[0]);
  return ok ? pid : -1;
}

// As an ordinary user is: dumpable again after the change of credentials,
// so that its jail may write its own /proc/self/uid_map.
bool drop_to_nobody() {
  return setgroups(0, nullptr) == 0 && setresgid(kNobody, kNobody, kNobody) == 0 &&
         setresuid(kNobody, kNobody, kNobody) == 0 && prctl(PR_SET_DUMPABLE, 1) == 0;
}

// A tmpfs over /tmp, seen by this test's mount namespace only, holds the
// 0666 tun node: nothing is left on the host's.
bool open_tun_to_all() { return bind_open_tun("/tmp"); }

// Runs `scenario(out)` in a child with a fresh "host" network namespace set
// up as the header says, and returns what it reported.
Report on_test_host(const std::function<void(int out)>& scenario) {
  int p[2];
  EXPECT_EQ(pipe2(p, O_CLOEXEC), 0);
  pid_t pid = fork();
  if (pid == 0) {
    close(p[0]);
    setpgid(0, 0);
    if (unshare(CLONE_NEWNET | CLONE_NEWNS) != 0) _exit(1);
    if (!open_tun_to_all()) {
      say(p[1], "setup", std::string("tun node: ") + strerror(errno));
      _exit(0);
    }
    int rc = system(
        "ip link set lo up && ip link add zj0 type veth peer name zj1 && ip link set zj1 up && "
        "ip addr add 192.0.2.1/24 dev zj0 && ip addr add 192.0.2.2/24 dev zj0 && ip link set zj0 up && "
        "ip route add default via 192.0.2.254 dev zj0");
    if (rc != 0) {
      say(p[1], "setup", "ip failed");
      _exit(0);
    }
    if (serve(SOCK_STREAM, "192.0.2.2", kTcpPort, "host-tcp") < 0 ||
        serve(SOCK_DGRAM, "192.0.2.2", kUdpPort, "host-udp") < 0 ||
        serve(SOCK_STREAM, "127.0.0.1", kSecretPort, "host-secret") < 0) {
      say(p[1], "setup", "servers failed");
      _exit(0);
    }
    say(p[1], "setup", "ok");
    // The scenario drops privileges; the servers, root's, are killed here.
    pid_t sc = fork();
    if (sc == 0) {
      prctl(PR_SET_CHILD_SUBREAPER, 1);  // orphans (a SIGKILLed owner's pasta) come back here
      scenario(p[1]);
      _exit(0);
    }
    waitpid(sc, nullptr, 0);
    kill(0, SIGKILL);  // the servers, and this process: a process group of its own
    _exit(0);
  }
  close(p[1]);
  std::string text;
  char buf[512];
  ssize_t n;
  while ((n = read(p[0], buf, sizeof buf)) > 0) text.append(buf, static_cast<size_t>(n));
  close(p[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  Report r;
  size_t at = 0;
  while (at < text.size()) {
    size_t nl = text.find('\n', at);
    std::string line = text.substr(at, nl - at);
    at = nl == std::string::npos ? text.size() : nl + 1;
    size_t eq = line.find('=');
    if (eq != std::string::npos) r[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return r;
}

class PastaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "\n*** needs root (it makes network namespaces and veths) ***";
    auto found = zjail::find_pasta();
    if (!found) GTEST_SKIP() << "\n*** " << found.error().message() << " ***";
    binary_ = *found;
  }
  PastaSpec spec(pid_t target) const {
    PastaSpec s;
    s.binary = binary_;
    s.target = target;
    return s;
  }
  std::string binary_;
};

std::string started(const zjail::Result<Pasta>& r) { return r ? "ok" : r.error().message(); }

TEST_F(PastaTest, UnprivilegedOwnerGetsAConfiguredInterfaceAndOutboundTcpUdp) {
  Report r = on_test_host([&](int out) {
    if (!drop_to_nobody()) return say(out, "drop", strerror(errno));
    pid_t jail = make_jail();
    auto t0 = std::chrono::steady_clock::now();
    auto pasta = zjail::start_pasta(spec(jail));
    auto took = std::chrono::steady_clock::now() - t0;
    say(out, "start", started(pasta));
    say(out, "start_us", std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(took).count()));
    // Ready means configured: no waiting here.
    say(out, "addr", in_jail(jail, [] {
          return std::system("ip -4 -o addr show dev host0 | grep -q 'inet 192.0.2.1/24' && "
                             "ip -4 route show default | grep -q 'via 192.0.2.254 dev host0'") == 0
                     ? std::string("ok")
                     : std::string("missing");
        }));
    say(out, "tcp", in_jail(jail, [] { return tcp_fetch("192.0.2.2", kTcpPort); }));
    say(out, "udp", in_jail(jail, [] { return udp_fetch("192.0.2.2", kUdpPort); }));
  });
  ASSERT_EQ(r["setup"], "ok");
  EXPECT_EQ(r["start"], "ok");
  EXPECT_EQ(r["addr"], "ok");
  EXPECT_EQ(r["tcp"], "host-tcp");
  EXPECT_EQ(r["udp"], "host-udp");
  std::cout << "start_pasta took " << r["start_us"] << " us\n";
}

TEST_F(PastaTest, HostLoopbackIsClosedUnlessALoopbackPortOpensIt) {
  Report r = on_test_host([&](int out) {
    if (!drop_to_nobody()) return say(out, "drop", strerror(errno));
    pid_t closed_jail = make_jail();
    auto closed = zjail::start_pasta(spec(closed_jail));
    say(out, "start_closed", started(closed));
    // The jail's own loopback, and the gateway pasta maps to the host's
    // loopback unless --no-map-gw.
    say(out, "closed_lo", in_jail(closed_jail, [] { return tcp_fetch("127.0.0.1", kSecretPort); }));
    say(out, "closed_gw", in_jail(closed_jail, [] { return tcp_fetch("192.0.2.254", kSecretPort); }));

    pid_t open_jail = make_jail();
    PastaSpec s = spec(open_jail);
    s.loopback_ports = {PortForward{IPPROTO_TCP, kSecretPort, 5432, "HostLoopbackPort=5432:7003"}};
    auto opened = zjail::start_pasta(s);
    say(out, "start_open", started(opened));
    say(out, "open_lo", in_jail(open_jail, [] { return tcp_fetch("127.0.0.1", 5432); }));
    say(out, "open_other", in_jail(open_jail, [] { return tcp_fetch("127.0.0.1", kSecretPort); }));
  });
  ASSERT_EQ(r["setup"], "ok");
  ASSERT_EQ(r["start_closed"], "ok");
  EXPECT_THAT(r["closed_lo"], ::testing::StartsWith("error"));
  EXPECT_THAT(r["closed_gw"], ::testing::StartsWith("error"));
  ASSERT_EQ(r["start_open"], "ok");
  EXPECT_EQ(r["open_lo"], "host-secret");
  EXPECT_THAT(r["open_other"], ::testing::StartsWith("error"));
}

TEST_F(PastaTest, OnlyListedPortsReachTheJailFromTheHost) {
  Report r = on_test_host([&](int out) {
    if (!drop_to_nobody()) return say(out, "drop", strerror(errno));
    // Bound before pasta starts: pasta's own default (-t auto) would forward it.
    pid_t jail = make_jail(8081);
    PastaSpec s = spec(jail);
    s.ports = {PortForward{IPPROTO_TCP, 18080, 8081, "Port=18080:8081"}};
    auto pasta = zjail::start_pasta(s);
    say(out, "start", started(pasta));
    // A client on the host itself: through the host's loopback (pasta
    // splices it to the jail's). Through the host's own 192.0.2.1 this pasta
    // hands the jail the gateway as source and, with --no-map-gw, never
    // carries the reply back (docs/network.md).
    say(out, "forwarded", tcp_fetch("127.0.0.1", 18080));
    std::this_thread::sleep_for(1500ms);  // past pasta's periodic scan of bound ports
    say(out, "unlisted", tcp_fetch("127.0.0.1", 8081));
    say(out, "unlisted_addr", tcp_fetch("192.0.2.1", 8081));
    // No Port= at all: nothing is forwarded, however the jail binds.
    pid_t bare_jail = make_jail(8082);
    auto bare = zjail::start_pasta(spec(bare_jail));
    say(out, "start_bare", started(bare));
    std::this_thread::sleep_for(1500ms);
    say(out, "bare", tcp_fetch("127.0.0.1", 8082));
  });
  ASSERT_EQ(r["setup"], "ok");
  ASSERT_EQ(r["start"], "ok");
  EXPECT_EQ(r["forwarded"], "jail");
  EXPECT_THAT(r["unlisted"], ::testing::StartsWith("error"));
  EXPECT_THAT(r["unlisted_addr"], ::testing::StartsWith("error"));
  ASSERT_EQ(r["start_bare"], "ok");
  EXPECT_THAT(r["bare"], ::testing::StartsWith("error"));
}

bool gone(pid_t pid) {
  for (int i = 0; i < 100; ++i) {
    // Reap whatever came back to this subreaper, then look.
    while (waitpid(-1, nullptr, WNOHANG) > 0) {
    }
    if (kill(pid, 0) != 0 && errno == ESRCH) return true;
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

TEST_F(PastaTest, PastaEndsWithTheJailAndWithItsOwner) {
  Report r = on_test_host([&](int out) {
    // The jail dies: its owner, waiting for it, drops the Pasta.
    pid_t owner = fork();
    if (owner == 0) {
      if (!drop_to_nobody()) _exit(1);
      pid_t jail = make_jail();
      auto pasta = zjail::start_pasta(spec(jail));
      if (!pasta) _exit(2);
      pid_t pid = pasta->pid();
      say(out, "pasta1", std::to_string(pid));
      kill(jail, SIGKILL);
      waitpid(jail, nullptr, 0);
      // pasta does not quit by itself when a PID's namespace goes: its
      // netns-quit watches namespace files only. The owner ends it.
      std::this_thread::sleep_for(500ms);
      say(out, "pasta1_alone", kill(pid, 0) == 0 ? "still running" : "gone");
      pasta->stop();
      say(out, "pasta1_stopped", kill(pid, 0) != 0 && errno == ESRCH ? "gone" : "still running");
      _exit(0);
    }
    waitpid(owner, nullptr, 0);
    // The owner is SIGKILLed while its jail and pasta run.
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) return;
    owner = fork();
    if (owner == 0) {
      if (!drop_to_nobody()) _exit(1);
      pid_t jail = make_jail();
      auto pasta = zjail::start_pasta(spec(jail));
      if (!pasta) _exit(2);
      pid_t pp = pasta->pid();
      (void)!write(p[1], &pp, sizeof pp);
      for (;;) pause();
    }
    close(p[1]);
    pid_t pasta2 = -1;
    if (read(p[0], &pasta2, sizeof pasta2) != sizeof pasta2) return say(out, "pasta2", "not started");
    say(out, "pasta2_alive", kill(pasta2, 0) == 0 ? "yes" : "no");
    kill(owner, SIGKILL);
    waitpid(owner, nullptr, 0);
    say(out, "pasta2_gone", gone(pasta2) ? "yes" : "no");
  });
  ASSERT_EQ(r["setup"], "ok");
  pid_t pasta1 = static_cast<pid_t>(atoi(r["pasta1"].c_str()));
  EXPECT_GT(pasta1, 0);
  EXPECT_EQ(r["pasta1_alone"], "still running");
  EXPECT_EQ(r["pasta1_stopped"], "gone");
  EXPECT_EQ(r["pasta2_alive"], "yes");
  EXPECT_EQ(r["pasta2_gone"], "yes");
}

TEST_F(PastaTest, RootOwnerRunsPastaWithoutHostCapabilitiesOrStrayFds) {
  Report r = on_test_host([&](int out) {
    // A stray fd zjail forgot to mark close-on-exec.
    int stray = memfd_create("zjail-stray", 0);
    pid_t jail = make_jail();
    auto pasta = zjail::start_pasta(spec(jail));
    say(out, "start", started(pasta));
    if (!pasta) return;
    say(out, "tcp", in_jail(jail, [] { return tcp_fetch("192.0.2.2", kTcpPort); }));
    std::string status = "/proc/" + std::to_string(pasta->pid()) + "/status";
    FILE* f = fopen(status.c_str(), "r");
    char line[256];
    while (f && fgets(line, sizeof line, f)) {
      std::string l(line);
      if (l.starts_with("Uid:") || l.starts_with("CapEff:") || l.starts_with("NoNewPrivs:") || l.starts_with("Seccomp:"))
        say(out, l.substr(0, l.find(':')), l.substr(l.find(':') + 2, l.size() - l.find(':') - 3));
    }
    if (f) fclose(f);
    std::string links;
    std::string dir = "/proc/" + std::to_string(pasta->pid()) + "/fd/";
    for (int fd = 0; fd < 64; ++fd) {
      char target[256];
      ssize_t n = readlink((dir + std::to_string(fd)).c_str(), target, sizeof target - 1);
      if (n > 0) links += std::string(target, static_cast<size_t>(n)) + " ";
    }
    say(out, "fds", links);
    say(out, "stray", stray >= 0 ? "open" : strerror(errno));
  });
  ASSERT_EQ(r["setup"], "ok");
  ASSERT_EQ(r["start"], "ok");
  EXPECT_EQ(r["tcp"], "host-tcp");
  EXPECT_EQ(r["NoNewPrivs"], "1");
  EXPECT_EQ(r["Seccomp"], "2");
  ASSERT_EQ(r["stray"], "open");
  EXPECT_THAT(r["fds"], ::testing::Not(::testing::HasSubstr("zjail-stray")));
  EXPECT_THAT(r["fds"], ::testing::HasSubstr("/dev/null"));
  std::cout << "pasta under a root owner: Uid " << r["Uid"] << ", CapEff " << r["CapEff"] << "\n";
}

TEST_F(PastaTest, FailuresAreOneClearLine) {
  Report r = on_test_host([&](int out) {
    if (!drop_to_nobody()) return say(out, "drop", strerror(errno));
    pid_t jail = make_jail();
    PastaSpec missing = spec(jail);
    missing.binary = "/nonexistent/pasta";
    say(out, "missing", started(zjail::start_pasta(missing)));
    PastaSpec bad_name = spec(jail);
    bad_name.ifname = "an-interface-name-too-long";
    say(out, "pasta_says", started(zjail::start_pasta(bad_name)));
    say(out, "dead_target", started(zjail::start_pasta(spec(999999))));
  });
  ASSERT_EQ(r["setup"], "ok");
  EXPECT_THAT(r["missing"], ::testing::HasSubstr("/nonexistent/pasta"));
  EXPECT_THAT(r["missing"], ::testing::HasSubstr("(step: network)"));
  // pasta's own words reach the error.
  EXPECT_THAT(r["pasta_says"], ::testing::HasSubstr("an-interface-name-too-long"));
  EXPECT_THAT(r["dead_target"], ::testing::HasSubstr("/proc/999999/ns/user: No such file or directory"));
  for (const char* k : {"missing", "pasta_says", "dead_target"}) EXPECT_EQ(r[k].find('\n'), std::string::npos) << k;
}

}  // namespace
}  // namespace zjail_test
