// IPAddressAllow=/IPAddressDeny=/RestrictNetworkInterfaces= as the firewall
// (jail/src/firewall.hpp) installs them in "the jail", a namespace joined to
// "the peer" by two veth pairs (j0-p0, j1-p1): TCP with either side the
// client, UDP one way in each direction and ping each way, allowed or
// denied by the remote address as systemd's semantics say; the interface
// lists; and the payload, without CAP_NET_ADMIN, unable to remove any of it.
#include <grp.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include "netns.hpp"

namespace zjail_test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class Filter : public NetTest {
 protected:
  void SetUp() override {
    NetTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    jail_ = std::make_unique<Netns>("jail");
    peer_ = std::make_unique<Netns>("peer");
    ASSERT_TRUE(jail_->fd && peer_->fd) << "ip netns add failed";
    const std::string j = jail_->name, p = peer_->name;
    for (std::string cmd : {
             "ip -n " + j + " link add j0 type veth peer name p0 netns " + p,
             "ip -n " + j + " link add j1 type veth peer name p1 netns " + p,
             "ip -n " + j + " addr add 10.91.0.2/24 dev j0",
             "ip -n " + j + " addr add fd91::2/64 dev j0 nodad",
             "ip -n " + j + " addr add 10.92.0.2/24 dev j1",
             "ip -n " + j + " addr add fd92::2/64 dev j1 nodad",
             "ip -n " + p + " addr add 10.91.0.1/24 dev p0",
             "ip -n " + p + " addr add 10.91.0.3/24 dev p0",
             "ip -n " + p + " addr add fd91::1/64 dev p0 nodad",
             "ip -n " + p + " addr add fd91::3/64 dev p0 nodad",
             "ip -n " + p + " addr add 10.92.0.1/24 dev p1",
             "ip -n " + p + " addr add fd92::1/64 dev p1 nodad",
             "ip -n " + j + " link set j0 up", "ip -n " + j + " link set j1 up",
             "ip -n " + p + " link set p0 up", "ip -n " + p + " link set p1 up"})
      ASSERT_EQ(sh(cmd), 0) << cmd;
    ASSERT_TRUE(ipv6_settled(*jail_) && ipv6_settled(*peer_));
  }

  // Between the jail's `jail_addr` and the peer's `peer_addr`: TCP with each
  // side the client, UDP one way each way, ping each way; all `open` or all
  // not.
  void expect_between(const std::string& jail_addr, const std::string& peer_addr, bool open) {
    SCOPED_TRACE("jail " + jail_addr + " <-> peer " + peer_addr + (open ? ": open" : ": closed"));
    {
      auto s = serve(*jail_, "tcp", 7001);
      EXPECT_EQ(tcp_connects(*peer_, jail_addr, 7001, peer_addr), open) << "TCP, the peer connecting";
    }
    {
      auto s = serve(*peer_, "tcp", 7002);
      EXPECT_EQ(tcp_connects(*jail_, peer_addr, 7002), open) << "TCP, the jail connecting";
    }
    EXPECT_EQ(udp_reaches(*peer_, *jail_, jail_addr, 7003, peer_addr), open) << "UDP into the jail";
    EXPECT_EQ(udp_reaches(*jail_, *peer_, peer_addr, 7004), open) << "UDP out of the jail";
    EXPECT_EQ(pings(*peer_, jail_addr, peer_addr), open) << "ping from the peer";
    EXPECT_EQ(pings(*jail_, peer_addr), open) << "ping from the jail";
  }
  // TCP to the jail's own loopback, from inside.
  bool loopback_open(const std::string& lo) {
    auto s = serve(*jail_, "tcp", 7005);
    return tcp_connects(*jail_, lo, 7005);
  }

  std::unique_ptr<Netns> jail_, peer_;
};

TEST_F(Filter, AllowWinsOverDenyAny) {
  // Unfiltered first: the setup itself carries everything.
  expect_between("10.91.0.2", "10.91.0.3", true);
  expect_between("fd91::2", "fd91::3", true);

  install_or_skip(*jail_, addresses({"10.91.0.1", "fd91::1"}, {"any"}));
  expect_between("10.91.0.2", "10.91.0.1", true);
  expect_between("fd91::2", "fd91::1", true);
  expect_between("10.91.0.2", "10.91.0.3", false);
  expect_between("fd91::2", "fd91::3", false);
  // "any" is every address, the jail's own loopback too (as under systemd).
  EXPECT_FALSE(loopback_open("127.0.0.1"));
  EXPECT_FALSE(loopback_open("::1"));
}

TEST_F(Filter, MatchingNeitherListIsAllowed) {
  install_or_skip(*jail_, addresses({}, {"10.91.0.3/32", "fd91::3"}));
  expect_between("10.91.0.2", "10.91.0.1", true);
  expect_between("fd91::2", "fd91::1", true);
  expect_between("10.91.0.2", "10.91.0.3", false);
  expect_between("fd91::2", "fd91::3", false);
  EXPECT_TRUE(loopback_open("127.0.0.1"));
  EXPECT_TRUE(loopback_open("::1"));
}

TEST_F(Filter, AllowWinsOverAMoreSpecificDeny) {
  // systemd: an address in the allow list is allowed, whatever the deny
  // list says, however specific.
  install_or_skip(*jail_, addresses({"10.91.0.0/24", "fd91::/64", "localhost"},
                                    {"10.91.0.3/32", "fd91::3/128", "10.92.0.0/16", "fd92::/16"}));
  expect_between("10.91.0.2", "10.91.0.3", true);
  expect_between("fd91::2", "fd91::3", true);
  expect_between("10.92.0.2", "10.92.0.1", false);
  expect_between("fd92::2", "fd92::1", false);
  EXPECT_TRUE(loopback_open("127.0.0.1"));
}

