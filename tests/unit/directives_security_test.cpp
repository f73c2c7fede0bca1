// The kernel-interface and process-property directives (directives_security.cpp):
// systemd's values and list semantics, errors with file:line, and --show
// round trips.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <linux/ioprio.h>
#include <linux/securebits.h>
#include <sched.h>
#include <sys/personality.h>

#include <sstream>

#include "directive_lines.hpp"
#include "zjail/parser.hpp"

namespace zjail {
namespace {

using ::testing::HasSubstr;

constexpr DirectiveLines kLines{"s.profile"};

Status apply(Profile& p, std::string_view key, std::string_view value, int line = 1) {
  return kLines.apply(p, key, value, line);
}

Profile profile_of(std::initializer_list<std::pair<const char*, const char*>> lines) { return kLines.profile(lines); }

std::string error_of(std::string_view key, std::string_view value) {
  Profile p;
  auto st = apply(p, key, value, 7);
  return st ? "" : st.error().message();
}

std::vector<std::string> names(const NameList& l) {
  std::vector<std::string> out;
  for (const auto& i : l.names) out.push_back(i.value);
  return out;
}

TEST(SecurityDirectives, ValuesFollowSystemd) {
  Profile p = profile_of({{"RestrictAddressFamilies", "AF_UNIX AF_INET AF_LOCAL"},
                          {"RestrictNamespaces", "yes"},
                          {"LockPersonality", "yes"},
                          {"MemoryDenyWriteExecute", "true"},
                          {"RestrictRealtime", "on"},
                          {"RestrictSUIDSGID", "1"},
                          {"ProtectClock", "yes"},
                          {"ProtectHostname", "private:box"},
                          {"PrivateIPC", "yes"},
                          {"PrivatePIDs", "no"},
                          {"RemoveIPC", "yes"},
                          {"KeyringMode", "shared"},
                          {"SecureBits", "keep-caps noroot"},
                          {"Personality", "x86"},
                          {"Nice", "-5"},
                          {"OOMScoreAdjust", "+500"},
                          {"CPUSchedulingPolicy", "fifo"},
                          {"CPUSchedulingPriority", "20"},
                          {"CPUSchedulingResetOnFork", "yes"},
                          {"IOSchedulingClass", "best-effort"},
                          {"IOSchedulingPriority", "6"},
                          {"CPUAffinity", "0 2-3"},
                          {"CPUAffinity", "5"}});
  if (HasFailure()) return;
  const Security& s = p.security;
  EXPECT_FALSE(s.restrict_address_families.invert);
  // AF_LOCAL is AF_UNIX by another name.
  EXPECT_EQ(names(s.restrict_address_families), (std::vector<std::string>{"AF_UNIX", "AF_INET"}));
  EXPECT_EQ(*s.restrict_namespaces.value, 0u);
  EXPECT_TRUE(*s.lock_personality.value && *s.memory_deny_write_execute.value && *s.restrict_realtime.value &&
              *s.restrict_suid_sgid.value && *s.protect_clock.value && *s.private_ipc.value && *s.remove_ipc.value);
  EXPECT_FALSE(*s.private_pids.value);
  EXPECT_EQ(s.protect_hostname.value->mode, HostnameProtection::Private);
  EXPECT_EQ(s.protect_hostname.value->name, "box");
  EXPECT_EQ(*s.keyring_mode.value, KeyringMode::Shared);
  EXPECT_EQ(*s.secure_bits.value, unsigned(SECBIT_KEEP_CAPS | SECBIT_NOROOT));
#if defined(__x86_64__)
  EXPECT_EQ(*s.personality.value, static_cast<unsigned long>(PER_LINUX32));
#endif
  EXPECT_EQ(*s.nice.value, -5);
  EXPECT_EQ(*s.oom_score_adjust.value, 500);
  EXPECT_EQ(*s.cpu_scheduling_policy.value, SCHED_FIFO);
  EXPECT_EQ(*s.cpu_scheduling_priority.value, 20);
  EXPECT_TRUE(*s.cpu_scheduling_reset_on_fork.value);
  EXPECT_EQ(*s.io_scheduling_class.value, IOPRIO_CLASS_BE);
  EXPECT_EQ(*s.io_scheduling_priority.value, 6);
  EXPECT_EQ(*s.cpu_affinity.value, "0,2-3,5");  // assignments merge
  EXPECT_EQ(s.cpu_affinity.origin.str(), "s.profile:23");
}

TEST(SecurityDirectives, NumericFallbacksAsSystemdReadsThem) {
  Profile p = profile_of({{"CPUSchedulingPolicy", "2"}, {"IOSchedulingClass", "3"}});
  EXPECT_EQ(*p.security.cpu_scheduling_policy.value, SCHED_RR);
  EXPECT_EQ(*p.security.io_scheduling_class.value, IOPRIO_CLASS_IDLE);
}

TEST(SecurityDirectives, BadValuesNameFileLine) {
  EXPECT_EQ(error_of("RestrictAddressFamilies", "AF_UNIX AF_INTE"),
            "s.profile:7: unknown address family 'AF_INTE' in RestrictAddressFamilies= (did you mean 'AF_INET'?)");
  EXPECT_EQ(error_of("Nice", "-21"), "s.profile:7: invalid value '-21' for Nice=: expected an integer from -20 to 19");
  EXPECT_EQ(error_of("KeyringMode", "public"),
            "s.profile:7: invalid value 'public' for KeyringMode=: expected 'inherit', 'private' or 'shared'");
  EXPECT_EQ(error_of("SecureBits", "keep-caps nosuid"),
            "s.profile:7: invalid value 'nosuid' for SecureBits=: expected 'keep-caps', 'keep-caps-locked', "
            "'no-setuid-fixup', 'no-setuid-fixup-locked', 'noroot' or 'noroot-locked'");
  EXPECT_THAT(error_of("RestrictNamespaces", "net mount"), HasSubstr("s.profile:7: invalid value 'mount'"));
  EXPECT_THAT(error_of("Personality", "ppc64"), HasSubstr("s.profile:7: invalid value 'ppc64' for Personality="));
  EXPECT_THAT(error_of("IPAddressDeny", "any 10.0.0.0/33"), HasSubstr("invalid value '10.0.0.0/33'"));
  struct Bad {
    const char* key;
    std::vector<const char*> values;
  };
  const Bad bad[] = {
      {"LockPersonality", {"maybe", "2"}},
      {"MemoryDenyWriteExecute", {"yess"}},
      {"RestrictAddressFamilies", {"AF_UNIX,AF_INET", "~AF_NOPE", "unix"}},
      {"RestrictNamespaces", {"ipc,net", "all", "~mount"}},
      {"ProtectHostname", {"maybe", "no:box", "yes:", "yes:bad_name", "private:a b"}},
      {"SecureBits", {"KEEP-CAPS"}},
      {"Personality", {"x86_64", "i386", "s390"}},
      {"Nice", {"20", "-", "+", "1.5", "0x10", "nice"}},
      {"OOMScoreAdjust", {"1001", "-1001", "max"}},
      {"CPUSchedulingPolicy", {"deadline", "6", "FIFO"}},
      {"CPUSchedulingPriority", {"100", "-1"}},
      {"IOSchedulingClass", {"rt", "4"}},
      {"IOSchedulingPriority", {"8", "-1"}},
      {"CPUAffinity", {"numa", "a-b", "3-1", "-", ","}},
      {"IPAddressAllow", {"10.0.0.1/", "300.0.0.1", "fe80::1/129", "everything"}},
      {"SocketBindAllow", {"ipv5:tcp:80", "tcp:udp:80", "tcp:70000", "tcp:90-80", "80 443", "ipv4:tcp"}},
      {"SocketConnectAllow", {"udp:53", "ipv4:udp:any", "tcp:70000", "80 443"}},
      {"RestrictNetworkInterfaces", {"eth0/1", "a:b", ".."}},
      {"NetworkNamespacePath", {"run/netns/x", "/run/../x"}},
  };
  for (const auto& b : bad)
    for (const char* v : b.values) {
      std::string e = error_of(b.key, v);
      EXPECT_THAT(e, HasSubstr("s.profile:7: ")) << b.key << "=" << v << " was accepted";
    }
}

TEST(SecurityDirectives, AddressFamiliesFollowSystemdsListRules) {
  // The first line fixes the polarity; the other one removes.
  Profile p = profile_of({{"RestrictAddressFamilies", "AF_UNIX AF_INET AF_INET6"},
                          {"RestrictAddressFamilies", "~AF_INET6"}});
  EXPECT_EQ(names(p.security.restrict_address_families), (std::vector<std::string>{"AF_UNIX", "AF_INET"}));
  // "none" denies everything, and a list after it starts afresh.
  Profile none = profile_of({{"RestrictAddressFamilies", "AF_UNIX"}, {"RestrictAddressFamilies", "none"}});
  EXPECT_TRUE(none.security.address_families_none.is_set());
  EXPECT_FALSE(none.security.restrict_address_families.is_set);
  Profile after = profile_of({{"RestrictAddressFamilies", "none"}, {"RestrictAddressFamilies", "~AF_PACKET"}});
  EXPECT_FALSE(after.security.address_families_none.is_set());
  EXPECT_TRUE(after.security.restrict_address_families.invert);
  // "" resets both.
  ASSERT_TRUE(apply(none, "RestrictAddressFamilies", ""));
  EXPECT_FALSE(none.security.address_families_none.is_set() || none.security.restrict_address_families.is_set);
}

TEST(SecurityDirectives, NamespaceListsMergeAsInSystemd) {
  // systemd.exec(5)'s own examples.
  uint64_t ipc = CLONE_NEWIPC, net = CLONE_NEWNET, cgroup = CLONE_NEWCGROUP;
  Profile a = profile_of({{"RestrictNamespaces", "cgroup ipc"}, {"RestrictNamespaces", "cgroup net"}});
  EXPECT_EQ(*a.security.restrict_namespaces.value, cgroup | ipc | net);
  Profile b = profile_of({{"RestrictNamespaces", "cgroup ipc"}, {"RestrictNamespaces", "~cgroup net"}});
  EXPECT_EQ(*b.security.restrict_namespaces.value, ipc);
  // A boolean replaces whatever came before; no allows every type.
  Profile c = profile_of({{"RestrictNamespaces", "~user"}, {"RestrictNamespaces", "no"}});
  EXPECT_NE(*c.security.restrict_namespaces.value & CLONE_NEWUSER, 0u);
}

TEST(SecurityDirectives, SecureBitsAccumulateAndIoClassResetsBoth) {
  Profile p = profile_of({{"SecureBits", "noroot"}, {"SecureBits", "noroot-locked"}});
  EXPECT_EQ(*p.security.secure_bits.value, unsigned(SECBIT_NOROOT | SECBIT_NOROOT_LOCKED));
  ASSERT_TRUE(apply(p, "SecureBits", ""));
  EXPECT_FALSE(p.security.secure_bits.is_set());
  Profile q = profile_of({{"IOSchedulingClass", "idle"}, {"IOSchedulingPriority", "3"}});
  ASSERT_TRUE(apply(q, "IOSchedulingClass", ""));
  EXPECT_FALSE(q.security.io_scheduling_class.is_set() || q.security.io_scheduling_priority.is_set());
}

TEST(SecurityDirectives, NetworkDirectivesAreValidated) {
  Profile p = profile_of({{"IPAddressAllow", "localhost 10.0.0.0/8 ::1 fe80::/64"},
                          {"IPAddressDeny", "any"},
                          {"SocketBindAllow", "ipv6:tcp:8080-8090"},
                          {"SocketBindAllow", "udp:any"},
                          {"SocketBindDeny", "any"},
                          {"RestrictNetworkInterfaces", "~eth0 wlan0"},
                          {"NetworkNamespacePath", "/run/netns/blue"}});
  EXPECT_EQ(p.security.ip_address_allow.size(), 4u);
  EXPECT_EQ(p.security.socket_bind_allow.size(), 2u);
  EXPECT_TRUE(p.security.restrict_network_interfaces.invert);
}

// The implicit @default of systemd's allow lists.
TEST(SecurityDirectives, AnAllowListStartsWithDefault) {
  Profile p = profile_of({{"SystemCallFilter", "read write"}});
  EXPECT_EQ(names(p.system_call_filter), (std::vector<std::string>{"@default", "read", "write"}));
  // As in systemd, a later ~ line can take its members out again.
  Profile q = profile_of({{"SystemCallFilter", "@system-service"}, {"SystemCallFilter", "~@default"}});
  for (const auto& n : names(q.system_call_filter)) EXPECT_NE(n, "@default");
  // A deny list gets nothing added.
  Profile r = profile_of({{"SystemCallFilter", "~@mount"}});
  EXPECT_EQ(names(r.system_call_filter), (std::vector<std::string>{"@mount"}));
}

std::string dump(const Security& s) {
  std::ostringstream o;
  auto opt = [&](const char* k, const auto& v) {
    o << k << "=";
    if (v.is_set()) o << static_cast<long long>(*v.value);
    o << "\n";
  };
  auto list = [&](const char* k, const NameList& l) {
    o << k << (l.is_set ? (l.invert ? " deny:" : " allow:") : " unset:");
    for (const auto& i : l.names) o << " " << i.value;
    o << "\n";
  };
  auto items = [&](const char* k, const std::vector<Item<std::string>>& v) {
    o << k << ":";
    for (const auto& i : v) o << " " << i.value;
    o << "\n";
  };
  list("families", s.restrict_address_families);
  opt("none", s.address_families_none);
  opt("namespaces", s.restrict_namespaces);
  for (const auto* b : {&s.lock_personality, &s.memory_deny_write_execute, &s.restrict_realtime, &s.restrict_suid_sgid,
                        &s.protect_clock, &s.private_ipc, &s.private_pids, &s.remove_ipc,
                        &s.cpu_scheduling_reset_on_fork})
    opt("flag", *b);
  if (s.protect_hostname.is_set()) o << "hostname " << s.protect_hostname.value->mode << s.protect_hostname.value->name << "\n";
  if (s.keyring_mode.is_set()) o << "keyring " << static_cast<int>(*s.keyring_mode.value) << "\n";
  opt("securebits", s.secure_bits);
  opt("personality", s.personality);
  for (const auto* i : {&s.nice, &s.oom_score_adjust, &s.cpu_scheduling_policy, &s.cpu_scheduling_priority,
                        &s.io_scheduling_class, &s.io_scheduling_priority})
    opt("int", *i);
  o << "affinity " << s.cpu_affinity.value.value_or("-") << "\n";
  items("allow", s.ip_address_allow);
  items("deny", s.ip_address_deny);
  items("bind_allow", s.socket_bind_allow);
  items("bind_deny", s.socket_bind_deny);
  list("ifaces", s.restrict_network_interfaces);
  o << "netns " << s.network_namespace_path.value.value_or("-") << "\n";
  return o.str();
}

// show -> parse -> the same profile; and showing that again gives the same text.
void expect_round_trip(const Profile& p) {
  expect_show_round_trip(p, [](const Profile& q) { return dump(q.security); });
}

TEST(SecurityDirectives, ShowRoundTripsEveryDirective) {
  expect_round_trip(profile_of({{"RestrictAddressFamilies", "AF_UNIX AF_NETLINK"},
                                {"RestrictAddressFamilies", "~AF_NETLINK"},
                                {"RestrictNamespaces", "~user net"},
                                {"LockPersonality", "yes"},
                                {"MemoryDenyWriteExecute", "yes"},
                                {"RestrictRealtime", "yes"},
                                {"RestrictSUIDSGID", "no"},
                                {"ProtectClock", "yes"},
                                {"ProtectHostname", "yes:jailed"},
                                {"PrivateIPC", "yes"},
                                {"PrivatePIDs", "yes"},
                                {"RemoveIPC", "no"},
                                {"KeyringMode", "inherit"},
                                {"SecureBits", "keep-caps-locked no-setuid-fixup"},
                                {"Personality", "x86-64"},
                                {"Nice", "7"},
                                {"OOMScoreAdjust", "-100"},
                                {"CPUSchedulingPolicy", "rr"},
                                {"CPUSchedulingPriority", "10"},
                                {"CPUSchedulingResetOnFork", "yes"},
                                {"IOSchedulingClass", "realtime"},
                                {"IOSchedulingPriority", "0"},
                                {"CPUAffinity", "1,3-4"},
                                {"IPAddressAllow", "127.0.0.0/8 ::1"},
                                {"IPAddressDeny", "any"},
                                {"SocketBindAllow", "tcp:443"},
                                {"SocketBindDeny", "any"},
                                {"SocketConnectAllow", "ipv6:tcp:5432"},
                                {"SocketConnectDeny", "any"},
                                {"RestrictNetworkInterfaces", "lo"},
                                {"NetworkNamespacePath", "/run/netns/x"}}));
  // The list states a single line cannot say.
  expect_round_trip(profile_of({{"RestrictAddressFamilies", "none"}, {"RestrictNamespaces", "no"}}));
  expect_round_trip(profile_of({{"RestrictAddressFamilies", "AF_INET"}, {"RestrictAddressFamilies", "~AF_INET"}}));
  expect_round_trip(profile_of({{"RestrictAddressFamilies", "~"}, {"RestrictNamespaces", "yes"}}));
}

}  // namespace
}  // namespace zjail
