// The jail's network through real zjail launches: VirtualEthernet= with
// Address=/HostAddress=, Port= forwards, the filters, NetworkNamespacePath=,
// UserModeNetworking= as an unprivileged user, nothing left after SIGKILL,
// and the refusals. Every test makes its own "host" network namespace
// (netns.hpp's Netns, removed with the test) and starts zjail inside
// it; no packet leaves namespaces the test made.
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <map>
#include <random>
#include <sstream>
#include <tuple>

#include "jail_network.hpp"

namespace zjail_test {
namespace {

// 1. The jailed server answers at Address= over the veth; the jail's default
// route is via HostAddress=.
TEST_F(JailNetwork, VethServerAnswersAtItsAddressAndRoutesViaTheHost) {
  Netns host("veth");
  auto z = start_echo(host, profile("veth", kVeth));
  EXPECT_EQ(echo(host, SOCK_STREAM, "10.77.0.2", kEchoPort), "ping");
  EXPECT_EQ(echo(host, SOCK_DGRAM, "10.77.0.2", kEchoPort), "ping");
  std::string route = output_of("nsenter -t " + std::to_string(init_of(*z)) + " -n ip -4 route show default");
  EXPECT_THAT(route, HasSubstr("default via 10.77.0.1 dev host0")) << route;
  EXPECT_THAT(output_of("ip -n " + host.name + " -br addr"), HasSubstr("10.77.0.1/29"));
}

// 2. Port= in veth mode, TCP and UDP: from the host namespace's own
// non-loopback address, and from a client namespace routed through it.
TEST_F(JailNetwork, PortForwardsTcpAndUdpFromTheHostAndBeyond) {
  Netns host("fwd"), client("fwd-cl");
  ASSERT_EQ(host.ip("link add zh0 type veth peer name zc0 netns " + client.name), 0);
  ASSERT_EQ(host.ip("addr add 192.0.2.1/24 dev zh0") | host.ip("link set zh0 up"), 0);
  ASSERT_EQ(client.ip("addr add 192.0.2.2/24 dev zc0") | client.ip("link set zc0 up") |
                client.ip("route add default via 192.0.2.1"),
            0);
  // Forwarding in the test's host namespace only, for the client's packets.
  ASSERT_EQ(sh("ip netns exec " + host.name + " sysctl -qw net.ipv4.ip_forward=1"), 0);
  auto z = start_echo(host, profile("fwd", std::string(kVeth) + "Port=tcp:8080:7007\nPort=udp:8081:7007\n"));
  EXPECT_EQ(echo(host, SOCK_STREAM, "192.0.2.1", 8080), "ping");
  EXPECT_EQ(echo(host, SOCK_DGRAM, "192.0.2.1", 8081), "ping");
  EXPECT_EQ(echo(client, SOCK_STREAM, "192.0.2.1", 8080), "ping");
  EXPECT_EQ(echo(client, SOCK_DGRAM, "192.0.2.1", 8081), "ping");
  // Only the named ports: the jail's server is not the host's on another.
  EXPECT_NE(echo(client, SOCK_STREAM, "192.0.2.1", 7007), "ping");
}

// 3. IPAddressAllow=/IPAddressDeny= for TCP, UDP and ICMP, both ways: the
// host's 10.77.0.1 is allowed, its 10.77.0.3 (a second address on the same
// link) is not.
TEST_F(JailNetwork, AddressFiltersHoldBothWaysForTcpUdpIcmp) {
  Netns host("filter");
  auto z = start_sleeper(host, profile("filter", std::string(kVeth) + "IPAddressDeny=any\nIPAddressAllow=10.77.0.1\n"));
  pid_t init = init_of(*z);
  ASSERT_GT(init, 0);
  std::string ve = output_of("ip -n " + host.name + " -o link show | grep -o 'zj-[^@:]*' | head -1");
  if (!ve.empty() && ve.back() == '\n') ve.pop_back();
  ASSERT_EQ(host.ip("addr add 10.77.0.3/29 dev " + ve), 0) << ve;
  Netns jail(init);
  // host -> jail
  {
    auto s = serve(jail, "tcp", 9000, 3000);
    EXPECT_TRUE(tcp_connects(host, "10.77.0.2", 9000, "10.77.0.1"));
  }
  {
    auto s = serve(jail, "tcp", 9000, kWaitMs);
    EXPECT_FALSE(tcp_connects(host, "10.77.0.2", 9000, "10.77.0.3"));
  }
  EXPECT_TRUE(udp_reaches(host, jail, "10.77.0.2", 9001, "10.77.0.1"));
  EXPECT_FALSE(udp_reaches(host, jail, "10.77.0.2", 9001, "10.77.0.3"));
  EXPECT_TRUE(pings(host, "10.77.0.2", "10.77.0.1"));
  EXPECT_FALSE(pings(host, "10.77.0.2", "10.77.0.3"));
  // jail -> host
  {
    auto s = serve(host, "tcp", 9002, 3000);
    EXPECT_TRUE(tcp_connects(jail, "10.77.0.1", 9002));
  }
  {
    auto s = serve(host, "tcp", 9002, kWaitMs);
    EXPECT_FALSE(tcp_connects(jail, "10.77.0.3", 9002));
  }
  EXPECT_TRUE(udp_reaches(jail, host, "10.77.0.1", 9003));
  EXPECT_FALSE(udp_reaches(jail, host, "10.77.0.3", 9003));
  EXPECT_TRUE(pings(jail, "10.77.0.1"));
  EXPECT_FALSE(pings(jail, "10.77.0.3"));
}

// RestrictNetworkInterfaces=: an allow list without lo closes the jail's own
// loopback and keeps host0; "~host0" the other way round.
TEST_F(JailNetwork, RestrictNetworkInterfacesClosesWhatItDoesNotName) {
  for (const auto& [list, host0_open] : {std::pair<std::string, bool>{"host0", true}, {"~host0", false}}) {
    Netns host(host0_open ? "ifaces-allow" : "ifaces-deny");  // the last jail's veth may linger a moment
    auto z = start_sleeper(host, profile("ifaces", std::string(kVeth) + "RestrictNetworkInterfaces=" + list + "\n"));
    pid_t init = init_of(*z);
    ASSERT_GT(init, 0);
    Netns jail(init);
    {
      auto s = serve(jail, "tcp", 9010, host0_open ? 3000 : kWaitMs);
      EXPECT_EQ(tcp_connects(host, "10.77.0.2", 9010), host0_open) << list;
    }
    {
      auto s = serve(jail, "tcp", 9011, host0_open ? kWaitMs : 3000);
      EXPECT_EQ(tcp_connects(jail, "127.0.0.1", 9011), !host0_open) << list;
    }
  }
}

// The payload cannot take the filter away, through nft or a netlink request
// of its own; a profile that would hand it CAP_NET_ADMIN is refused.
TEST_F(JailNetwork, ThePayloadCannotDeleteTheFilter) {
  Netns host("nodelete");
  std::string filtered = std::string(kVeth) + "IPAddressDeny=any\nCapabilityBoundingSet=\nSystemCallFilter=\n";
  auto r = run_in(host, profile("nodelete", filtered),
                  {"/bin/sh", "-c", "/usr/sbin/nft delete table inet zjail; echo rc=$?"});
  EXPECT_EQ(r.code, 0) << r.dump();
  EXPECT_THAT(r.out, Not(HasSubstr("rc=0"))) << r.dump();
  EXPECT_THAT(r.err, HasSubstr("Operation not permitted")) << r.dump();
  // The probe sends the raw batch itself; then the table is still there.
  auto z = start_sleeper(host, profile("nodelete", filtered));
  pid_t init = init_of(*z);
  ASSERT_GT(init, 0);
  Netns jail(init);
  pid_t pid = fork();
  if (pid == 0) {  // as the payload is: nobody, no capabilities, in the jail's namespace
    if (setns(jail.fd.get(), CLONE_NEWNET) != 0 || setgroups(0, nullptr) != 0 || setresgid(65534, 65534, 65534) != 0 ||
        setresuid(65534, 65534, 65534) != 0)
      _exit(2);
    zjail::UniqueFd s = nfnl_socket();
    auto batch = delete_table_batch(L(), "zjail");
    if (!s || send(s.get(), batch.data(), batch.size(), 0) < 0) _exit(errno == EPERM ? 0 : 3);
    char buf[4096];
    ssize_t n = recv(s.get(), buf, sizeof buf, 0);
    auto* h = reinterpret_cast<nlmsghdr*>(buf);
    bool eperm = n > 0 && h->nlmsg_type == NLMSG_ERROR && reinterpret_cast<nlmsgerr*>(NLMSG_DATA(h))->error == -EPERM;
    _exit(eperm ? 0 : 4);
  }
  int st = 0;
  waitpid(pid, &st, 0);
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << st;
  EXPECT_THAT(output_of("nsenter -t " + std::to_string(init) + " -n nft list tables"), HasSubstr("table inet zjail"));

  // Picked addresses: the running jail above holds kVeth's.
  auto refused = run_in(host, profile("netadmin", std::string("VirtualEthernet=yes\n") +
                                                      "IPAddressDeny=any\nCapabilityBoundingSet=CAP_NET_ADMIN\n"
                                                      "AmbientCapabilities=CAP_NET_ADMIN\n"),
                        {"/bin/true"});
  EXPECT_EQ(refused.code, kExitFailure) << refused.dump();
  ASSERT_EQ(refused.err_lines().size(), 1u) << refused.dump();
  EXPECT_THAT(refused.err, HasSubstr("CAP_NET_ADMIN")) << refused.dump();
}

// 4. NetworkNamespacePath=: the payload is in that namespace; a missing path
// and a path that is no network namespace are refused.
TEST_F(JailNetwork, NetworkNamespacePathJoinsThatNamespace) {
  Netns host("join"), other("join-other");
  ASSERT_EQ(other.ip("link add zo0 type veth peer name zo1") | other.ip("addr add 198.51.100.7/24 dev zo0"), 0);
  auto r = run_in(host, profile("join", "PrivateNetwork=no\nSystemCallFilter=\nNetworkNamespacePath=/run/netns/" + other.name),
                  {"/usr/sbin/ip", "-br", "addr"});
  EXPECT_EQ(r.code, 0) << r.dump();
  EXPECT_THAT(r.out, HasSubstr("198.51.100.7/24")) << r.dump();
  EXPECT_THAT(r.out, HasSubstr("zo0")) << r.dump();
  // Once the payload runs, zjail holds no fd of the namespace it joined:
  // the jail keeps it alive itself.
  {
    std::string ns_path = "/run/netns/" + other.name;
    struct stat want {};
    ASSERT_EQ(stat(ns_path.c_str(), &want), 0);
    auto z = start_sleeper(host, profile("join", "PrivateNetwork=no\nNetworkNamespacePath=" + ns_path));
    // Looked at for 80 ms at most: a busy host may run the payload before
    // zjail returns from the launch, and a kept fd would last until zjail
    // hands over (100 ms idle) or for the jail's life.
    std::string held, fds = "/proc/" + std::to_string(z->pid()) + "/fd";
    for (int tries = 0; tries < 16; ++tries) {
      held.clear();
      for (const auto& e : std::filesystem::directory_iterator(fds)) {
        struct stat st {};
        if (stat(e.path().c_str(), &st) == 0 && st.st_dev == want.st_dev && st.st_ino == want.st_ino)
          held += e.path().filename().string() + " ";
      }
      if (held.empty()) break;
      usleep(5000);
    }
    EXPECT_EQ(held, "") << "zjail still holds " << ns_path;
    ASSERT_EQ(kill(z->pid(), SIGTERM), 0);
    z->wait();
  }
  for (const auto& [path, says] : {std::pair<std::string, std::string>{"/run/netns/zjt-none", "No such file or directory"},
                                   {"/etc/passwd", "is not a network namespace"}}) {
    auto bad = run_in(host, profile("join", "PrivateNetwork=no\nNetworkNamespacePath=" + path), {"/bin/true"});
    EXPECT_EQ(bad.code, kExitFailure) << bad.dump();
    ASSERT_EQ(bad.err_lines().size(), 1u) << bad.dump();
    EXPECT_THAT(bad.err, HasSubstr("NetworkNamespacePath=" + path)) << bad.dump();
    EXPECT_THAT(bad.err, HasSubstr(says)) << bad.dump();
  }
}

// 5. UserModeNetworking=yes for uid 65534: outbound TCP; the host's
// loopback closed without HostLoopbackPort= and open with it; Port= in.
// Runs in a child with the host namespace's own servers, and (where the test
// user cannot open /dev/net/tun) a 0666 tun node in its own mount namespace.
constexpr const char* kUserClient = R"(import socket,sys
def f(h,p):
  try:
    s=socket.create_connection((h,p),2); return s.recv(16).decode() or "empty"
  except Exception as e: return "error-"+type(e).__name__
print("OUT",f("192.0.2.2",int(sys.argv[2])),flush=True)
print("LOOP",f("127.0.0.1",7101),flush=True)
)";

TEST_F(JailNetwork, UserModeForAnOrdinaryUser) {
  if (sh("command -v pasta >/dev/null") != 0) GTEST_SKIP() << "\n*** SKIPPED: no pasta (Debian's passt) ***";
  Netns host("user");
  ASSERT_EQ(host.ip("link add zh0 type veth peer name zh1") | host.ip("link set zh1 up") |
                host.ip("addr add 192.0.2.1/24 dev zh0") | host.ip("addr add 192.0.2.2/24 dev zh0") |
                host.ip("link set zh0 up") | host.ip("route add default via 192.0.2.254"),
            0);
  bool tun_closed = sh("setpriv --reuid=65534 --regid=65534 --clear-groups sh -c 'exec 3<>/dev/net/tun' 2>/dev/null") != 0;
  std::string client = std::string(kUserClient) + kEcho;
  std::string closed = profile("user-closed", "UserModeNetworking=yes\n");
  std::string open = profile("user-open", "UserModeNetworking=yes\nHostLoopbackPort=7101\nPort=tcp:8090:7007\n");
  std::string tund = dir_ / "tun.d";
  ASSERT_EQ(mkdir(tund.c_str(), 0755), 0);
  int p[2];
  ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
  pid_t pid = fork();
  if (pid == 0) {
    close(p[0]);
    auto say = [&](const std::string& k, const std::string& v) { (void)!write(p[1], (k + "=" + v + "\n").data(), k.size() + v.size() + 2); };
    if (tun_closed && (unshare(CLONE_NEWNS) != 0 || !bind_open_tun(tund))) {
      say("setup", std::string("tun node: ") + strerror(errno));
      _exit(0);
    }
    if (setns(host.fd.get(), CLONE_NEWNET) != 0) _exit(1);
    // One client each; the servers end by themselves (8 s) after the drop.
    auto closed_srv = serve(host, "tcp", 7100, 8000, "192.0.2.2");
    auto open_srv = serve(host, "tcp", 7102, 8000, "192.0.2.2");
    auto lo_srv = serve(host, "tcp", 7101, 8000, "127.0.0.1");
    if (setgroups(0, nullptr) != 0 || setresgid(65534, 65534, 65534) != 0 || setresuid(65534, 65534, 65534) != 0 ||
        prctl(PR_SET_DUMPABLE, 1) != 0)
      _exit(1);
    say("setup", "ok");
    for (const auto& [name, prof, port] : {std::tuple<std::string, std::string, int>{"closed", closed, 7100},
                                           {"open", open, 7102}}) {
      Spawned z({"--profile", prof, "--", "/usr/bin/python3", "-c", client, std::to_string(kEchoPort), std::to_string(port)});
      say(name + "_out", z.wait_line("OUT"));
      say(name + "_loop", z.wait_line("LOOP"));
      if (z.wait_line("READY").empty()) say(name + "_err", z.wait(1000).err.substr(0, 200));
      if (name == "open") say("port", echo_here(SOCK_STREAM, "127.0.0.1", 8090));
    }
    _exit(0);
  }
  close(p[1]);
  std::string text = drain_and_reap(p[0], pid);
  std::map<std::string, std::string> r;
  std::istringstream lines(text);
  for (std::string l; std::getline(lines, l);)
    if (auto eq = l.find('='); eq != std::string::npos) r[l.substr(0, eq)] = l.substr(eq + 1);
  ASSERT_EQ(r["setup"], "ok") << text;
  EXPECT_EQ(r["closed_out"], "OUT hi") << text;
  EXPECT_THAT(r["closed_loop"], HasSubstr("LOOP error")) << text;
  EXPECT_EQ(r["open_out"], "OUT hi") << text;
  EXPECT_EQ(r["open_loop"], "LOOP hi") << text;
  EXPECT_EQ(r["port"], "ping") << text;
  std::cout << "tun node bound for the test: " << (tun_closed ? "yes" : "no") << "\n";
}

// 5b. A jail restarted at once with the same Address= and HostAddress=: the
// ended jail's link is gone when zjail exits (zjail deletes its host side
// when it reaps the init; the kernel would dismantle it later, from a work
// queue, and the next launch met EADDRINUSE).
TEST_F(JailNetwork, ARestartAtOnceFindsTheAddressesFree) {
  Netns host("restart");
  std::string prof = profile("restart", std::string(kVeth) + "Address=fd77::2/64\nHostAddress=fd77::1/64\n");
  for (int i = 0; i < 20; ++i) {
    auto r = run_in(host, prof, {"/bin/true"});
    ASSERT_EQ(r.code, 0) << "launch " << i << ": " << r.dump();
    EXPECT_EQ(output_of("ip -n " + host.name + " -o link | grep zj- || true"), "") << "after launch " << i;
  }
}

// 6. 200 launches SIGKILLed at random points, veth with and without Port=
// and user mode mixed: nothing stays in the host's namespace (no link, no
// table) or /run/zjail.
TEST_F(JailNetwork, NothingLeftAfterSigkilledLaunches) {
  Netns host("cycles");
  ASSERT_EQ(host.ip("link add zh0 type veth peer name zh1") | host.ip("link set zh1 up") |
                host.ip("addr add 192.0.2.1/24 dev zh0") | host.ip("link set zh0 up") |
                host.ip("route add default via 192.0.2.254"),
            0);
  bool pasta = sh("command -v pasta >/dev/null") == 0;
  // Every veth jail has a table in the host's namespace, Port= or not.
  std::string veth = profile("cyc-veth", "VirtualEthernet=yes\nPort=tcp:8080:7007\nPort=udp:8081:7007\n");
  std::string plain = profile("cyc-plain", "VirtualEthernet=yes\n");
  std::string user = profile("cyc-user", "UserModeNetworking=yes\nPort=tcp:8090:7007\n");
  auto pastas = [] { return output_of("pgrep -c -x pasta"); };
  std::string pastas_before = pastas();
  std::string run_before = output_of("ls /run/zjail");
  std::mt19937 rng(std::random_device{}());
  const int cycles = 200;
  int ran = 0;
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < cycles; ++i) {
    const std::string& prof = pasta && i % 2 ? user : (i / 2) % 2 ? plain : veth;
    auto z = start(host, prof, {"/usr/bin/sleep", "60"});
    std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 60));
    kill(z->pid(), SIGKILL);
    auto r = z->wait(5000);
    if (r.code == 128 + SIGKILL) ++ran;
  }
  auto took = std::chrono::steady_clock::now() - t0;
  // A namespace's links go with it a moment after its last process, and a
  // SIGKILLed zjail's pasta gets its death signal a moment after zjail dies.
  std::string links, left;
  auto t1 = std::chrono::steady_clock::now();
  for (int i = 0; i < 100; ++i) {
    links = output_of("ip -n " + host.name + " -o link | grep zj- || true");
    left = pastas();
    if (links.empty() && left == pastas_before) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  auto settled = std::chrono::steady_clock::now() - t1;
  EXPECT_EQ(links, "");
  EXPECT_EQ(host.tables(), "");
  EXPECT_EQ(left, pastas_before);
  EXPECT_EQ(output_of("ls /run/zjail"), run_before);
  std::cout << cycles << " cycles (" << ran << " killed by SIGKILL) took "
            << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms, settled in "
            << std::chrono::duration_cast<std::chrono::milliseconds>(settled).count() << " ms\n";
}

