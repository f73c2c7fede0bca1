// Port= in veth mode as the firewall (jail/src/firewall.hpp) builds it: an
// nftables table in "the host" namespace, owned by the netlink socket that
// made it, DNATing the host's port to "the jail" behind a veth pair; reached
// from "outside" (a third namespace) and from the host namespace's own
// addresses, never from its loopback; seen by the jail's own filter with
// the real client's address; and gone the moment its socket is
// closed or its process SIGKILLed.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "netns.hpp"

namespace zjail_test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kTable = "zjail-fwtest";

class Forward : public NetTest {
 protected:
  void SetUp() override {
    NetTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    host_ = std::make_unique<Netns>("host");
    jail_ = std::make_unique<Netns>("jail");
    out_ = std::make_unique<Netns>("out");
    ASSERT_TRUE(host_->fd && jail_->fd && out_->fd) << "ip netns add failed";
    const std::string h = host_->name, j = jail_->name, o = out_->name;
    for (std::string cmd : {
             "ip -n " + h + " link add ve-test type veth peer name host0 netns " + j,
             "ip -n " + h + " link add ho type veth peer name eth0 netns " + o,
             "ip -n " + h + " addr add 10.93.0.1/30 dev ve-test",
             "ip -n " + h + " addr add fd93::1/64 dev ve-test nodad",
             "ip -n " + h + " addr add 10.94.0.1/24 dev ho",
             "ip -n " + h + " addr add fd94::1/64 dev ho nodad",
             "ip -n " + j + " addr add 10.93.0.2/30 dev host0",
             "ip -n " + j + " addr add fd93::2/64 dev host0 nodad",
             "ip -n " + o + " addr add 10.94.0.2/24 dev eth0",
             "ip -n " + o + " addr add fd94::2/64 dev eth0 nodad",
             "ip -n " + h + " link set ve-test up", "ip -n " + h + " link set ho up",
             "ip -n " + j + " link set host0 up", "ip -n " + o + " link set eth0 up",
             "ip -n " + j + " route add default via 10.93.0.1",
             "ip -n " + j + " -6 route add default via fd93::1",
             "ip netns exec " + h + " sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1"})
      ASSERT_EQ(sh(cmd), 0) << cmd;
    ASSERT_TRUE(ipv6_settled(*host_) && ipv6_settled(*jail_) && ipv6_settled(*out_));
  }

  std::vector<unsigned char> batch() {
    static const zjail::IpPrefix j4 = zjail::parse_ip_prefix("10.93.0.2").value();
    static const zjail::IpPrefix j6 = zjail::parse_ip_prefix("fd93::2").value();
    std::vector<zjail::PortForward> fw = {{IPPROTO_TCP, 8080, 80, "Port=8080:80"},
                                          {IPPROTO_UDP, 5353, 53, "Port=udp:5353:53"}};
    auto b = zjail::forward_batch(L(), kTable, fw, &j4, &j6);
    EXPECT_TRUE(b.ok()) << b.error().message();
    return b ? *b : std::vector<unsigned char>{};
  }

  // The forwards installed in the host namespace; the socket keeps them.
  zjail::UniqueFd install_forwards() {
    Inside in(*host_);
    zjail::UniqueFd s = nfnl_socket();
    if (!in.ok() || !s) {
      ADD_FAILURE() << "no netfilter socket in " << host_->name << ": " << strerror(errno);
      return s;
    }
    auto st = zjail::send_batch(L(), s.get(), batch());
    if (!st && (st.error().err == EPROTONOSUPPORT || st.error().err == EOPNOTSUPP))
      skip_ = "this kernel lacks nf_tables' inet nat: " + st.error().message();
    else if (!st)
      ADD_FAILURE() << st.error().message();
    return s;
  }