TEST_F(Filter, InterfaceAllowListClosesTheRest) {
  zjail::NetworkFilter f;
  f.interfaces_set = true;
  f.interfaces = {"j0"};
  install_or_skip(*jail_, f);
  expect_between("10.91.0.2", "10.91.0.1", true);
  expect_between("fd91::2", "fd91::1", true);
  expect_between("10.92.0.2", "10.92.0.1", false);
  expect_between("fd92::2", "fd92::1", false);
  EXPECT_FALSE(loopback_open("127.0.0.1")) << "lo is an interface too, and not in the list";
}

TEST_F(Filter, InterfaceDenyListClosesOnlyThose) {
  zjail::NetworkFilter f;
  f.interfaces_set = true;
  f.interfaces_invert = true;
  f.interfaces = {"j1"};
  install_or_skip(*jail_, f);
  expect_between("10.91.0.2", "10.91.0.1", true);
  expect_between("10.92.0.2", "10.92.0.1", false);
  expect_between("fd92::2", "fd92::1", false);
  EXPECT_TRUE(loopback_open("127.0.0.1"));
}

TEST_F(Filter, AnAllowedAddressDoesNotReopenAClosedInterface) {
  zjail::NetworkFilter f = addresses({"10.91.0.1", "10.92.0.1"}, {"any"});
  f.interfaces_set = true;
  f.interfaces = {"j1"};
  install_or_skip(*jail_, f);
  expect_between("10.91.0.2", "10.91.0.1", false);  // allowed address, closed interface
  expect_between("10.92.0.2", "10.92.0.1", true);
  expect_between("fd92::2", "fd92::1", false);      // open interface, denied address
}

TEST_F(Filter, ASecondTableIsRefusedByName) {
  install_or_skip(*jail_, zjail::NetworkFilter{});
  auto again = install(*jail_, zjail::NetworkFilter{});
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().err, EEXIST);
  EXPECT_THAT(again.error().message(), HasSubstr("table inet zjail"));
}

// The kernel's refusal names the message it refused: here the first rule of
// a chain the batch (cut short on purpose) never created.
TEST_F(Filter, ARefusedRuleIsNamed) {
  install_or_skip(*jail_, zjail::NetworkFilter{});
  sh("ip netns exec " + jail_->name + " nft delete table inet zjail");
  zjail::NetworkFilter f;
  f.interfaces_set = true;
  f.interfaces = {"lo"};
  auto batch = zjail::filter_batch(L(), f);
  ASSERT_TRUE(batch.ok());
  std::vector<unsigned char> cut;
  for (size_t off = 0; off + sizeof(nlmsghdr) <= batch->size();) {
    nlmsghdr h;
    memcpy(&h, batch->data() + off, sizeof h);
    size_t len = NLMSG_ALIGN(h.nlmsg_len);
    std::string body(reinterpret_cast<const char*>(batch->data()) + off, len);
    bool output_chain = (h.nlmsg_type & 0xff) == NFT_MSG_NEWCHAIN && body.find(std::string("output\0", 7)) != std::string::npos;
    if (!output_chain) cut.insert(cut.end(), batch->begin() + static_cast<long>(off), batch->begin() + static_cast<long>(off + len));
    off += len;
  }
  ASSERT_LT(cut.size(), batch->size());
  Inside in(*jail_);
  zjail::UniqueFd s = nfnl_socket();
  auto st = zjail::send_batch(L(), s.get(), cut);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().err, ENOENT);
  EXPECT_THAT(st.error().message(), HasSubstr("rule 1 of chain output in table inet zjail refused"));
  EXPECT_THAT(jail_->tables(), Not(HasSubstr("zjail"))) << "a refused batch leaves nothing";
}

// What the payload can do about it: nothing, lacking CAP_NET_ADMIN over the
// jail's namespace, whether it runs as nobody or as root of a user
// namespace of its own.
TEST_F(Filter, ThePayloadCannotDeleteTheTable) {
  install_or_skip(*jail_, addresses({}, {"10.91.0.3"}));
  const auto batch = delete_table_batch(L(), zjail::kFilterTable);
  for (bool own_userns : {false, true}) {
    SCOPED_TRACE(own_userns ? "root of its own user namespace" : "nobody");
    int report[2];
    ASSERT_EQ(pipe(report), 0);
    pid_t pid;
    {
      Inside in(*jail_);  // the child stays in the jail's namespace
      ASSERT_TRUE(in.ok());
      pid = fork();
      if (pid == 0) {
        close(report[0]);
        bool dropped = own_userns ? unshare(CLONE_NEWUSER) == 0
                                  : setgroups(0, nullptr) == 0 && setgid(nobody_uid()) == 0 &&
                                        setuid(nobody_uid()) == 0;
        zjail::UniqueFd s = nfnl_socket();
        std::string what = !dropped ? "dropping privileges failed" : !s ? "no netfilter socket" : "";
        if (what.empty()) {
          auto st = zjail::send_batch(L(), s.get(), batch);
          what = st ? "deleted" : st.error().message();
        }
        (void)!write(report[1], what.data(), what.size());
        _exit(0);
      }
    }
    close(report[1]);
    std::string what;
    char buf[256];
    for (ssize_t n; (n = read(report[0], buf, sizeof buf)) > 0;) what.append(buf, static_cast<size_t>(n));
    close(report[0]);
    waitpid(pid, nullptr, 0);
    EXPECT_THAT(what, HasSubstr(strerror(EPERM)));
    EXPECT_THAT(jail_->tables(), HasSubstr("table inet zjail"));
  }
  expect_between("10.91.0.2", "10.91.0.3", false);
}

}  // namespace
}  // namespace zjail_test
