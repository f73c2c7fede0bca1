// What the veth and network tests (root_network_test.cpp,
// root_veth_test.cpp) share: a jailed TCP/UDP echo server and its client,
// and the JailNetwork fixture that starts zjail inside a "host" network
// namespace of the test's own (netns.hpp).
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "netns.hpp"

namespace zjail_test {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr int kEchoPort = 7007;

// The jailed server: TCP and UDP echo on [::]:PORT, "READY" once bound.
constexpr const char* kEcho = R"(import socket,sys,threading
p=int(sys.argv[1])
def sock(t):
  s=socket.socket(socket.AF_INET6,t)
  s.setsockopt(socket.IPPROTO_IPV6,socket.IPV6_V6ONLY,0)
  s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)
  s.bind(("::",p))
  return s
t=sock(socket.SOCK_STREAM); t.listen(16); u=sock(socket.SOCK_DGRAM)
def udp():
  while True:
    d,a=u.recvfrom(512); u.sendto(d,a)
threading.Thread(target=udp,daemon=True).start()
print("READY",flush=True)
while True:
  c,a=t.accept(); c.sendall(c.recv(512)); c.close()
)";

// What a TCP (or UDP) echo at dst:port sends back for "ping", from this
// process's namespace.
inline std::string echo_here(int type, const std::string& dst, int port, const std::string& src = "") {
  Addr a = addr(dst, port);
  zjail::UniqueFd s = client_socket(a, type | SOCK_NONBLOCK, 0, src);
  if (!s) return "error: socket";
  for (int i = 0; i < 3; ++i) {  // a datagram may go before neighbour resolution settles
    if (type == SOCK_STREAM) {
      if (connect(s.get(), reinterpret_cast<sockaddr*>(&a.ss), a.len) != 0 && errno != EINPROGRESS) return "error: connect";
      pollfd p{s.get(), POLLOUT, 0};
      if (poll(&p, 1, 2000) != 1 || send(s.get(), "ping", 4, MSG_NOSIGNAL) != 4) return "error: no connection";
    } else if (sendto(s.get(), "ping", 4, 0, reinterpret_cast<sockaddr*>(&a.ss), a.len) != 4) {
      return "error: sendto";
    }
    char buf[16];
    if (readable(s.get(), type == SOCK_STREAM ? 2000 : kWaitMs)) {
      ssize_t n = recv(s.get(), buf, sizeof buf, 0);
      return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "error: recv";
    }
    if (type == SOCK_STREAM) break;
  }
  return "error: no answer";
}

// As echo_here, from `ns`.
inline std::string echo(const Netns& ns, int type, const std::string& dst, int port, const std::string& src = "") {
  Inside in(ns);
  return in.ok() ? echo_here(type, dst, port, src) : "error: setns";
}

class JailNetwork : public NetTest {
 protected:
  void SetUp() override {
    NetTest::SetUp();
    if (IsSkipped()) return;
    if (!exists("/usr/bin/python3")) GTEST_SKIP() << "\n*** network test SKIPPED: the jailed echo server needs /usr/bin/python3 ***";
  }
  // A profile "NAME.profile" in dir_: base-service plus `body`.
  std::string profile(const std::string& name, const std::string& body) {
    dir_.write(name + ".profile", "[Jail]\nInclude=base-service\n" + body + "\n");
    return dir_ / (name + ".profile");
  }
  // zjail --profile P -- ARGS in `ns`, running on.
  std::unique_ptr<Spawned> start(const Netns& ns, const std::string& prof, const std::vector<std::string>& payload) {
    Inside in(ns);
    std::vector<std::string> args{"--profile", prof, "--"};
    args.insert(args.end(), payload.begin(), payload.end());
    return std::make_unique<Spawned>(args);
  }
  std::unique_ptr<Spawned> start_echo(const Netns& ns, const std::string& prof) {
    auto z = start(ns, prof, {"/usr/bin/python3", "-c", kEcho, std::to_string(kEchoPort)});
    EXPECT_NE(z->wait_line("READY"), "") << z->wait(1000).dump();
    return z;
  }
  RunResult run_in(const Netns& ns, const std::string& prof, const std::vector<std::string>& payload) {
    Inside in(ns);
    std::vector<std::string> args{"--profile", prof, "--"};
    args.insert(args.end(), payload.begin(), payload.end());
    return run(args);
  }
  // A payload that says READY and sleeps: once it runs, the network is whole.
  std::unique_ptr<Spawned> start_sleeper(const Netns& ns, const std::string& prof) {
    auto z = start(ns, prof, {"/bin/sh", "-c", "echo READY; exec /usr/bin/sleep 60"});
    EXPECT_NE(z->wait_line("READY"), "") << z->wait(1000).dump();
    return z;
  }
  // The jail's init, whose namespace holds the jail's network.
  static pid_t init_of(const Spawned& z) {
    auto c = children_of(z.pid());
    return c.empty() ? -1 : c.front();
  }
  TempDir dir_;
};

constexpr const char* kVeth = "VirtualEthernet=yes\nAddress=10.77.0.2/29\nHostAddress=10.77.0.1/29\n";

}  // namespace zjail_test
