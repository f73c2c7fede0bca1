// plan_security.cpp: what the kernel-interface and process-property
// directives make of the plan, the filter extras, and the contradictions a
// profile is refused for. No privileges needed.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"  // GCC 12, std::optional members (see plan_test.cpp)

#include <gmock/gmock.h>
#include <algorithm>
#include <cstring>
#include <gtest/gtest.h>
#include <linux/ioprio.h>
#include <linux/securebits.h>
#include <sched.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "../../jail/src/plan_internal.hpp"
#include "zjail/check.hpp"
#include "zjail/parser.hpp"
#include "zjail/plan.hpp"
#include "zjail/seccomp.hpp"
#include "zjail/users.hpp"

namespace zjail {
namespace {

using ::testing::HasSubstr;

PlanContext root_ctx() {
  PlanContext c;
  c.cwd = "/";
  return c;
}

Profile profile_of(std::initializer_list<std::pair<const char*, const char*>> lines) {
  Profile p;
  int line = 0;
  for (const auto& [key, value] : lines) {
    auto st = apply_directive(p, key, value, Origin{"p.profile", ++line});
    EXPECT_TRUE(st) << key << "=" << value << ": " << st.error().message();
  }
  return p;
}

Result<Plan> plan_of(const Profile& p) { return build_plan(p, {"/bin/true"}, root_ctx()); }

std::string plan_error(const Profile& p) {
  auto plan = plan_of(p);
  return plan ? "" : plan.error().message();
}

// Denials are explained through one merged filter with a listener, unless
// Yama forbids zjail to take the listener: then the filters are attached as
// they are, and act on their own (docs/denials.md).
TEST(PlanSecurity, ListenerHandoffRefusedAttachesTheFiltersAsTheyAre) {
  Profile p = profile_of({{"SystemCallFilter", "@system-service"}, {"ProtectClock", "yes"}});
  auto explained = plan_of(p);
  ASSERT_TRUE(explained) << explained.error().message();
  EXPECT_FALSE(explained->seccomp_notify.empty());
  EXPECT_EQ(explained->denial_sources.size(), explained->seccomp.size());
  PlanContext ctx = root_ctx();
  ctx.listener_handoff_refused = true;
  auto direct = build_plan(p, {"/bin/true"}, ctx);
  ASSERT_TRUE(direct) << direct.error().message();
  EXPECT_TRUE(direct->seccomp_notify.empty());
  EXPECT_EQ(direct->seccomp.size(), explained->seccomp.size());
}

TEST(PlanSecurity, ProcessPropertiesInOrderWithTheirLines) {
  auto plan = plan_of(profile_of({{"Nice", "-5"},
                                  {"OOMScoreAdjust", "-200"},
                                  {"CPUSchedulingPolicy", "fifo"},
                                  {"CPUSchedulingResetOnFork", "yes"},
                                  {"CPUAffinity", "0"},
                                  {"IOSchedulingClass", "idle"}}));
  ASSERT_TRUE(plan) << plan.error().message();
  using Kind = ProcessProperty::Kind;
  const auto& props = plan->security.process;
  ASSERT_EQ(props.size(), 5u);
  EXPECT_EQ(props[0].kind, Kind::OomScoreAdjust);
  EXPECT_EQ(props[0].value, -200);
  EXPECT_EQ(props[0].origin, "OOMScoreAdjust=-200 (p.profile:2)");
  EXPECT_EQ(props[1].kind, Kind::Nice);
  EXPECT_EQ(props[2].kind, Kind::Scheduler);
  EXPECT_EQ(props[2].value, SCHED_FIFO);
  EXPECT_EQ(props[2].priority, 1);  // a real-time policy runs at 1 at least, as systemd clamps it
  EXPECT_EQ(props[3].kind, Kind::CpuAffinity);
  EXPECT_EQ(props[3].mask, std::string(1, '\x01'));
  EXPECT_EQ(props[4].kind, Kind::IoPriority);
  EXPECT_EQ(props[4].value, IOPRIO_PRIO_VALUE(IOPRIO_CLASS_IDLE, 4)) << "systemd keeps the level for idle, which the kernel ignores";
  // The payload adds SCHED_RESET_ON_FORK to the policy it inherits.
  EXPECT_EQ(plan->security.reset_on_fork_policy, SCHED_FIFO);
  EXPECT_EQ(plan->security.reset_on_fork_priority, 1);
  // Nothing asked, nothing done.
  auto none = plan_of(Profile{});
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->security.process.empty());
  EXPECT_EQ(none->security.reset_on_fork_policy, -1);
}

TEST(PlanSecurity, IoPriorityAloneIsBestEffort) {
  auto plan = plan_of(profile_of({{"IOSchedulingPriority", "7"}}));
  ASSERT_TRUE(plan);
  ASSERT_EQ(plan->security.process.size(), 1u);
  EXPECT_EQ(plan->security.process[0].value, IOPRIO_PRIO_VALUE(IOPRIO_CLASS_BE, 7));
}

TEST(PlanSecurity, PayloadStepsAndDefaults) {
  auto dflt = plan_of(Profile{});
  ASSERT_TRUE(dflt);
  // No caller's session keyring reaches a payload unless the profile says so.
  EXPECT_EQ(dflt->security.keyring, SecurityPlan::Keyring::Private);
  EXPECT_EQ(dflt->security.securebits, -1);
  EXPECT_EQ(dflt->security.personality, -1);
  EXPECT_FALSE(dflt->security.deny_write_execute);
  auto plan = plan_of(profile_of({{"KeyringMode", "inherit"}, {"SecureBits", "noroot"}, {"Personality", "x86"},
                                  {"MemoryDenyWriteExecute", "yes"}}));
  ASSERT_TRUE(plan) << plan.error().message();
  EXPECT_EQ(plan->security.keyring, SecurityPlan::Keyring::Inherit);
  EXPECT_EQ(plan->security.securebits, SECBIT_NOROOT);
  EXPECT_EQ(plan->security.personality, PER_LINUX32);
  // The prctl where the kernel has it, the filter's rules elsewhere.
  bool mdwe = prctl(66 /* PR_GET_MDWE */, 0, 0, 0, 0) >= 0;
  EXPECT_EQ(plan->security.deny_write_execute, mdwe);
  auto extras = implied_seccomp_extras(profile_of({{"MemoryDenyWriteExecute", "yes"}}));
  ASSERT_TRUE(extras);
  EXPECT_EQ(extras->deny_write_execute, !mdwe);
}

TEST(PlanSecurity, FilterExtrasFollowTheDirectives) {
  auto e = implied_seccomp_extras(profile_of({{"ProtectClock", "yes"},
                                              {"ProtectHostname", "yes"},
                                              {"RestrictAddressFamilies", "AF_UNIX AF_INET"},
                                              {"RestrictRealtime", "yes"},
                                              {"RestrictSUIDSGID", "yes"},
                                              {"LockPersonality", "yes"}}));
  ASSERT_TRUE(e);
  std::vector<std::string> denied;
  for (const auto& d : e->deny) denied.push_back(d.name + " " + d.why);
  EXPECT_EQ(denied, (std::vector<std::string>{"@clock ProtectClock=", "sethostname ProtectHostname=",
                                              "setdomainname ProtectHostname="}));
  EXPECT_TRUE(e->families.set && e->families.allow);
  EXPECT_EQ(e->families.list, (std::vector<int>{AF_UNIX, AF_INET}));
  EXPECT_TRUE(e->restrict_realtime && e->restrict_suid_sgid);
  EXPECT_EQ(e->lock_personality, PER_LINUX);
  // ProtectHostname=private may change the name: no rule.
  auto priv = implied_seccomp_extras(profile_of({{"ProtectHostname", "private"}, {"RestrictAddressFamilies", "none"}}));
  ASSERT_TRUE(priv);
  EXPECT_TRUE(priv->deny.empty());
  EXPECT_TRUE(priv->families.set && priv->families.allow && priv->families.list.empty());
  // Personality= is what LockPersonality= locks to.
  auto x86 = implied_seccomp_extras(profile_of({{"Personality", "x86"}, {"LockPersonality", "yes"}}));
  ASSERT_TRUE(x86);
  EXPECT_EQ(x86->lock_personality, PER_LINUX32);
}

TEST(PlanSecurity, HostnameFollowsProtectHostname) {
  auto named = plan_of(profile_of({{"ProtectHostname", "yes:box"}}));
  ASSERT_TRUE(named);
  EXPECT_EQ(named->hostname, "box");
  // Without a name the jail keeps the host's, as a systemd unit does.
  auto host = plan_of(profile_of({{"ProtectHostname", "private"}}));
  ASSERT_TRUE(host);
  EXPECT_EQ(host->hostname, "");
  auto both = plan_of(profile_of({{"Hostname", "mine"}, {"ProtectHostname", "yes"}}));
  ASSERT_TRUE(both);
  EXPECT_EQ(both->hostname, "mine");
  EXPECT_EQ(plan_error(profile_of({{"Hostname", "mine"}, {"ProtectHostname", "yes:other"}})),
            "p.profile:2: ProtectHostname=other contradicts Hostname=mine (p.profile:1) (step: plan)");
}

TEST(PlanSecurity, ProtectClockNarrowsTheBoundingSet) {
  auto plan = plan_of(profile_of({{"CapabilityBoundingSet", "CAP_SYS_TIME CAP_WAKE_ALARM CAP_CHOWN"},
                                  {"ProtectClock", "yes"}}));
  ASSERT_TRUE(plan) << plan.error().message();
  EXPECT_EQ(plan->bounding, 1ULL << 0);  // CAP_CHOWN alone
  EXPECT_THAT(plan_error(profile_of({{"AmbientCapabilities", "CAP_SYS_TIME"}, {"ProtectClock", "yes"}})),
              HasSubstr("p.profile:2: ProtectClock=yes contradicts AmbientCapabilities="));
}

TEST(PlanSecurity, RestrictRealtimeZeroesRtprio) {
  auto plan = plan_of(profile_of({{"RestrictRealtime", "yes"}}));
  ASSERT_TRUE(plan);
  ASSERT_EQ(plan->rlimits.size(), 1u);
  EXPECT_EQ(plan->rlimits[0].resource, RLIMIT_RTPRIO);
  EXPECT_EQ(plan->rlimits[0].hard, 0u);
  EXPECT_EQ(plan->rlimits[0].origin, "RestrictRealtime= (p.profile:1)");
  // A LimitRTPRIO= beside it is overruled, as systemd's filter overrules it.
  auto both = plan_of(profile_of({{"LimitRTPRIO", "10"}, {"RestrictRealtime", "yes"}}));
  ASSERT_TRUE(both) << both.error().message();
  ASSERT_EQ(std::count_if(both->rlimits.begin(), both->rlimits.end(),
                          [](const RlimitPlan& r) { return r.resource == RLIMIT_RTPRIO; }),
            1);
  for (const auto& r : both->rlimits) {
    if (r.resource == RLIMIT_RTPRIO) {
      EXPECT_EQ(r.hard, 0u) << r.origin;
    }
  }
}

// Filters install one after the other, each through seccomp(): the
// profile's allow list (which need not allow seccomp) comes last, after the
// filters other directives add (hardened-service in tests/parity met this).
TEST(PlanSecurity, TheProfilesFilterIsInstalledLast) {
  Profile p = profile_of({{"SystemCallFilter", "@system-service"}, {"ProtectKernelModules", "yes"},
                          {"ProtectClock", "yes"}});
  auto plan = plan_of(p);
  ASSERT_TRUE(plan) << plan.error().message();
  auto extras = implied_seccomp_extras(p);
  ASSERT_TRUE(extras);
  auto own = compile_seccomp(p, *extras);
  ASSERT_TRUE(own) << own.error().message();
  ASSERT_EQ(own->filters.size(), 2u);
  ASSERT_EQ(plan->seccomp.size(), 3u);  // base, ProtectKernelModules='s, the profile's
  EXPECT_EQ(plan->seccomp.front().size(), own->filters.front().size());
  const auto& last = plan->seccomp.back();
  ASSERT_EQ(last.size(), own->filters.back().size());
  EXPECT_EQ(0, std::memcmp(last.data(), own->filters.back().data(), last.size() * sizeof last[0]));
}

TEST(PlanSecurity, ContradictionsAreRefusedWithTheirLine) {
  struct Case {
    std::initializer_list<std::pair<const char*, const char*>> lines;
    const char* message;
  };
  const Case cases[] = {
      {{{"PrivateNetwork", "no"}, {"RestrictAddressFamilies", "AF_UNIX"}, {"RestrictIOUring", "no"}},
       "p.profile:3: RestrictIOUring=no contradicts RestrictAddressFamilies="},
      {{{"PrivateNetwork", "no"}, {"RestrictIOUring", "no"}, {"RestrictSUIDSGID", "yes"}},
       "p.profile:2: RestrictIOUring=no contradicts RestrictSUIDSGID="},
      {{{"CPUSchedulingPriority", "10"}}, "p.profile:1: CPUSchedulingPriority=10 needs CPUSchedulingPolicy=fifo or rr"},
      {{{"AmbientCapabilities", "CAP_NET_BIND_SERVICE"}, {"SecureBits", "keep-caps-locked"}},
       "p.profile:2: SecureBits=keep-caps-locked without keep-caps"},
  };
  for (const auto& c : cases) EXPECT_THAT(plan_error(profile_of(c.lines)), HasSubstr(c.message));
}

// On the host's network the filters are planned for systemd's scope
// (scope.hpp); a listener zjail binds outside that scope is refused with them.
TEST(PlanSecurity, HostNetworkFiltersGoToTheScope) {
  auto plan = build_plan(profile_of({{"PrivateNetwork", "no"}, {"IPAddressDeny", "any"},
                                     {"RestrictNetworkInterfaces", "lo"}, {"ListenStream", "/run/x.sock"}}),
                         {"/bin/true"}, root_ctx());
  ASSERT_TRUE(plan) << plan.error().message();
  EXPECT_EQ(plan->network.mode, NetworkMode::Host);
  const NetworkFilter* f = scope_filter(plan->network);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->deny.size(), 2u);
  EXPECT_THAT(f->interfaces, ::testing::ElementsAre("lo"));
  EXPECT_EQ(scope_filter(build_plan(profile_of({{"PrivateNetwork", "no"}}), {"/bin/true"}, root_ctx())->network),
            nullptr);
  for (const char* key : {"ListenStream", "ListenDatagram"})
    EXPECT_THAT(plan_error(profile_of({{"PrivateNetwork", "no"}, {"IPAddressAllow", "localhost"}, {key, "8080"}})),
                HasSubstr("p.profile:3: the filters of a jail on the host's network are systemd's"));
}

