// network_plan.cpp and ip_prefix.cpp: the network a profile asks for, the
// contradictions it is refused for, and --show's account of it. No
// privileges needed: nothing is built.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"  // GCC 12, std::optional members (see plan_test.cpp)

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>

#include "../../jail/src/plan_internal.hpp"
#include "zjail/network.hpp"
#include "zjail/network_setup.hpp"
#include "zjail/parser.hpp"
#include "zjail/plan.hpp"

namespace zjail {
namespace {

using ::testing::HasSubstr;

Profile profile_of(std::initializer_list<std::pair<const char*, const char*>> lines) {
  Profile p;
  int line = 0;
  for (const auto& [key, value] : lines) {
    auto st = apply_directive(p, key, value, Origin{"n.profile", ++line});
    EXPECT_TRUE(st) << key << "=" << value << ": " << st.error().message();
  }
  return p;
}

Result<Plan> plan_of(const Profile& p) {
  PlanContext c;
  c.cwd = "/";
  return build_plan(p, {"/bin/true"}, c);
}

std::string plan_error(std::initializer_list<std::pair<const char*, const char*>> lines) {
  auto plan = plan_of(profile_of(lines));
  return plan ? "" : plan.error().message();
}

TEST(IpPrefix, ParsesAndWritesBothFamilies) {
  auto a = parse_ip_prefix("10.5.0.2/30");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->family, AF_INET);
  EXPECT_EQ(a->len, 30);
  EXPECT_EQ(format_ip_prefix(*a), "10.5.0.2/30");
  auto b = parse_ip_prefix("fd00:5::2");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->len, 128);
  EXPECT_EQ(format_ip_prefix(*b, false), "fd00:5::2");
  for (const char* bad : {"10.5.0.2/33", "10.5.0/24", "fd00::/129", "x", "10.0.0.1/", "10.0.0.1/-1", ""})
    EXPECT_FALSE(parse_ip_prefix(bad)) << bad;
}

TEST(IpPrefix, OverlapIsByTheShorterPrefix) {
  auto p = [](const char* s) { return *parse_ip_prefix(s); };
  EXPECT_TRUE(prefixes_overlap(p("10.0.0.0/8"), p("10.200.1.1/30")));
  EXPECT_TRUE(prefixes_overlap(p("10.5.0.1/30"), p("10.5.0.2/30")));
  EXPECT_FALSE(prefixes_overlap(p("10.5.0.1/30"), p("10.5.0.5/30")));
  EXPECT_FALSE(prefixes_overlap(p("10.0.0.0/8"), p("fd00::/8")));
  EXPECT_TRUE(prefixes_overlap(p("0.0.0.0/0"), p("192.0.2.1")));
}

TEST(PortForward, TakesNspawnsSyntax) {
  auto f = parse_port_forward("8080");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->protocol, IPPROTO_TCP);
  EXPECT_EQ(f->host_port, 8080);
  EXPECT_EQ(f->jail_port, 8080);
  f = parse_port_forward("udp:5353:53");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->protocol, IPPROTO_UDP);
  EXPECT_EQ(f->host_port, 5353);
  EXPECT_EQ(f->jail_port, 53);
  for (const char* bad : {"0", "65536", "sctp:80", "80:", ":80", "tcp:", "80:90:100", "eighty"})
    EXPECT_FALSE(parse_port_forward(bad)) << bad;
}

TEST(NetworkPlan, ModesAndNamespaces) {
  auto veth = plan_of(profile_of({{"VirtualEthernet", "yes"}, {"Address", "10.9.0.2/30"},
                                  {"HostAddress", "10.9.0.1/30"}, {"Port", "8080:80"}}));
  ASSERT_TRUE(veth) << veth.error().message();
  EXPECT_EQ(veth->network.mode, NetworkMode::Veth);
  EXPECT_TRUE(veth->clone_flags & CLONE_NEWNET);
  EXPECT_FALSE(veth->private_network);  // a way out: not "only lo" for Landlock and the checks
  ASSERT_EQ(veth->network.ports.size(), 1u);
  EXPECT_EQ(veth->network.ports[0].jail_port, 80);
  EXPECT_EQ(veth->network.jail_ifname, "host0");

  auto host = plan_of(profile_of({{"PrivateNetwork", "no"}}));
  ASSERT_TRUE(host);
  EXPECT_EQ(host->network.mode, NetworkMode::Host);
  EXPECT_FALSE(host->clone_flags & CLONE_NEWNET);

  auto join = plan_of(profile_of({{"NetworkNamespacePath", "/proc/self/ns/net"}}));
  ASSERT_TRUE(join) << join.error().message();
  EXPECT_EQ(join->network.mode, NetworkMode::Join);
  EXPECT_FALSE(join->clone_flags & CLONE_NEWNET);  // the clone shares the joined one
  EXPECT_TRUE(join->network.join_fd);
}

