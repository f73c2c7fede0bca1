// Explain mode's pure parts (explain_rules.cpp): the capability inference
// table, call by call, against the kernel's own checks; id maps; which
// directive a path the jail lacks is hidden by, and the bind suggested.
// The watch section's BPF against the filter without it; the runtime is
// the root tier's (tests/root/root_explain_test.cpp).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <linux/capability.h>
#include <netinet/in.h>
#include <signal.h>
#include <linux/audit.h>
#include <seccomp.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <initializer_list>

#include "zjail/denials.hpp"
#include "zjail/explain.hpp"
#include "zjail/plan.hpp"
#include "zjail/parser.hpp"

namespace zjail {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// A caller with uid/gid 1000 in a jail whose user namespace maps
// jail 0..65535 to host 100000.. (ids in facts are host ids, as zjail reads them).
constexpr uint32_t kBase = 100000;
CapFacts facts(const std::string& call, std::initializer_list<uint64_t> args, uint64_t effective = 0) {
  CapFacts f;
  f.call = call;
  size_t i = 0;
  for (uint64_t a : args) f.args[i++] = a;
  f.effective = effective;
  f.ruid = f.euid = f.suid = f.fsuid = kBase + 1000;
  f.rgid = f.egid = f.sgid = f.fsgid = kBase + 1000;
  f.uid_map = f.gid_map = {{0, kBase, 65536}};
  return f;
}
uint64_t cap(int c) { return 1ULL << c; }
constexpr uint64_t kMinus1 = 0xffffffffu;

int needed(const CapFacts& f) {
  auto n = capability_needed(f);
  return n ? n->cap : -1;
}

TEST(ExplainIdMap, TranslatesBothWaysAndKnowsTheUnmapped) {
  auto map = parse_id_map("         0     100000      65536\n     65536      5000          1\n");
  ASSERT_EQ(map.size(), 2u);
  EXPECT_EQ(id_inside(100000, map), 0u);
  EXPECT_EQ(id_inside(101000, map), 1000u);
  EXPECT_EQ(id_inside(5000, map), 65536u);
  EXPECT_FALSE(id_inside(0, map));
  EXPECT_FALSE(id_inside(165536, map));
  EXPECT_TRUE(id_mapped(65535, map));
  EXPECT_TRUE(id_mapped(65536, map));
  EXPECT_FALSE(id_mapped(65537, map));
  EXPECT_TRUE(parse_id_map("").empty());
}

TEST(ExplainCapabilities, BindBelowTheUnprivilegedPortsNeedsNetBindService) {
  auto f = facts("bind", {3});
  f.family = f.socket_family = AF_INET;
  f.port = 80;
  auto n = capability_needed(f);
  ASSERT_TRUE(n);
  EXPECT_EQ(n->cap, CAP_NET_BIND_SERVICE);
  EXPECT_EQ(n->err, EACCES);
  f.effective = cap(CAP_NET_BIND_SERVICE);
  EXPECT_EQ(needed(f), -1) << "it has the capability";
  f.effective = 0;
  f.port = 1024;
  EXPECT_EQ(needed(f), -1) << "an unprivileged port";
  f.port = 0;
  EXPECT_EQ(needed(f), -1) << "port 0 picks a free one";
  f.port = 80;
  f.unprivileged_port_start = 80;
  EXPECT_EQ(needed(f), -1) << "the host lowered ip_unprivileged_port_start";
  f.unprivileged_port_start = 1024;
  f.socket_family = -1;
  EXPECT_EQ(needed(f), -1) << "a socket of unknown family: not certain";
  f.family = f.socket_family = AF_UNIX;
  EXPECT_EQ(needed(f), -1);
  f.family = f.socket_family = AF_INET6;
  EXPECT_EQ(needed(f), CAP_NET_BIND_SERVICE);
}

TEST(ExplainCapabilities, SetuidToAnotherIdNeedsSetuidButNotToItsOwn) {
  EXPECT_EQ(needed(facts("setuid", {0})), CAP_SETUID);
  EXPECT_EQ(needed(facts("setuid", {1000})), -1);
  EXPECT_EQ(needed(facts("setuid", {0}, cap(CAP_SETUID))), -1);
  EXPECT_EQ(needed(facts("setuid", {kMinus1})), -1) << "EINVAL";
  EXPECT_EQ(needed(facts("setuid", {70000})), -1) << "unmapped in the namespace: EINVAL, capability or not";
  // setuid() may take the saved id, not the effective one alone.
  auto f = facts("setuid", {0});
  f.suid = kBase + 0;
  EXPECT_EQ(needed(f), -1);
  f = facts("setuid", {33});
  f.euid = kBase + 33;
  EXPECT_EQ(needed(f), CAP_SETUID) << "neither real nor saved";
  EXPECT_EQ(needed(facts("setgid", {0})), CAP_SETGID);
  EXPECT_EQ(needed(facts("setgid", {1000})), -1);
}

TEST(ExplainCapabilities, SetreuidAndSetresuidFollowTheKernelsRules) {
  EXPECT_EQ(needed(facts("setreuid", {kMinus1, 1000})), -1);
  EXPECT_EQ(needed(facts("setreuid", {kMinus1, 0})), CAP_SETUID);
  EXPECT_EQ(needed(facts("setresuid", {1000, 1000, 1000})), -1);
  EXPECT_EQ(needed(facts("setresuid", {kMinus1, kMinus1, 0})), CAP_SETUID);
  EXPECT_EQ(needed(facts("setresgid", {0, kMinus1, kMinus1})), CAP_SETGID);
  // setreuid's real id may be the effective one; setreuid's effective the saved one.
  auto f = facts("setreuid", {33, 44});
  f.euid = kBase + 33;
  f.suid = kBase + 44;
  EXPECT_EQ(needed(f), -1);
  f = facts("setreuid", {44, kMinus1});
  f.suid = kBase + 44;
  EXPECT_EQ(needed(f), CAP_SETUID) << "the real id may not become the saved one";
}

TEST(ExplainCapabilities, SetgroupsAlwaysNeedsSetgid) {
  EXPECT_EQ(needed(facts("setgroups", {0, 0})), CAP_SETGID);
  EXPECT_EQ(needed(facts("setgroups", {1, 0}, cap(CAP_SETGID))), -1);
}

TEST(ExplainCapabilities, ChownToAnotherOwnerNeedsChown) {
  auto f = facts("chown", {0, 0, kMinus1});
  EXPECT_EQ(needed(f), -1) << "nothing known of the file";
  f.file_known = true;
  f.file_uid = kBase + 1000;
  f.file_gid = kBase + 1000;
  EXPECT_EQ(needed(f), CAP_CHOWN);
  f.args[1] = 1000;
  EXPECT_EQ(needed(f), -1) << "its own file, its own uid";
  f.args[1] = kMinus1;
  f.args[2] = 50;
  EXPECT_EQ(needed(f), CAP_CHOWN) << "a group it is not in";
  f.groups = {kBase + 50};
  EXPECT_EQ(needed(f), -1) << "a group it is in";
  f.file_uid = kBase + 0;
  EXPECT_EQ(needed(f), CAP_CHOWN) << "not its file";
  f.effective = cap(CAP_CHOWN);
  EXPECT_EQ(needed(f), -1);
  // fchownat's ids are its 3rd and 4th arguments.
  auto g = facts("fchownat", {3, 0, 0, kMinus1, 0});
  g.file_known = true;
  g.file_uid = g.file_gid = kBase + 1000;
  EXPECT_EQ(needed(g), CAP_CHOWN);
  g.file_uid = 7;  // unmapped: the capability would not help either
  EXPECT_EQ(needed(g), -1);
}

TEST(ExplainCapabilities, ChmodOfAnothersFileNeedsFowner) {
  auto f = facts("chmod", {0, 0644});
  f.file_known = true;
  f.file_uid = f.file_gid = kBase + 0;
  EXPECT_EQ(needed(f), CAP_FOWNER);
  f.file_uid = kBase + 1000;
  EXPECT_EQ(needed(f), -1);
}

TEST(ExplainCapabilities, KillOfAnotherUsersProcessNeedsKill) {
  auto f = facts("kill", {7, SIGTERM});
  EXPECT_EQ(needed(f), -1) << "target unknown";
  f.target_known = true;
  f.target_ruid = f.target_suid = kBase + 0;
  EXPECT_EQ(needed(f), CAP_KILL);
  f.args[1] = SIGCONT;
  EXPECT_EQ(needed(f), -1) << "SIGCONT within the session";
  f.args[1] = SIGTERM;
  f.target_suid = kBase + 1000;
  EXPECT_EQ(needed(f), -1) << "its saved uid is the sender's";
  f.target_suid = kBase + 0;
  f.args[0] = static_cast<uint64_t>(-1);
  EXPECT_EQ(needed(f), -1) << "kill(-1): every process it may signal";
  f.args[0] = 7;
  f.effective = cap(CAP_KILL);
  EXPECT_EQ(needed(f), -1);
}

TEST(ExplainCapabilities, MknodOfADeviceNeedsMknod) {
  auto f = facts("mknod", {0, S_IFCHR | 0600, makedev(1, 3)});
  EXPECT_EQ(needed(f), -1) << "the name may be taken";
  f.path_ok = true;
  EXPECT_EQ(needed(f), CAP_MKNOD);
  f.args[2] = 0;
  EXPECT_EQ(needed(f), -1) << "a whiteout (0:0) needs nothing";
  f.args[1] = S_IFIFO | 0600;
  EXPECT_EQ(needed(f), -1) << "a fifo needs nothing";
  auto g = facts("mknodat", {3, 0, S_IFBLK | 0600, makedev(8, 0)});
  g.path_ok = true;
  EXPECT_EQ(needed(g), CAP_MKNOD);
}

TEST(ExplainCapabilities, RawSocketsAndChrootAndLimits) {
  EXPECT_EQ(needed(facts("socket", {AF_PACKET, SOCK_RAW, 0})), CAP_NET_RAW);
  EXPECT_EQ(needed(facts("socket", {AF_INET, SOCK_RAW, IPPROTO_ICMP})), CAP_NET_RAW);
  EXPECT_EQ(needed(facts("socket", {AF_INET, SOCK_RAW, 0})), -1) << "EPROTONOSUPPORT first";
  EXPECT_EQ(needed(facts("socket", {AF_INET, SOCK_DGRAM, IPPROTO_ICMP})), -1) << "a ping socket";
  EXPECT_EQ(needed(facts("socket", {AF_INET, SOCK_STREAM, 0})), -1);
  auto c = facts("chroot", {0});
  EXPECT_EQ(needed(c), -1);
  c.path_ok = true;
  EXPECT_EQ(needed(c), CAP_SYS_CHROOT);
  auto l = facts("setrlimit", {7, 0});
  l.limit_known = true;
  l.hard_now = 4096;
  l.want_soft = l.want_hard = 8192;
  EXPECT_EQ(needed(l), CAP_SYS_RESOURCE);
  l.want_hard = 4096;
  l.want_soft = 4096;
  EXPECT_EQ(needed(l), -1) << "not above the hard limit";
  l.want_soft = 8192;
  EXPECT_EQ(needed(l), -1) << "soft above hard: EINVAL";
}

TEST(ExplainCapabilities, CallsOutsideTheTableAreNeverExplained) {
  EXPECT_EQ(needed(facts("read", {0, 0, 0})), -1);
  EXPECT_EQ(needed(facts("connect", {3, 0, 16})), -1);
}

Profile profile(const std::string& text) {
  Profile p;
  auto st = load_profile_text(p, "[Jail]\n" + text, "t.profile", {}, ProfileTrust::any());
  EXPECT_TRUE(st) << st.error().message();
  return p;
}

Plan plan_of(const Profile& p) {
  PlanContext c;
  c.cwd = "/";
  auto plan = check_plan(p, c);
  EXPECT_TRUE(plan) << (plan ? "" : plan.error().message());
  return plan ? std::move(*plan) : Plan{};
}

TEST(ExplainCapabilities, TheTextNamesTheDirectiveAndItsLine) {
  Profile p = profile("CapabilityBoundingSet=CAP_CHOWN\n");
  Plan plan = plan_of(p);
  std::string t = capability_text({CAP_NET_BIND_SERVICE, EACCES}, plan, p, 80);
  EXPECT_THAT(t, HasSubstr("needs CAP_NET_BIND_SERVICE, which CapabilityBoundingSet= (t.profile:2) does not keep"));
  EXPECT_THAT(t, HasSubstr("or use ListenStream=80"));
  EXPECT_THAT(t, HasSubstr("ListenViaBind=yes"));
  std::string none = capability_text({CAP_SETUID, EPERM}, plan_of(profile("")), profile(""), 0);
  EXPECT_THAT(none, HasSubstr("which CapabilityBoundingSet= does not keep (the jail keeps no capabilities)"));
  EXPECT_THAT(none, HasSubstr("User="));
  Profile q = profile("CapabilityBoundingSet=CAP_NET_BIND_SERVICE\n");
  EXPECT_THAT(capability_text({CAP_NET_BIND_SERVICE, EACCES}, plan_of(q), q, 80),
              HasSubstr("AmbientCapabilities= does not grant (CapabilityBoundingSet= keeps it)"));
}

TEST(ExplainPaths, AMissingPathOnTheEmptyRootSuggestsABind) {
  Profile p = profile("BindReadOnlyPaths=/usr\n");
  Plan plan = plan_of(p);
  auto w = path_why(plan, p, "/etc/nginx/nginx.conf", false, false, false, false);
  ASSERT_TRUE(w);
  EXPECT_FALSE(w->hidden);
  EXPECT_EQ(w->text, "not in the jail, but on the host: add BindReadOnlyPaths=/etc/nginx (or the file)");
  // Its directory is there (or a top-level one): the file itself.
  w = path_why(plan, p, "/etc/nginx/nginx.conf", false, true, false, false);
  EXPECT_EQ(w->text, "not in the jail, but on the host: add BindReadOnlyPaths=/etc/nginx/nginx.conf");
  w = path_why(plan, p, "/etc/hostname", false, false, false, false);
  EXPECT_EQ(w->text, "not in the jail, but on the host: add BindReadOnlyPaths=/etc/hostname");
  w = path_why(plan, p, "/var/lib/app", true, false, true, false);
  EXPECT_EQ(w->text, "not in the jail, but on the host: add BindPaths=/var/lib/app");
}

// The path is the payload's: a name it made on the host (through a
// writable bind) with a newline or an escape stays escaped in the line.
TEST(ExplainPaths, APathWithControlBytesIsEscapedInTheSuggestion) {
  Profile p = profile("BindReadOnlyPaths=/usr\nBindReadOnlyPaths=/etc:/srv/etc\n");
  Plan plan = plan_of(p);
  auto w = path_why(plan, p, "/var/lib/d\nzjail: forged\x1b[2J/f", false, false, false, false);
  ASSERT_TRUE(w);
  EXPECT_EQ(w->text, "not in the jail, but on the host: add BindReadOnlyPaths=/var/lib/d\\x0azjail: forged\\x1b[2J "
                     "(or the file)");
  w = path_why(plan, p, "/var/lib/x\ny", false, true, false, false);
  EXPECT_EQ(w->text, "not in the jail, but on the host: add BindReadOnlyPaths=/var/lib/x\\x0ay");
  w = path_why(plan, p, "/srv/etc/a\x1b[31m", false, true, false, false);
  ASSERT_TRUE(w);
  EXPECT_THAT(w->text, HasSubstr("the host has it at /srv/etc/a\\x1b[31m"));
}

TEST(ExplainPaths, HiddenPathsNameTheDirectiveThatHidesThem) {
  Profile p = profile("BindReadOnlyPaths=/usr\nInaccessiblePaths=/usr/share\nTemporaryFileSystem=/var\n"
                      "BindReadOnlyPaths=/etc:/srv/etc\n");
  Plan plan = plan_of(p);
  auto w = path_why(plan, p, "/usr/share/doc", true, true, false, false);
  ASSERT_TRUE(w);
  EXPECT_TRUE(w->hidden);
  EXPECT_EQ(w->text, "hidden by InaccessiblePaths=/usr/share (t.profile:3)");
  EXPECT_EQ(w->directive, "InaccessiblePaths=");
  w = path_why(plan, p, "/usr/share", true, true, false, true);
  ASSERT_TRUE(w) << "the inaccessible node itself";
  EXPECT_THAT(w->text, HasSubstr("InaccessiblePaths=/usr/share"));
  EXPECT_FALSE(path_why(plan, p, "/usr/lib", true, true, false, true)) << "there, and nothing hides it";
  w = path_why(plan, p, "/var/lib/x", false, true, false, false);
  ASSERT_TRUE(w);
  EXPECT_TRUE(w->hidden);
  EXPECT_THAT(w->text, HasSubstr("hidden by TemporaryFileSystem=/var (t.profile:4)"));
  w = path_why(plan, p, "/srv/etc/nginx", true, true, false, false);
  ASSERT_TRUE(w);
  EXPECT_THAT(w->text, HasSubstr("/srv/etc is bound from /etc (t.profile:5)"));
}

TEST(ExplainPaths, ProtectHomeAndPrivateTmpAreNamed) {
  Profile p = profile("RootDirectory=/\nProtectHome=yes\nPrivateTmp=yes\n");
  Plan plan = plan_of(p);
  auto w = path_why(plan, p, "/root/.profile", false, true, false, false);
  ASSERT_TRUE(w);
  EXPECT_THAT(w->text, HasSubstr("hidden by ProtectHome=yes (t.profile:3)"));
  w = path_why(plan, p, "/tmp/x", false, true, false, false);
  ASSERT_TRUE(w);
  EXPECT_THAT(w->text, HasSubstr("hidden by PrivateTmp= (t.profile:4)"));
}

TEST(ExplainPaths, TheHostsRootIsNoMissingBind) {
  Profile p = profile("RootDirectory=/\n");
  EXPECT_FALSE(path_why(plan_of(p), p, "/etc/x", false, true, false, false));
  EXPECT_TRUE(zjail_own_tree("/proc/self/status"));
  EXPECT_TRUE(zjail_own_tree("/dev"));
  EXPECT_FALSE(zjail_own_tree("/devices"));
}

TEST(ExplainPaths, HostReadableFollowsTheModeBits) {
  EXPECT_TRUE(host_readable("/", 65534, 65534, {}));
  EXPECT_TRUE(host_readable("/etc/passwd", 65534, 65534, {}));
  struct stat st{};
  if (stat("/etc/shadow", &st) == 0 && !(st.st_mode & S_IROTH)) {
    EXPECT_FALSE(host_readable("/etc/shadow", 65534, 65534, {}));
  }
  EXPECT_FALSE(host_readable("/no/such/path", 0, 0, {}));
  EXPECT_TRUE(host_readable("/etc/passwd", 0, 0, {}));
}

// Walked a name at a time: symlinks as their text, ".." after them as the
// kernel takes it, and a file in the middle of a path is no directory.
TEST(ExplainPaths, HostReadableWalksSymlinksAsTheKernelDoes) {
  char dir[] = "/tmp/zjail-explain-unit-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  chmod(dir, 0755);
  const std::string d = dir;
  ASSERT_EQ(symlink("/etc", (d + "/l").c_str()), 0);
  struct stat st{};
  EXPECT_TRUE(host_readable(d + "/l/passwd", 65534, 65534, {}, &st));
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_TRUE(host_readable(d + "/l/../etc", 65534, 65534, {}, &st)) << "/etc/.. is /";
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_FALSE(host_readable(d + "/l/passwd/x", 65534, 65534, {}));
  EXPECT_FALSE(host_readable(d + "/l/nonexistent", 65534, 65534, {}));
  unlink((d + "/l").c_str());
  rmdir(dir);
}

// The watch section only ever adds SECCOMP_RET_USER_NOTIF (the Explainer
// then answers as the filters would): for every call number, native or
// x32, with and without AT_EMPTY_PATH, the filter with it returns what the
// filter without it does, or USER_NOTIF; calls of another ABI are killed
// before it. And the enforcing launch has no such section.
TEST(ExplainFilter, TheWatchSectionOnlyRoutesToTheListenerAndOnlyUnderExplain) {
  Profile p = profile("SystemCallFilter=@system-service\nSystemCallFilter=~@privileged @resources\n"
                      "SystemCallErrorNumber=EPERM\nRestrictAddressFamilies=AF_UNIX AF_INET\n");
  PlanContext c;
  c.cwd = "/";
  auto enforcing = check_plan(p, c);
  ASSERT_TRUE(enforcing) << enforcing.error().message();
  c.explain = true;
  auto plain = check_plan(p, c);
  ASSERT_TRUE(plain) << plain.error().message();
  // As a launch with namespaces plans it (plan.cpp): the merged filter.
  if (enforcing->seccomp_notify.empty()) {
    ASSERT_TRUE(plan_denials(*enforcing, false));
  }
  if (plain->seccomp_notify.empty()) {
    ASSERT_TRUE(plan_denials(*plain, true));
  }
  const std::vector<sock_filter> without_section = plain->seccomp_notify;
  ASSERT_TRUE(plan_explain(*plain));
  const std::vector<sock_filter>& with_section = plain->seccomp_notify;
  ASSERT_GT(with_section.size(), without_section.size());

  seccomp_data d{};
  d.arch = seccomp_arch_native();
  d.nr = SYS_openat;
  EXPECT_EQ(run_bpf(enforcing->seccomp_notify, d), SECCOMP_RET_ALLOW) << "no watch section without --explain";
  EXPECT_EQ(run_bpf(with_section, d), SECCOMP_RET_USER_NOTIF);

  int routed = 0;
  for (uint32_t base : {0u, 0x40000000u})
    for (uint32_t nr = 0; nr < 600; ++nr)
      for (uint64_t flags : {uint64_t{0}, uint64_t{AT_EMPTY_PATH}, ~uint64_t{0}}) {
        seccomp_data x{};
        x.arch = seccomp_arch_native();
        x.nr = static_cast<int>(base | nr);
        for (auto& a : x.args) a = flags;
        uint32_t without = run_bpf(without_section, x), with = run_bpf(with_section, x);
        if (with != without) {
          EXPECT_EQ(with, SECCOMP_RET_USER_NOTIF) << "call " << x.nr;
          EXPECT_EQ(base, 0u) << "an x32 call reached the watch section: " << x.nr;
          ++routed;
        }
      }
  EXPECT_GT(routed, 40) << "the path and capability calls";
  seccomp_data other{};
  other.arch = AUDIT_ARCH_I386;
  other.nr = 5;  // i386 open
  EXPECT_EQ(run_bpf(with_section, other), SECCOMP_RET_KILL_PROCESS);
}

TEST(ExplainLine, ReadsAsOneLine) {
  Explanation e;
  e.call = "openat(\"/etc/nginx/nginx.conf\")";
  e.pid = 3;
  e.comm = "nginx";
  e.text = "not in the jail, but on the host: add BindReadOnlyPaths=/etc/nginx (or the file)";
  EXPECT_EQ(e.line(), "explain: openat(\"/etc/nginx/nginx.conf\") in pid 3 (nginx): not in the jail, but on the "
                      "host: add BindReadOnlyPaths=/etc/nginx (or the file)");
  Explanation s;
  s.repeats = 2;
  EXPECT_THAT(s.line(), HasSubstr("2 more findings not shown"));
  EXPECT_THAT(s.line(), Not(HasSubstr("\n")));
}

}  // namespace
}  // namespace zjail
