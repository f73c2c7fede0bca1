// landlock_net.cpp: systemd's bind rules (and the connect rules in their
// syntax) as the TCP ports Landlock leaves open, and the rules Landlock
// cannot say, refused with the line that says them. No privileges needed;
// the rules in force are tests/root/root_landlock_test.cpp's.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "../../jail/src/plan_internal.hpp"
#include "zjail/parser.hpp"

namespace zjail {
namespace {

using ::testing::ElementsAre;
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

Result<LandlockPlan> net_of(const Profile& p, int abi = 4) {
  LandlockPlan ll;
  ZJAIL_TRY(plan_landlock_net(p, abi, ll));
  return ll;
}

std::string error_of(const Profile& p, int abi = 4) {
  auto ll = net_of(p, abi);
  return ll ? "" : ll.error().message();
}

TEST(LandlockNet, AllowBeatsDenyAsInSystemd) {
  auto ll = net_of(profile_of({{"SocketBindDeny", "tcp:any"}, {"SocketBindAllow", "tcp:443"},
                               {"SocketBindAllow", "ipv4:tcp:8000-8002"}, {"SocketBindAllow", "ipv6:tcp:8000-8002"}}));
  ASSERT_TRUE(ll) << ll.error().message();
  EXPECT_TRUE(ll->handle_bind_tcp);
  EXPECT_THAT(ll->bind_ports, ElementsAre(443, 8000, 8001, 8002));
  EXPECT_EQ(landlock_ports_text(ll->bind_ports), "443 8000-8002");
  EXPECT_FALSE(ll->handle_connect_tcp);
}

TEST(LandlockNet, RulesThatCloseNoTcpPortHandleNothing) {
  for (auto p : {profile_of({{"SocketBindAllow", "tcp:80"}}), profile_of({{"SocketBindDeny", "udp:53"},
                                                                          {"SocketBindAllow", "udp:any"}}),
                 profile_of({{"SocketBindDeny", "tcp:80"}, {"SocketBindAllow", "tcp:any"}})}) {
    auto ll = net_of(p, 1);  // no kernel support needed for nothing
    ASSERT_TRUE(ll) << ll.error().message();
    EXPECT_FALSE(ll->handle_bind_tcp);
  }
}

TEST(LandlockNet, DenyingEverythingLeavesNoPort) {
  auto ll = net_of(profile_of({{"SocketConnectDeny", "any"}}));
  ASSERT_TRUE(ll);
  EXPECT_TRUE(ll->handle_connect_tcp);
  EXPECT_TRUE(ll->connect_ports.empty());
  EXPECT_EQ(landlock_ports_text(ll->connect_ports), "none");
  // A reset empties the list, as in systemd.
  Profile reset = profile_of({{"SocketConnectDeny", "any"}, {"SocketConnectDeny", ""}});
  EXPECT_TRUE(reset.security.socket_connect_deny.empty());
}

TEST(LandlockNet, WhatLandlockCannotSayIsRefusedWithItsLine) {
  EXPECT_THAT(error_of(profile_of({{"SocketBindAllow", "tcp:80"}, {"SocketBindDeny", "any"}})),
              HasSubstr("n.profile:2: SocketBindAllow=/SocketBindDeny= deny binds to UDP ports"));
  EXPECT_THAT(error_of(profile_of({{"SocketBindDeny", "ipv6:tcp:any"}})), HasSubstr("for IPv4 and IPv6"));
  EXPECT_THAT(error_of(profile_of({{"SocketBindDeny", "tcp:1-1023"}})), HasSubstr("more than 1024 TCP ports open"));
  EXPECT_EQ(error_of(profile_of({{"SocketBindDeny", "tcp:1-64512"}})), "");  // 1024 open: 0 and 64513-65535
  // A kernel without network rules: no half measure.
  EXPECT_THAT(error_of(profile_of({{"SocketConnectDeny", "any"}}), 3),
              HasSubstr("need Landlock's network rules (ABI 4, Linux 6.7), and this kernel has ABI 3"));
}

// A jail handed a host TCP socket in a private network connects nowhere;
// a connect rule does not reopen that.
// Port 0 would grant any free port: it is never granted, and rules that
// leave nothing else open close listen() too.
TEST(LandlockNet, PortZeroIsNeverGranted) {
  Profile p = profile_of({{"SocketBindDeny", "tcp:1-65535"}});
  auto ll = net_of(p);
  ASSERT_TRUE(ll) << ll.error().message();
  EXPECT_TRUE(ll->handle_bind_tcp);
  EXPECT_TRUE(ll->bind_ports.empty());
  EXPECT_TRUE(socket_bind_closes_tcp(p));
  auto some = net_of(profile_of({{"SocketBindDeny", "tcp:1-64512"}}));
  ASSERT_TRUE(some);
  EXPECT_EQ(landlock_ports_text(some->bind_ports), "64513-65535");
}

TEST(LandlockNet, TheStricterConnectRuleStands) {
  LandlockPlan ll;
  ll.handle_connect_tcp = true;
  ASSERT_TRUE(plan_landlock_net(profile_of({{"SocketConnectDeny", "any"}, {"SocketConnectAllow", "5432"}}), 4, ll));
  EXPECT_TRUE(ll.connect_ports.empty());
}

TEST(LandlockNet, TheRulesCloseTheOtherStreamProtocols) {
  SeccompExtras e;
  ASSERT_TRUE(add_security_extras(profile_of({{"SocketBindDeny", "tcp:any"}}), e));
  EXPECT_TRUE(e.plain_tcp_only);
  SeccompExtras none;
  ASSERT_TRUE(add_security_extras(profile_of({{"NoNewPrivileges", "yes"}}), none));
  EXPECT_FALSE(none.plain_tcp_only);
  EXPECT_NE(e.cache_key(), none.cache_key());
  // No TCP port open: no listen() either (it would bind one without bind()).
  EXPECT_TRUE(e.deny_listen);
  SeccompExtras some;
  ASSERT_TRUE(add_security_extras(profile_of({{"SocketBindDeny", "tcp:any"}, {"SocketBindAllow", "tcp:80"}}), some));
  EXPECT_FALSE(some.deny_listen);
  EXPECT_NE(e.cache_key(), some.cache_key());
}

// --show's list: what the profile asks and the kernel lacks, by ABI.
TEST(LandlockMissing, WhatTheProfileAsksAndTheKernelLacks) {
  Profile p;
  EXPECT_TRUE(landlock_missing(p, 7).empty());
  EXPECT_THAT(landlock_missing(p, 2), ElementsAre(HasSubstr("the scopes of abstract unix sockets and signals")));
  EXPECT_THAT(landlock_missing(p, 0), ElementsAre(HasSubstr("path rules (Landlock ABI 2, Linux 5.19; this kernel has 0)"),
                                                  HasSubstr("scopes")));
  Profile open = profile_of({{"RestrictAbstractUnixSockets", "no"}, {"RestrictSignals", "no"}});
  EXPECT_TRUE(landlock_missing(open, 2).empty()) << "no scope asked for, none missing";
}

}  // namespace
}  // namespace zjail