TEST(NetworkPlan, ContradictionsAreRefusedWithTheirLine) {
  struct Case {
    std::initializer_list<std::pair<const char*, const char*>> lines;
    const char* message;
  };
  const Case cases[] = {
      {{{"VirtualEthernet", "yes"}, {"UserModeNetworking", "yes"}}, "n.profile:2: UserModeNetworking=yes and "},
      {{{"PrivateNetwork", "yes"}, {"NetworkNamespacePath", "/proc/self/ns/net"}}, "n.profile:2: NetworkNamespacePath="},
      {{{"VirtualEthernet", "yes"}, {"NetworkNamespacePath", "/proc/self/ns/net"}}, "n.profile:2: NetworkNamespacePath="},
      {{{"PrivateNetwork", "no"}, {"VirtualEthernet", "yes"}}, "n.profile:1: VirtualEthernet=yes makes"},
      {{{"Address", "10.9.0.2/30"}}, "n.profile:1: Address= is the jail's side of VirtualEthernet=yes"},
      {{{"HostAddress", "10.9.0.1/30"}}, "n.profile:1: HostAddress= is the host's side"},
      {{{"Port", "80"}}, "n.profile:1: Port= forwards to a jail with"},
      {{{"VirtualEthernet", "yes"}, {"HostLoopbackPort", "5432"}}, "n.profile:2: HostLoopbackPort= reaches"},
      {{{"VirtualEthernet", "yes"}, {"Address", "10.9.0.2/30"}, {"HostAddress", "10.9.1.1/30"}},
       "are not on one subnet"},
      {{{"VirtualEthernet", "yes"}, {"Address", "10.9.0.2/30"}, {"HostAddress", "10.9.0.2/30"}},
       "are the same address 10.9.0.2"},
      {{{"VirtualEthernet", "yes"}, {"Port", "8080:80"}, {"Port", "8080:81"}}, "n.profile:3: Port=8080:81 forwards a port"},
      {{{"VirtualEthernet", "yes"}, {"Address", "10.9.0.2/30"}}, "n.profile:2: Address=10.9.0.2/30 needs the other side"},
      {{{"NetworkNamespacePath", "/nonexistent/netns"}}, "n.profile:1: NetworkNamespacePath=/nonexistent/netns"},
      {{{"NetworkNamespacePath", "/proc/self/ns/uts"}}, "is not a network namespace"},
  };
  for (const auto& c : cases) EXPECT_THAT(plan_error(c.lines), HasSubstr(c.message));
}

TEST(NetworkPlan, ValuesAreCheckedWhenParsed) {
  Profile p;
  Origin o{"n.profile", 1};
  for (auto [key, value] : std::initializer_list<std::pair<const char*, const char*>>{
           {"Address", "10.9.0.2"},       // no prefix: no room for the host's side
           {"Address", "10.9.0.2/32"},    // the same
           {"Address", "10.9.0.2/0"},
           {"HostAddress", "not-an-address/24"},
           {"Port", "tcp:70000"},
           {"HostLoopbackPort", "udp:0"},
           {"VirtualEthernet", "maybe"},
           {"IPAddressAllow", "10.0.0.0/40"},
           {"RestrictNetworkInterfaces", "eth0:1"}}) {
    auto st = apply_directive(p, key, value, o);
    ASSERT_FALSE(st) << key << "=" << value;
    EXPECT_THAT(st.error().message(), HasSubstr("n.profile:1: ")) << key;
  }
}

TEST(NetworkPlan, ShowDescribesTheNetwork) {
  auto lines = describe_network(profile_of({{"VirtualEthernet", "yes"}, {"Address", "10.9.0.2/30"},
                                            {"HostAddress", "10.9.0.1/30"}, {"Port", "udp:5353:53"}}));
  std::string all;
  for (const auto& l : lines) all += l + "\n";
  EXPECT_THAT(all, HasSubstr("host0 in the jail, zj-NAME-XXXX on the host"));
  EXPECT_THAT(all, HasSubstr("the jail's address: 10.9.0.2/30"));
  EXPECT_THAT(all, HasSubstr("IPv6: a free ULA /64"));
  EXPECT_THAT(all, ::testing::Not(HasSubstr("IPv4: a free")));
  EXPECT_THAT(all, HasSubstr("the host's port 5353 (udp) leads to the jail's port 53"));
  Profile p = profile_of({{"UserModeNetworking", "yes"}, {"HostLoopbackPort", "5432"}});
  std::string shown = show_profile(p);
  EXPECT_THAT(shown, HasSubstr("UserModeNetworking=yes"));
  EXPECT_THAT(shown, HasSubstr("# the jail's 127.0.0.1:5432 (tcp) reaches the host's 127.0.0.1:5432"));
  // What --show prints reads back as the same profile.
  Profile back;
  auto st = load_profile_text(back, shown, "shown.profile", {}, ProfileTrust{});
  ASSERT_TRUE(st) << st.error().message();
  EXPECT_TRUE(back.network.user_mode.value.value_or(false));
  ASSERT_EQ(back.network.host_loopback_port.size(), 1u);
}

}  // namespace
}  // namespace zjail