// In the jail's own namespace they are planned, systemd's keywords expanded.
TEST(PlanSecurity, PrivateNetworkFiltersArePlanned) {
  auto plan = build_plan(profile_of({{"IPAddressDeny", "any"}, {"IPAddressAllow", "localhost 10.1.2.3/8"},
                                     {"RestrictNetworkInterfaces", "~eth0"}}),
                         {"/bin/true"}, root_ctx());
  ASSERT_TRUE(plan) << plan.error().message();
  const NetworkFilter& f = plan->network.filter;
  std::vector<std::string> allow, deny;
  for (const auto& a : f.allow) allow.push_back(format_ip_prefix(a));
  for (const auto& a : f.deny) deny.push_back(format_ip_prefix(a));
  EXPECT_THAT(deny, ::testing::UnorderedElementsAre("0.0.0.0/0", "::/0"));
  EXPECT_THAT(allow, ::testing::UnorderedElementsAre("127.0.0.0/8", "::1/128", "10.0.0.0/8"));
  EXPECT_TRUE(f.interfaces_set);
  EXPECT_TRUE(f.interfaces_invert);
  EXPECT_THAT(f.interfaces, ::testing::ElementsAre("eth0"));
  EXPECT_EQ(plan->network.mode, NetworkMode::Private);
}

