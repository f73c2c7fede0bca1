// zjail --analyze: the scores of the shipped profiles rank sensibly, a unit's
// own settings combine with a profile item by item, and systemd's defaults
// and implications are honoured when a unit is judged alone.
#include "zjail/analyze.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <string>
#include <vector>

#include "zjail/landlock.hpp"
#include "zjail/parser.hpp"
#include "zjail/unit_file.hpp"

namespace zjail {
namespace {

using ::testing::HasSubstr;

const std::vector<std::string> kSearch = {std::string(ZJAIL_SOURCE_DIR) + "/profiles"};

Profile shipped(const std::string& name, const std::string& extra = "") {
  Profile p;
  auto st = load_profile(p, name, kSearch, ProfileTrust::any());
  EXPECT_TRUE(st) << st.error().message();
  if (!extra.empty()) {
    auto e = load_profile_text(p, "[Jail]\n" + extra, "<test>", kSearch, ProfileTrust::any());
    EXPECT_TRUE(e) << e.error().message();
  }
  return p;
}

UnitFile unit(const std::string& service) {
  UnitFile u;
  u.name = "test.service";
  auto st = parse_unit_text(u, "[Unit]\nDescription=x\n[Service]\n" + service, "test.service");
  EXPECT_TRUE(st) << st.error().message();
  return u;
}

Analysis run(const Profile* p, const UnitFile* u) {
  auto a = analyze(p, u);
  EXPECT_TRUE(a) << a.error().message();
  return a ? *a : Analysis{};
}

double score(const Profile* p, const UnitFile* u = nullptr) { return run(p, u).score; }

const AnalysisItem& item(const Analysis& a, const std::string& name) {
  for (const auto& it : a.items)
    if (it.item == name) return it;
  ADD_FAILURE() << "no item " << name;
  static AnalysisItem none;
  return none;
}

TEST(Analyze, ShippedProfilesRankFromUntrustedToPrivileged) {
  Profile untrusted = shipped("untrusted"), base = shipped("base-service");
  Profile network = shipped("network-service");
  Profile privileged = shipped("network-service", "AmbientCapabilities=CAP_NET_ADMIN CAP_SYS_ADMIN CAP_NET_RAW\n");
  double u = score(&untrusted), b = score(&base), n = score(&network), p = score(&privileged);
  EXPECT_LT(u, b);
  EXPECT_LT(b, n);
  EXPECT_LT(n, p);
  Profile empty;
  EXPECT_LT(b, score(&empty)) << "base-service adds a filter and limits to zjail's defaults";
}

TEST(Analyze, EveryShippedProfileScoresInRange) {
  for (const auto& [name, path] : list_profiles(kSearch)) {
    Profile p;
    // Daemon profiles name users this host may lack; only parsing matters.
    ASSERT_TRUE(load_profile(p, path, kSearch, ProfileTrust::any())) << name;
    Analysis a = run(&p, nullptr);
    EXPECT_GE(a.score, 0.0) << name;
    EXPECT_LT(a.score, 3.0) << name << ": every shipped profile is a real jail";
    double sum = 0;
    for (const auto& it : a.items) sum += it.score;
    EXPECT_NEAR(sum, a.score, 0.051) << name << ": the items add up to the score";
  }
}

TEST(Analyze, NothingAtAllIsNearlyTen) {
  Analysis a = run(nullptr, nullptr);
  EXPECT_GE(a.score, 9.0);
  EXPECT_EQ(a.rating, "UNSAFE");
  EXPECT_EQ(item(a, "User=").exposure, 1);
}

TEST(Analyze, HostNetworkAndCapabilitiesCost) {
  Profile base = shipped("base-service");
  Profile host = shipped("base-service", "PrivateNetwork=no\n");
  Analysis a = run(&host, nullptr);
  EXPECT_EQ(item(a, "PrivateNetwork=").exposure, 1);
  EXPECT_GT(a.score, score(&base));
  Profile caps = shipped("base-service", "AmbientCapabilities=CAP_SYS_ADMIN\n");
  Analysis with_caps = run(&caps, nullptr);
  const auto& admin = item(with_caps, "CapabilityBoundingSet=~CAP_SYS_ADMIN");
  // Held in the jail's user namespace only: half of what it would be on the host.
  EXPECT_DOUBLE_EQ(admin.exposure, 0.5);
  EXPECT_EQ(admin.source, "profile");
}

TEST(Analyze, WritableBindsOfTheOsAreExposed) {
  Profile p = shipped("base-service", "BindPaths=/etc /home\n");
  Analysis a = run(&p, nullptr);
  EXPECT_EQ(item(a, "ProtectSystem=").exposure, 1);
  EXPECT_EQ(item(a, "ProtectHome=").exposure, 1);
  EXPECT_GT(item(a, "ReadWritePaths=").exposure, 0.3);
  EXPECT_EQ(item(a, "ReadWritePaths=").setting, "/etc /home");
}

TEST(Analyze, UnitAloneFollowsSystemdDefaults) {
  UnitFile plain = unit("ExecStart=/usr/sbin/daemon\n");
  Analysis a = run(nullptr, &plain);
  EXPECT_GE(a.score, 9.0) << "root with no sandboxing";
  EXPECT_EQ(item(a, "User=").setting, "root (default)");
  EXPECT_EQ(item(a, "TasksMax=").exposure, 0.5) << "DefaultTasksMax applies";

  UnitFile hardened = unit(
      "User=svc\nNoNewPrivileges=yes\nPrivateNetwork=yes\nPrivateTmp=yes\nPrivateDevices=yes\n"
      "ProtectSystem=strict\nProtectHome=yes\nProtectKernelTunables=yes\nProtectKernelLogs=yes\n"
      "ProtectControlGroups=yes\nRestrictNamespaces=yes\nSystemCallArchitectures=native\n"
      "SystemCallFilter=@system-service\nSystemCallFilter=~@privileged @resources\n"
      "CapabilityBoundingSet=\nMemoryDenyWriteExecute=yes\nLockPersonality=yes\n");
  double h = score(nullptr, &hardened);
  EXPECT_LT(h, a.score);
  EXPECT_LT(h, 5.0);
}

TEST(Analyze, UnitImplicationsAsSystemd) {
  // A syscall filter implies no_new_privs for a process without CAP_SYS_ADMIN.
  UnitFile u = unit("User=svc\nSystemCallFilter=@system-service\n");
  EXPECT_EQ(item(run(nullptr, &u), "NoNewPrivileges=").setting, "yes (implied)");
  // ... but not for root with the full bounding set.
  UnitFile r = unit("SystemCallFilter=@system-service\n");
  EXPECT_EQ(item(run(nullptr, &r), "NoNewPrivileges=").exposure, 1);
  // DynamicUser= implies ProtectSystem=strict, PrivateTmp= and RestrictSUIDSGID=.
  UnitFile d = unit("DynamicUser=yes\n");
  Analysis a = run(nullptr, &d);
  EXPECT_EQ(item(a, "User=").exposure, 0);
  EXPECT_EQ(item(a, "ProtectSystem=").exposure, 0);
  EXPECT_EQ(item(a, "PrivateTmp=").exposure, 0);
  EXPECT_EQ(item(a, "RestrictSUIDSGID=").exposure, 0);
}

TEST(Analyze, UnitSyscallFilterPolarity) {
  // The first line fixes a deny list; a later allow line takes calls out of it.
  UnitFile u = unit("SystemCallFilter=~@mount @swap\nSystemCallFilter=@swap\n");
  Analysis a = run(nullptr, &u);
  EXPECT_EQ(item(a, "SystemCallFilter=~@mount").exposure, 0);
  EXPECT_GT(item(a, "SystemCallFilter=~@swap").exposure, 0);
  // An empty assignment resets.
  UnitFile reset = unit("SystemCallFilter=~@mount\nSystemCallFilter=\n");
  EXPECT_GT(item(run(nullptr, &reset), "SystemCallFilter=~@mount").exposure, 0);
  // ":errno" suffixes are systemd's, not part of the name.
  UnitFile errno_form = unit("SystemCallFilter=~@mount:EPERM\n");
  EXPECT_EQ(item(run(nullptr, &errno_form), "SystemCallFilter=~@mount").exposure, 0);
}

TEST(Analyze, UnitCapabilitySets) {
  // Root with a bounding set of CAP_NET_BIND_SERVICE holds nothing dangerous.
  UnitFile narrow = unit("CapabilityBoundingSet=CAP_NET_BIND_SERVICE\n");
  Analysis a = run(nullptr, &narrow);
  EXPECT_EQ(item(a, "CapabilityBoundingSet=~CAP_SYS_ADMIN").exposure, 0);
  EXPECT_GT(item(a, "CapabilityBoundingSet=~(other capabilities)").exposure, 0);
  // "~" removes from the full set; the empty assignment is the empty set.
  UnitFile minus = unit("CapabilityBoundingSet=~CAP_SYS_ADMIN\n");
  Analysis m = run(nullptr, &minus);
  EXPECT_EQ(item(m, "CapabilityBoundingSet=~CAP_SYS_ADMIN").exposure, 0);
  EXPECT_EQ(item(m, "CapabilityBoundingSet=~CAP_SYS_PTRACE").exposure, 1);
  UnitFile none = unit("CapabilityBoundingSet=CAP_SYS_ADMIN\nCapabilityBoundingSet=\n");
  EXPECT_EQ(item(run(nullptr, &none), "CapabilityBoundingSet=~CAP_SYS_ADMIN").exposure, 0);
}

// The kernel-interface directives of a profile count for their items, and
// the groups other directives deny count as denied.
TEST(Analyze, SecurityDirectivesOfTheProfileCount) {
  Profile plain = shipped("network-service");
  Analysis before = run(&plain, nullptr);
  Profile hard = shipped("network-service",
                         "MemoryDenyWriteExecute=yes\nRestrictRealtime=yes\nRestrictSUIDSGID=yes\n"
                         "LockPersonality=yes\nRestrictAddressFamilies=AF_UNIX AF_INET\nProtectClock=yes\n"
                         "SystemCallFilter=@clock\n");
  Analysis after = run(&hard, nullptr);
  for (const char* name : {"MemoryDenyWriteExecute=", "RestrictRealtime=", "RestrictSUIDSGID=", "LockPersonality="}) {
    EXPECT_EQ(item(after, name).exposure, 0) << name;
    EXPECT_EQ(item(after, name).source, "profile") << name;
  }
  EXPECT_GT(item(before, "MemoryDenyWriteExecute=").exposure, 0);
  EXPECT_LT(item(after, "RestrictAddressFamilies=").exposure, item(before, "RestrictAddressFamilies=").exposure);
  // @clock is allowed by the filter line, denied by ProtectClock=.
  EXPECT_EQ(item(after, "SystemCallFilter=~@clock").exposure, 0);
  EXPECT_LT(after.score, before.score);
  Profile none = shipped("network-service", "RestrictAddressFamilies=none\n");
  EXPECT_EQ(item(run(&none, nullptr), "RestrictAddressFamilies=").exposure, 0);
}

TEST(Analyze, ProfileAndUnitCombineItemByItem) {
  Profile host = shipped("network-service");
  UnitFile u = unit("PrivateNetwork=yes\nMemoryDenyWriteExecute=yes\nMemoryMax=100M\n");
  Analysis both = run(&host, &u);
  // Both layers apply: the unit's private network and MDWE, the jail's user.
  EXPECT_EQ(item(both, "PrivateNetwork=").exposure, 0);
  EXPECT_EQ(item(both, "PrivateNetwork=").source, "unit");
  EXPECT_EQ(item(both, "MemoryDenyWriteExecute=").source, "unit");
  EXPECT_EQ(item(both, "MemoryMax=").exposure, 0);
  EXPECT_EQ(item(both, "User=").exposure, 0);
  EXPECT_EQ(item(both, "User=").source, "profile");
  EXPECT_LT(both.score, score(&host));
  EXPECT_LT(both.score, score(nullptr, &u));
}

// The identity family as the profile says it: DynamicUser= names the user
// item; PrivateUsers=identity/full map more of the host's ids than zjail's
// own map, and say so.
TEST(Analyze, ProfileIdentityDirectivesAreJudged) {
  Profile dyn = shipped("base-service", "DynamicUser=yes\n");
  Analysis a = run(&dyn, nullptr);
  EXPECT_EQ(item(a, "User=").setting, "DynamicUser=yes");
  EXPECT_EQ(item(a, "User=").source, "profile");
  EXPECT_EQ(item(a, "User=").exposure, 0);
  Profile plain = shipped("base-service");
  EXPECT_EQ(item(run(&plain, nullptr), "PrivateUsers=").source, "zjail");
  Profile full = shipped("base-service", "PrivateUsers=full\n");
  Analysis f = run(&full, nullptr);
  EXPECT_EQ(item(f, "PrivateUsers=").setting, "full");
  EXPECT_GT(item(f, "PrivateUsers=").exposure, 0);
  EXPECT_GT(f.score, score(&plain));
  Profile self = shipped("base-service", "PrivateUsers=self\n");
  EXPECT_EQ(item(run(&self, nullptr), "PrivateUsers=").source, "profile");
  EXPECT_EQ(item(run(&self, nullptr), "PrivateUsers=").exposure, 0);
}

TEST(Analyze, WrappingAPlainUnitLowersItsScore) {
  // The drop-ins reset the unit's sandboxing so zjail can build its jail:
  // what remains is the profile's.
  UnitFile wrapped = unit(
      "ExecStart=/usr/sbin/nginx\nExecStart=\nExecStart=/usr/bin/zjail --profile nginx -- /usr/sbin/nginx\n"
      "Delegate=yes\n");
  auto names = zjail_profiles_of(wrapped);
  ASSERT_EQ(names, std::vector<std::string>{"nginx"});
  Profile nginx = shipped("nginx");
  UnitFile plain = unit("ExecStart=/usr/sbin/nginx\n");
  EXPECT_LT(score(&nginx, &wrapped), score(nullptr, &plain));
}

TEST(Analyze, UnknownSyscallNamesInAUnitAreNotedNotFatal) {
  UnitFile u = unit("SystemCallFilter=~@no-such-group\n");
  Analysis a = run(nullptr, &u);
  ASSERT_EQ(a.notes.size(), 1u);
  EXPECT_THAT(a.notes[0], HasSubstr("@no-such-group"));
}

// The sockets zjail binds are the host's: a private network does not make a
// datagram socket harmless, and io_uring counts as closed unless reopened.
TEST(Analyze, PassedSocketsAndIoUring) {
  Profile quiet = shipped("base-service");
  EXPECT_EQ(item(run(&quiet, nullptr), "IPAddressDeny=").exposure, 0);
  Profile dgram = shipped("base-service", "ListenDatagram=127.0.0.1:5353\n");
  Analysis a = run(&dgram, nullptr);
  const auto& ip = item(a, "IPAddressDeny=");
  EXPECT_EQ(ip.exposure, 1);
  EXPECT_THAT(ip.reason, HasSubstr("ListenDatagram=")) << ip.reason;
  EXPECT_EQ(item(run(&quiet, nullptr), "SystemCallFilter=~@io-uring").exposure, 0);
  Profile uring = shipped("network-service", "RestrictIOUring=no\nSystemCallFilter=@io-uring\n");
  EXPECT_GT(item(run(&uring, nullptr), "SystemCallFilter=~@io-uring").exposure, 0);
}

// On the host's network, SocketConnect*= closes outgoing TCP to all but its
// ports where Landlock applies it: half the exposure, and said so.
TEST(Analyze, ConnectRulesNarrowTheHostsNetwork) {
  Profile open = shipped("network-service");
  EXPECT_EQ(item(run(&open, nullptr), "IPAddressDeny=").exposure, 1);
  Profile ruled = shipped("network-service", "SocketConnectDeny=any\nSocketConnectAllow=tcp:5432\n");
  Analysis a = run(&ruled, nullptr);
  const auto& ip = item(a, "IPAddressDeny=");
  if (landlock_abi() < 4) {
    EXPECT_EQ(ip.exposure, 1) << "not credited where the kernel cannot apply it";
    return;
  }
  EXPECT_EQ(ip.exposure, 0.5);
  EXPECT_THAT(ip.reason, HasSubstr("only ports 5432")) << ip.reason;
}

// Red team: systemd passes a socket-activated service the sockets of its
// .socket unit, into the same jail and with the same reach as the profile's
// own: a datagram socket sends anywhere the host reaches, and so does an
// MPTCP stream (SocketProtocol=mptcp: Landlock's TCP rule does not cover
// it). --analyze --unit reads only [Service], so such a unit scores
// "(private network) ... no route to any address" (on main, the shipped
// echo-activated unit with this .socket scored 0.3 SAFE).
TEST(Analyze, SocketActivatedSocketsCountLikeTheProfilesOwn) {
  std::string dir = ::testing::TempDir() + "zjail-analyze-" + std::to_string(getpid());
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/act.service") << "[Service]\nExecStart=/usr/bin/zjail --profile base-service /bin/true\n";
  std::ofstream(dir + "/act.socket") << "[Socket]\nListenDatagram=127.0.0.1:5353\n";
  auto u = load_unit(dir + "/act.service", {dir});
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(u) << u.error().message();
  Profile p = shipped("base-service");
  EXPECT_EQ(item(run(&p, &*u), "IPAddressDeny=").exposure, 1)
      << "a socket-activated datagram socket is the host's, as ListenDatagram= in the profile is";
}

// Unit settings that would stop zjail itself from starting inside the unit
// are named, each with the reason; a unit that lets zjail work gets none.
TEST(Analyze, UnitSettingsThatStopZjailAreNamed) {
  Profile limited = shipped("base-service", "MemoryMax=64M\n");
  UnitFile hardened = unit(
      "ExecStart=/usr/bin/zjail --profile base-service /bin/true\nRestrictNamespaces=yes\nPrivateUsers=yes\n"
      "CapabilityBoundingSet=CAP_NET_BIND_SERVICE\nSystemCallFilter=@system-service\n");
  auto notes = run(&limited, &hardened).notes;
  auto noted = [&](const std::string& part) {
    return std::any_of(notes.begin(), notes.end(), [&](const std::string& n) {
      return n.find("zjail cannot start inside test.service: ") == 0 && n.find(part) != std::string::npos;
    });
  };
  EXPECT_TRUE(noted("RestrictNamespaces=yes refuses the user mnt pid uts ipc net cgroup namespace(s)"));
  EXPECT_TRUE(noted("PrivateUsers=yes"));
  EXPECT_TRUE(noted("CapabilityBoundingSet= lacks cap_sys_admin"));
  EXPECT_TRUE(noted("SystemCallFilter= denies mount"));
  EXPECT_TRUE(noted("need Delegate=yes"));
  UnitFile fine = unit("ExecStart=/usr/bin/zjail --profile base-service /bin/true\nDelegate=yes\n"
                       "RestrictNamespaces=~time\n");
  for (const auto& n : run(&limited, &fine).notes) EXPECT_EQ(n.find("zjail cannot start"), std::string::npos) << n;
}

// The sandbox directives on zjail's root: they narrow what is bound.
TEST(Analyze, SandboxDirectivesNarrowTheBinds) {
  Profile rw = shipped("base-service", "BindPaths=/etc\n");
  EXPECT_GT(item(run(&rw, nullptr), "ProtectSystem=").exposure, 0);
  Profile full = shipped("base-service", "BindPaths=/etc\nProtectSystem=full\n");
  EXPECT_EQ(item(run(&full, nullptr), "ProtectSystem=").exposure, 0);
  Profile home = shipped("base-service", "BindPaths=/home\n");
  EXPECT_GT(item(run(&home, nullptr), "ProtectHome=").exposure, 0);
  Profile hidden = shipped("base-service", "BindPaths=/home\nProtectHome=yes\n");
  EXPECT_EQ(item(run(&hidden, nullptr), "ProtectHome=").exposure, 0);
  Profile api = shipped("base-service", "MountAPIVFS=yes\n");
  EXPECT_GT(item(run(&api, nullptr), "PrivateDevices=").exposure, 0) << "the host's /dev";
  EXPECT_GT(item(run(&api, nullptr), "ProtectKernelTunables=").exposure, 0) << "the host's /sys";
  Profile pdev = shipped("base-service", "MountAPIVFS=yes\nPrivateDevices=yes\nProtectKernelTunables=yes\n");
  EXPECT_EQ(item(run(&pdev, nullptr), "PrivateDevices=").exposure, 0);
}

// RootDirectory=/ is judged as systemd-analyze judges a unit for a user
// other than root, directive by directive.
TEST(Analyze, HostRootIsJudgedLikeAUnit) {
  Profile bare = shipped("base-service", "RootDirectory=/\nPrivateTmp=no\n");
  Profile tight = shipped("base-service",
                          "RootDirectory=/\nProtectSystem=strict\nProtectHome=yes\nPrivateTmp=yes\nPrivateDevices=yes\n"
                          "ProtectKernelTunables=yes\nProtectKernelLogs=yes\nProtectControlGroups=yes\n"
                          "ProtectKernelModules=yes\n");
  Analysis a = run(&bare, nullptr), b = run(&tight, nullptr);
  EXPECT_GT(item(a, "RootDirectory=").exposure, 0);
  for (const char* name : {"ProtectSystem=", "ProtectHome=", "PrivateTmp=", "PrivateDevices=", "ProtectKernelTunables=",
                           "ProtectKernelLogs=", "ProtectControlGroups="}) {
    EXPECT_GT(item(a, name).exposure, 0) << name;
    EXPECT_EQ(item(b, name).exposure, 0) << name;
  }
  EXPECT_EQ(item(b, "ReadWritePaths=").exposure, 0) << "strict with nothing writable";
  EXPECT_LT(b.score, a.score);
  // zjail's empty root stays better than the host's, however narrowed.
  Profile empty = shipped("base-service");
  EXPECT_LT(score(&empty), b.score);
}

TEST(Analyze, ImpliedFiltersAndCapabilities) {
  Profile caps = shipped("base-service", "CapabilityBoundingSet=CAP_SYS_MODULE CAP_SYSLOG\n");
  Profile protect = shipped("base-service", "CapabilityBoundingSet=CAP_SYS_MODULE CAP_SYSLOG\n"
                                            "ProtectKernelModules=yes\nProtectKernelLogs=yes\n");
  EXPECT_LT(item(run(&protect, nullptr), "CapabilityBoundingSet=~CAP_SYS_(MODULE|RAWIO|BOOT|TIME)").exposure,
            item(run(&caps, nullptr), "CapabilityBoundingSet=~CAP_SYS_(MODULE|RAWIO|BOOT|TIME)").exposure);
  Profile open = shipped("untrusted", "SystemCallFilter=\n");
  Profile modules = shipped("untrusted", "SystemCallFilter=\nProtectKernelModules=yes\nPrivateDevices=yes\n");
  EXPECT_GT(item(run(&open, nullptr), "SystemCallFilter=~@module").exposure, 0);
  EXPECT_EQ(item(run(&modules, nullptr), "SystemCallFilter=~@module").exposure, 0);
  EXPECT_EQ(item(run(&modules, nullptr), "SystemCallFilter=~@raw-io").exposure, 0);
}

}  // namespace
}  // namespace zjail