  // `nft list tables` in the host namespace, waiting up to a second for the
  // table to be `there` or not.
  bool table_there(bool there) {
    for (int i = 0; i < 20; ++i) {
      bool now = host_->tables().find(std::string("table inet ") + kTable) != std::string::npos;
      if (now == there) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  bool tcp_to_jail(const Netns& from, const std::string& dst) {
    auto s = serve(*jail_, "tcp", 80);
    return tcp_connects(from, dst, 8080) && s->served();
  }

  std::unique_ptr<Netns> host_, jail_, out_;
  std::string skip_;
};

TEST_F(Forward, HostPortReachesTheJail) {
  EXPECT_FALSE(tcp_to_jail(*out_, "10.94.0.1")) << "nothing forwards before the table";
  zjail::UniqueFd keep = install_forwards();
  if (!skip_.empty()) GTEST_SKIP() << "\n*** forward test SKIPPED: " << skip_ << " ***";
  ASSERT_TRUE(table_there(true)) << host_->tables();

  // From outside, to the host's address on the outside link.
  EXPECT_TRUE(tcp_to_jail(*out_, "10.94.0.1"));
  EXPECT_TRUE(tcp_to_jail(*out_, "fd94::1"));
  for (const char* dst : {"10.94.0.1", "fd94::1"}) {
    auto echo = serve(*jail_, "udp-echo", 53);
    EXPECT_TRUE(udp_answered(*out_, dst, 5353)) << "UDP to " << dst;
  }
  // Only the forwarded port.
  {
    auto s = serve(*jail_, "tcp", 8081);
    EXPECT_FALSE(tcp_connects(*out_, "10.94.0.1", 8081));
  }
  // From the host namespace itself, to any of its own addresses (the output
  // chain)...
  for (const char* dst : {"10.94.0.1", "10.93.0.1", "fd94::1", "fd93::1"})
    EXPECT_TRUE(tcp_to_jail(*host_, dst)) << dst;
  // ...but not to its loopback, which stays the host's: nothing listens
  // there, and when something does it gets the connection, not the jail.
  for (const char* lo : {"127.0.0.1", "::1"}) {
    auto s = serve(*jail_, "tcp", 80, kWaitMs);
    EXPECT_FALSE(tcp_connects(*host_, lo, 8080)) << lo;
    EXPECT_FALSE(s->served()) << "the jail was reached through " << lo;
    auto on_host = serve(*host_, "tcp", 8080, 3000, lo);
    EXPECT_TRUE(tcp_connects(*host_, lo, 8080)) << lo;
    EXPECT_TRUE(on_host->served());
  }
}

// A forwarded connection keeps its client's address (no masquerade), so the
// jail's own IPAddressDeny= sees who is really calling.
TEST_F(Forward, TheJailsFilterSeesTheRealClient) {
  zjail::UniqueFd keep = install_forwards();
  if (!skip_.empty()) GTEST_SKIP() << "\n*** forward test SKIPPED: " << skip_ << " ***";
  zjail::NetworkFilter f;
  f.deny = zjail::expand_address_words({"10.94.0.2", "fd94::2"}).value();
  auto batch = zjail::filter_batch(L(), f);
  ASSERT_TRUE(batch.ok());
  {
    Inside in(*jail_);
    zjail::UniqueFd s = nfnl_socket();
    auto st = zjail::send_batch(L(), s.get(), *batch);
    ASSERT_TRUE(st.ok()) << st.error().message();
  }
  EXPECT_FALSE(tcp_to_jail(*out_, "10.94.0.1"));
  EXPECT_FALSE(tcp_to_jail(*out_, "fd94::1"));
  EXPECT_TRUE(tcp_to_jail(*host_, "10.94.0.1")) << "the host's own address is not denied";
  EXPECT_TRUE(tcp_to_jail(*host_, "fd94::1"));
}

TEST_F(Forward, OwnedTableGoesWithItsSocket) {
  zjail::UniqueFd keep = install_forwards();
  if (!skip_.empty()) GTEST_SKIP() << "\n*** forward test SKIPPED: " << skip_ << " ***";
  ASSERT_TRUE(table_there(true)) << host_->tables();
  EXPECT_TRUE(tcp_to_jail(*out_, "10.94.0.1"));
  // Owned: no other socket may touch it, even root's.
  {
    Inside in(*host_);
    zjail::UniqueFd other = nfnl_socket();
    auto st = zjail::send_batch(L(), other.get(), delete_table_batch(L(), kTable));
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().err, EPERM) << st.error().message();
  }
  EXPECT_TRUE(table_there(true));
  keep.reset();
  EXPECT_TRUE(table_there(false)) << host_->tables();
  EXPECT_FALSE(tcp_to_jail(*out_, "10.94.0.1"));
}

TEST_F(Forward, OwnedTableGoesWithASigkilledOwner) {
  const auto b = batch();
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  pid_t pid;
  {
    Inside in(*host_);  // the child stays in the host namespace
    ASSERT_TRUE(in.ok());
    pid = fork();
    if (pid == 0) {
      close(ready[0]);
      zjail::UniqueFd s = nfnl_socket();
      auto st = zjail::send_batch(L(), s.get(), b);
      std::string what = st ? "ok" : st.error().message();
      (void)!write(ready[1], what.data(), what.size());
      close(ready[1]);
      for (;;) pause();
    }
  }
  close(ready[1]);
  char buf[256] = {};
  ssize_t n = read(ready[0], buf, sizeof buf - 1);
  close(ready[0]);
  ASSERT_GT(n, 0);
  ASSERT_STREQ(buf, "ok");
  EXPECT_TRUE(table_there(true)) << host_->tables();
  EXPECT_TRUE(tcp_to_jail(*out_, "10.94.0.1"));
  kill(pid, SIGKILL);
  int st = 0;
  ASSERT_EQ(waitpid(pid, &st, 0), pid);
  EXPECT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
  EXPECT_TRUE(table_there(false)) << host_->tables();
  EXPECT_THAT(host_->tables(), Not(HasSubstr(kTable)));
  EXPECT_FALSE(tcp_to_jail(*out_, "10.94.0.1"));
}

}  // namespace
}  // namespace zjail_test