// A payload that could empty its own filters is not given them.
TEST(PlanSecurity, FiltersRefuseCapNetAdmin) {
  EXPECT_THAT(plan_error(profile_of({{"IPAddressDeny", "any"}, {"AmbientCapabilities", "CAP_NET_ADMIN"},
                                     {"CapabilityBoundingSet", "CAP_NET_ADMIN"}})),
              HasSubstr("holding CAP_NET_ADMIN could empty"));
}

// CAP_NET_RAW passes the filters two ways (tried: both reached a denied
// host): a packet socket's frames go under every netfilter hook, and a raw
// ICMPv6 socket's "neighbour discovery" passes the address check.
TEST(PlanSecurity, FiltersRefuseCapNetRawUnlessItsSocketsAreClosed) {
  auto with = [](const char* filter, const char* value, const char* families) {
    return profile_of({{filter, value},
                       {"AmbientCapabilities", "CAP_NET_RAW"},
                       {"CapabilityBoundingSet", "CAP_NET_RAW"},
                       {"RestrictAddressFamilies", families}});
  };
  EXPECT_THAT(plan_error(profile_of({{"IPAddressDeny", "any"}, {"AmbientCapabilities", "CAP_NET_RAW"},
                                     {"CapabilityBoundingSet", "CAP_NET_RAW"}})),
              HasSubstr("holding CAP_NET_RAW passes"));
  for (auto families : {"AF_INET AF_PACKET", "~AF_NETLINK", "AF_INET AF_INET6", "~AF_PACKET"})
    EXPECT_THAT(plan_error(with("IPAddressDeny", "any", families)), HasSubstr("holding CAP_NET_RAW passes"))
        << families;
  EXPECT_THAT(plan_error(with("RestrictNetworkInterfaces", "lo", "AF_INET AF_PACKET")),
              HasSubstr("holding CAP_NET_RAW passes"));
  auto ok = [](const Profile& p, const char* what) {
    auto plan = plan_of(p);
    EXPECT_TRUE(plan) << what << ": " << (plan ? "" : plan.error().context);
  };
  ok(with("IPAddressDeny", "any", "AF_INET AF_UNIX"), "IPv4 only");
  ok(with("IPAddressDeny", "any", "none"), "none");
  ok(with("RestrictNetworkInterfaces", "lo", "~AF_PACKET"), "interfaces only, no packet sockets");
}

TEST(PlanSecurity, SessionsRefuseWhatALoginCannotTake) {
  Login login{"nobody", 65534, {65534}};
  for (auto lines : {std::initializer_list<std::pair<const char*, const char*>>{{"SecureBits", "noroot"}},
                     {{"KeyringMode", "shared"}},
                     {{"CPUSchedulingPolicy", "batch"}},
                     {{"IPAddressDeny", "any"}},
                     {{"VirtualEthernet", "yes"}},
                     {{"NetworkNamespacePath", "/run/netns/x"}}}) {
    auto plan = build_session_plan(profile_of(lines), login, root_ctx());
    ASSERT_FALSE(plan);
    EXPECT_THAT(plan.error().message(), HasSubstr("p.profile:1: "));
  }
}

}  // namespace
}  // namespace zjail
