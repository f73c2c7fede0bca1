// What the network tests (root_firewall_test.cpp, root_forward_test.cpp,
// root_network_test.cpp, root_pasta_test.cpp) share: network namespaces of
// the test's own ("zjt-PID-TAG", removed with it), this process entering
// one for a scope, TCP/UDP/ping clients and forked servers, the firewall's
// batches installed, and a tun node an unprivileged pasta can open. No
// packet leaves the namespaces made here.
#pragma once
#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>
// After netinet/in.h, which the kernel's headers then leave alone.
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <thread>

#include "firewall.hpp"
#include "harness.hpp"

namespace zjail_test {

inline constexpr int kWaitMs = 400;  // how long a denied packet is waited for (a veth answers in well under 1 ms)

inline int sh(const std::string& cmd) {
  int s = std::system(cmd.c_str());
  return WIFEXITED(s) ? WEXITSTATUS(s) : 128;
}

inline std::string output_of(const std::string& cmd) {
  std::string out;
  FILE* f = popen(cmd.c_str(), "r");
  if (!f) return out;
  char buf[512];
  while (size_t n = fread(buf, 1, sizeof buf, f)) out.append(buf, n);
  pclose(f);
  return out;
}

// A network namespace of this test's own, removed with it; or, from a
// pid, a jail's, only looked at (name empty, nothing removed).
struct Netns {
  std::string name;
  zjail::UniqueFd fd;
  explicit Netns(pid_t pid) : fd(open(("/proc/" + std::to_string(pid) + "/ns/net").c_str(), O_RDONLY | O_CLOEXEC)) {}
  explicit Netns(const std::string& tag) : name("zjt-" + std::to_string(getpid()) + "-" + tag) {
    sh("ip netns del " + name + " 2>/dev/null");
    if (sh("ip netns add " + name) == 0) fd = zjail::UniqueFd(open(("/run/netns/" + name).c_str(), O_RDONLY | O_CLOEXEC));
    sh("ip -n " + name + " link set lo up");
  }
  ~Netns() {
    if (!name.empty()) sh("ip netns del " + name);
  }
  int ip(const std::string& args) const { return sh("ip -n " + name + " " + args); }
  std::string tables() const { return output_of("ip netns exec " + name + " nft list tables 2>&1"); }
};

// Waits (up to 5 s) until no address in `ns` is tentative: a link whose
// link-local address is still in duplicate address detection loses the
// first IPv6 packets a test sends, filter or no filter.
inline bool ipv6_settled(const Netns& ns) {
  for (int i = 0; i < 100; ++i) {
    if (output_of("ip -n " + ns.name + " -6 addr show tentative").empty()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

// Debian's /dev/net/tun is 0666 and pasta, unprivileged, opens it; some
// hosts (containers) have it 0600. For a process that has unshared its
// mount namespace: a 0666 node of the same device on a tmpfs over `dir`,
// bound over /dev/net/tun, all in that namespace, leaving the host's alone.
// What a forked child wrote to the read end `fd` of its pipe, to EOF; then
// the child is reaped.
inline std::string drain_and_reap(int fd, pid_t pid) {
  std::string out;
  char buf[512];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  close(fd);
  waitpid(pid, nullptr, 0);
  return out;
}

inline bool bind_open_tun(const std::string& dir) {
  std::string node = dir + "/tun";
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) return false;
  if (mount("tmpfs", dir.c_str(), "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755") != 0) return false;
  if (mknod(node.c_str(), S_IFCHR | 0666, makedev(10, 200)) != 0 || chmod(node.c_str(), 0666) != 0) return false;
  return mount(node.c_str(), "/dev/net/tun", nullptr, MS_BIND, nullptr) == 0;
}

// This (single-threaded) process inside `ns` for a scope: sockets made then
// stay there, and children forked then start there.
class Inside {
 public:
  explicit Inside(const Netns& ns) : home_(open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC)) {
    ok_ = home_ && setns(ns.fd.get(), CLONE_NEWNET) == 0;
  }
  ~Inside() { (void)setns(home_.get(), CLONE_NEWNET); }
  bool ok() const { return ok_; }

 private:
  zjail::UniqueFd home_;
  bool ok_ = false;
};

// --- traffic ------------------------------------------------------------------

struct Addr {
  sockaddr_storage ss{};
  socklen_t len = 0;
  int family = 0;
};

inline Addr addr(const std::string& text, int port) {
  Addr a;
  auto* s4 = reinterpret_cast<sockaddr_in*>(&a.ss);
  auto* s6 = reinterpret_cast<sockaddr_in6*>(&a.ss);
  if (inet_pton(AF_INET, text.c_str(), &s4->sin_addr) == 1) {
    s4->sin_family = a.family = AF_INET;
    s4->sin_port = htons(static_cast<uint16_t>(port));
    a.len = sizeof *s4;
  } else if (inet_pton(AF_INET6, text.c_str(), &s6->sin6_addr) == 1) {
    s6->sin6_family = a.family = AF_INET6;
    s6->sin6_port = htons(static_cast<uint16_t>(port));
    a.len = sizeof *s6;
  }
  return a;
}

inline bool readable(int fd, int ms) {
  pollfd p{fd, POLLIN, 0};
  return poll(&p, 1, ms) == 1;
}

// A socket of `dst`'s family and `type`, bound to `src` if given.
inline zjail::UniqueFd client_socket(const Addr& dst, int type, int proto, const std::string& src) {
  zjail::UniqueFd s(socket(dst.family, type | SOCK_CLOEXEC, proto));
  if (s && !src.empty()) {
    Addr a = addr(src, 0);
    if (bind(s.get(), reinterpret_cast<sockaddr*>(&a.ss), a.len) != 0) return zjail::UniqueFd();
  }
  return s;
}

// [::]:port, both families.
inline zjail::UniqueFd server_socket(int type, int port, const std::string& bind_to = "::") {
  Addr a = addr(bind_to, port);
  zjail::UniqueFd s(socket(a.family, type | SOCK_CLOEXEC, 0));
  int zero = 0, one = 1;
  if (a.family == AF_INET6) setsockopt(s.get(), IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
  setsockopt(s.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(s.get(), reinterpret_cast<sockaddr*>(&a.ss), a.len) != 0) return zjail::UniqueFd();
  if (type == SOCK_STREAM && listen(s.get(), 8) != 0) return zjail::UniqueFd();
  return s;
}

// A server forked in the current namespace; its exit status says whether
// it served anyone within `ms`. It is listening when this returns.
struct Server {
  pid_t pid = -1;
  ~Server() {
    if (pid > 0) kill(pid, SIGKILL), waitpid(pid, nullptr, 0);
  }
  bool served() {  // waits for it
    int st = 0;
    if (pid <= 0 || waitpid(pid, &st, 0) != pid) return false;
    pid = -1;
    return WIFEXITED(st) && WEXITSTATUS(st) == 0;
  }
};

// kind: "tcp" (accept, send "hi"), "udp-sink" (receive one datagram),
// "udp-echo" (send each datagram back).
inline std::unique_ptr<Server> serve(const Netns& ns, const std::string& kind, int port, int ms = 3000,
                              const std::string& bind_to = "::") {
  auto srv = std::make_unique<Server>();
  Inside in(ns);
  zjail::UniqueFd s = server_socket(kind == "tcp" ? SOCK_STREAM : SOCK_DGRAM, port, bind_to);
  if (!in.ok() || !s) return srv;
  srv->pid = fork();
  if (srv->pid != 0) return srv;
  if (!readable(s.get(), ms)) _exit(1);
  if (kind == "tcp") {
    int c = accept(s.get(), nullptr, nullptr);
    _exit(c >= 0 && write(c, "hi", 2) == 2 ? 0 : 1);
  }
  char buf[64];
  sockaddr_storage from{};
  socklen_t flen = sizeof from;
  ssize_t n = recvfrom(s.get(), buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &flen);
  if (n > 0 && kind == "udp-echo") sendto(s.get(), buf, static_cast<size_t>(n), 0, reinterpret_cast<sockaddr*>(&from), flen);
  _exit(n > 0 ? 0 : 1);
}

inline bool tcp_connects(const Netns& from, const std::string& dst, int port, const std::string& src = "") {
  Inside in(from);
  Addr a = addr(dst, port);
  zjail::UniqueFd s = client_socket(a, SOCK_STREAM | SOCK_NONBLOCK, 0, src);
  if (!in.ok() || !s) return false;
  if (connect(s.get(), reinterpret_cast<sockaddr*>(&a.ss), a.len) != 0 && errno != EINPROGRESS) return false;
  char buf[2];
  return readable(s.get(), kWaitMs) && read(s.get(), buf, 2) == 2 && memcmp(buf, "hi", 2) == 0;
}

inline void udp_send(const Netns& from, const std::string& dst, int port, const std::string& src = "") {
  Inside in(from);
  Addr a = addr(dst, port);
  zjail::UniqueFd s = client_socket(a, SOCK_DGRAM, 0, src);
  for (int i = 0; i < 3; ++i) sendto(s.get(), "x", 1, 0, reinterpret_cast<sockaddr*>(&a.ss), a.len);
}

// One way: does a datagram from `from` reach a sink in `to`?
inline bool udp_reaches(const Netns& from, const Netns& to, const std::string& dst, int port, const std::string& src = "") {
  auto sink = serve(to, "udp-sink", port, kWaitMs);
  udp_send(from, dst, port, src);
  return sink->served();
}

inline bool udp_answered(const Netns& from, const std::string& dst, int port) {
  Inside in(from);
  Addr a = addr(dst, port);
  zjail::UniqueFd s = client_socket(a, SOCK_DGRAM, 0, "");
  char buf[8];
  return in.ok() && sendto(s.get(), "q", 1, 0, reinterpret_cast<sockaddr*>(&a.ss), a.len) == 1 &&
         readable(s.get(), kWaitMs) && recv(s.get(), buf, sizeof buf, 0) == 1 && buf[0] == 'q';
}

inline uint16_t inet_checksum(const unsigned char* p, size_t n) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < n; i += 2) sum += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
  if (n & 1) sum += static_cast<uint32_t>(p[n - 1] << 8);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return htons(static_cast<uint16_t>(~sum));
}

// An ICMP or ICMPv6 echo through a raw socket: answered or not.
inline bool pings(const Netns& from, const std::string& dst, const std::string& src = "") {
  Inside in(from);
  Addr a = addr(dst, 0);
  bool v6 = a.family == AF_INET6;
  zjail::UniqueFd s = client_socket(a, SOCK_RAW, v6 ? int{IPPROTO_ICMPV6} : int{IPPROTO_ICMP}, src);
  if (!in.ok() || !s) return false;
  const uint16_t id = static_cast<uint16_t>(getpid() ^ 0x5a5a);
  unsigned char req[16] = {static_cast<unsigned char>(v6 ? ICMP6_ECHO_REQUEST : ICMP_ECHO), 0, 0, 0,
                           static_cast<unsigned char>(id >> 8), static_cast<unsigned char>(id), 0, 1};
  if (!v6) {  // ICMPv6's checksum is the kernel's
    uint16_t c = inet_checksum(req, sizeof req);
    memcpy(req + 2, &c, 2);
  }
  if (sendto(s.get(), req, sizeof req, 0, reinterpret_cast<sockaddr*>(&a.ss), a.len) != sizeof req) return false;
  auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(kWaitMs);
  while (std::chrono::steady_clock::now() < until) {
    if (!readable(s.get(), kWaitMs)) return false;
    unsigned char buf[1500];
    ssize_t n = recv(s.get(), buf, sizeof buf, 0);
    size_t off = v6 ? 0 : static_cast<size_t>((buf[0] & 0x0f) * 4);  // IPv4 raw sockets see the IP header
    if (n < static_cast<ssize_t>(off + 8)) continue;
    const unsigned char* icmp = buf + off;
    if (icmp[0] == (v6 ? ICMP6_ECHO_REPLY : ICMP_ECHOREPLY) && (icmp[4] << 8 | icmp[5]) == id) return true;
  }
  return false;
}

// --- nftables -------------------------------------------------------------------

inline zjail::UniqueFd nfnl_socket() {
  zjail::UniqueFd s(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER));
  sockaddr_nl local{};
  local.nl_family = AF_NETLINK;
  if (s && bind(s.get(), reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) return zjail::UniqueFd();
  return s;
}

// A batch deleting `table inet NAME`, built as the firewall builds its own.
inline std::vector<unsigned char> delete_table_batch(const zjail::NetLibs& L, const char* name) {
  std::vector<unsigned char> buf(3 * 4096);
  char* p = reinterpret_cast<char*>(buf.data());
  nlmsghdr* nlh = L.nftnl_batch_begin(p, 1);
  size_t used = NLMSG_ALIGN(nlh->nlmsg_len);
  nftnl_table* t = L.nftnl_table_alloc();
  L.nftnl_table_set_str(t, NFTNL_TABLE_NAME, name);
  nlh = L.nftnl_nlmsg_build_hdr(p + used, (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_DELTABLE, NFPROTO_INET, NLM_F_ACK, 2);
  L.nftnl_table_nlmsg_build_payload(nlh, t);
  L.nftnl_table_free(t);
  used += NLMSG_ALIGN(nlh->nlmsg_len);
  nlh = L.nftnl_batch_end(p + used, 3);
  used += NLMSG_ALIGN(nlh->nlmsg_len);
  buf.resize(used);
  return buf;
}

class NetTest : public RootTest {
 protected:
  bool needs_zjail() const override { return false; }
  void SetUp() override {
    RootTest::SetUp();
    if (IsSkipped()) return;
    if (sh("command -v ip >/dev/null && command -v nft >/dev/null") != 0)
      GTEST_SKIP() << "\n*** firewall test SKIPPED: needs ip(8) and nft(8) to set up and look. ***";
    auto l = zjail::load_net_libs();
    ASSERT_TRUE(l.ok()) << l.error().message();
    libs_ = std::make_unique<zjail::NetLibs>(std::move(l).value());
  }
  const zjail::NetLibs& L() const { return *libs_; }

  // filter_batch sent in `ns` on a fresh socket, which is then closed.
  zjail::Status install(const Netns& ns, const zjail::NetworkFilter& f) {
    auto batch = zjail::filter_batch(L(), f);
    if (!batch) return std::move(batch).error();
    Inside in(ns);
    zjail::UniqueFd s = nfnl_socket();
    if (!in.ok() || !s) return zjail::make_error(zjail::Step::Network, errno, "netfilter socket in " + ns.name);
    return zjail::send_batch(L(), s.get(), *batch);
  }
  // As install, skipping (loudly) where the kernel has no nf_tables at all.
  void install_or_skip(const Netns& ns, const zjail::NetworkFilter& f) {
    auto st = install(ns, f);
    if (!st && (st.error().err == EPROTONOSUPPORT || st.error().err == EOPNOTSUPP || st.error().err == ENOENT))
      GTEST_SKIP() << "\n*** firewall test SKIPPED: this kernel has no nf_tables: " << st.error().message() << " ***";
    ASSERT_TRUE(st.ok()) << st.error().message();
  }

  std::unique_ptr<zjail::NetLibs> libs_;
};

inline zjail::NetworkFilter addresses(const std::vector<std::string>& allow, const std::vector<std::string>& deny) {
  zjail::NetworkFilter f;
  f.allow = zjail::expand_address_words(allow).value();
  f.deny = zjail::expand_address_words(deny).value();
  return f;
}

}  // namespace zjail_test