// 7. Refusals: exit 125, one line naming the directive and value.
TEST_F(JailNetwork, RefusalsNameTheDirective) {
  Netns host("refuse");
  ASSERT_EQ(host.ip("link add zu0 type veth peer name zu1") | host.ip("addr add 10.88.0.1/24 dev zu0") |
                host.ip("link set zu0 up"),
            0);
  struct Case {
    std::string body, says;
  } cases[] = {
      {"VirtualEthernet=yes\nAddress=10.1.2.300/30", "'10.1.2.300/30' for Address="},
      {"Address=10.1.2.2/30", "Address= is the jail's side of VirtualEthernet=yes, which is not set"},
      {"VirtualEthernet=yes\nAddress=10.1.2.2/30\nHostAddress=10.9.2.1/30", "are not on one subnet"},
      {"VirtualEthernet=yes\nAddress=10.88.0.2/24\nHostAddress=10.88.0.1/24",
       "HostAddress=10.88.0.1/24 clashes with the host's 10.88.0.0/24 (a route or address, perhaps another jail's): Address already in use"},
  };
  for (const auto& c : cases) {
    auto r = run_in(host, profile("refuse", c.body), {"/bin/true"});
    EXPECT_EQ(r.code, kExitFailure) << c.body << r.dump();
    EXPECT_EQ(r.err_lines().size(), 1u) << r.dump();
    EXPECT_THAT(r.err, HasSubstr(c.says)) << r.dump();
  }
  EXPECT_THAT(output_of("ip -n " + host.name + " -o link"), Not(HasSubstr("zj-")));

  // No pasta: a child's own mount namespace hides it under an empty file.
  std::string found = output_of("for d in /usr/bin /usr/sbin /bin /sbin; do [ -e $d/pasta ] && echo $d/pasta; done");
  std::string user = profile("refuse-user", "UserModeNetworking=yes");
  dir_.write("empty", "");
  int p[2];
  ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
  pid_t pid = fork();
  if (pid == 0) {
    close(p[0]);
    if (unshare(CLONE_NEWNS) != 0 || mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) _exit(1);
    std::istringstream paths(found);
    for (std::string path; std::getline(paths, path);)
      if (mount((dir_ / "empty").c_str(), path.c_str(), nullptr, MS_BIND, nullptr) != 0) _exit(1);
    auto r = run_in(host, user, {"/bin/true"});
    std::string text = std::to_string(r.code) + " " + std::to_string(r.err_lines().size()) + " " + r.err;
    (void)!write(p[1], text.data(), text.size());
    _exit(0);
  }
  close(p[1]);
  std::string got;
  char buf[512];
  for (ssize_t n; (n = read(p[0], buf, sizeof buf)) > 0;) got.append(buf, static_cast<size_t>(n));
  close(p[0]);
  waitpid(pid, nullptr, 0);
  EXPECT_THAT(got, ::testing::StartsWith("125 1 ")) << got;
  EXPECT_THAT(got, HasSubstr("UserModeNetworking= needs pasta, not found")) << got;

  // VirtualEthernet= as an ordinary user.
  std::string prof = profile("refuse", "VirtualEthernet=yes");
  auto r = run_command({"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", kZjail, "--profile",
                        prof, "--", "/bin/true"});
  EXPECT_EQ(r.code, kExitFailure) << r.dump();
  EXPECT_EQ(r.err_lines().size(), 1u) << r.dump();
  EXPECT_THAT(r.err, HasSubstr("VirtualEthernet=")) << r.dump();
}

}  // namespace
}  // namespace zjail_test
