// build_plan(): identity and id maps, the mount table, capabilities, the
// environment and command resolution. No privileges needed.
// GCC 12 reports a false maybe-uninitialized for std::optional<std::string>
// members of a default-constructed Profile at -O2 (GCC bug 105562 family).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <pwd.h>
#include <sys/mount.h>
#include <cstring>
#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>

#include "zjail/plan.hpp"
#include "zjail/profile.hpp"
#include "zjail/users.hpp"

extern char** environ;

namespace zjail {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

Origin at(int line) { return Origin{"test.profile", line}; }

PlanContext root_ctx() {
  PlanContext c;
  c.invoker_uid = 0;
  c.invoker_gid = 0;
  c.cwd = "/";
  return c;
}

Result<Plan> plan_for(const Profile& p, const PlanContext& c = root_ctx(),
                      std::vector<std::string> cmd = {"/bin/true"}) {
  return build_plan(p, cmd, c);
}

const MountOp* find_mount(const Plan& plan, const std::string& target) {
  for (const auto& m : plan.mounts)
    if (m.target == target) return &m;
  return nullptr;
}

size_t index_of(const Plan& plan, const std::string& target) {
  for (size_t i = 0; i < plan.mounts.size(); ++i)
    if (plan.mounts[i].target == target) return i;
  return plan.mounts.size();
}

bool has_env(const Plan& plan, const std::string& kv) {
  return std::find(plan.envp_storage.begin(), plan.envp_storage.end(), kv) != plan.envp_storage.end();
}

// This host's nobody (65534 on Debian and most others, not everywhere).
std::optional<std::pair<uid_t, gid_t>> nobody() {
  passwd* pw = getpwnam("nobody");
  if (!pw) return std::nullopt;
  return std::make_pair(pw->pw_uid, pw->pw_gid);
}

TEST(PlanIdentity, RootDefaultsToNobodyMappedToItself) {
  auto who = nobody();
  if (!who) GTEST_SKIP() << "\n*** this host has no user 'nobody', root's default payload user ***";
  auto [uid, gid] = *who;
  auto plan = plan_for(Profile{});
  ASSERT_TRUE(plan) << plan.error().message();
  EXPECT_EQ(plan->uid, uid);
  EXPECT_EQ(plan->idmap.uid_map, "0 0 1\n" + std::to_string(uid) + " " + std::to_string(uid) + " 1\n");
  EXPECT_EQ(plan->idmap.gid_map, "0 0 1\n" + std::to_string(gid) + " " + std::to_string(gid) + " 1\n");
  EXPECT_FALSE(plan->idmap.deny_setgroups);
}

TEST(PlanIdentity, SupplementaryGroupsAreMappedOnce) {
  auto who = nobody();
  if (!who) GTEST_SKIP() << "\n*** this host has no user 'nobody' ***";
  gid_t gid = who->second;
  if (gid == 42 || gid == 100) GTEST_SKIP() << "\n*** nobody's group here is " << gid << ", one of the test's ***";
  Profile p;
  p.user.value = "nobody";
  p.supplementary_groups.push_back({"100", at(3)});
  p.supplementary_groups.push_back({"100", at(4)});
  p.supplementary_groups.push_back({"42", at(5)});
  auto plan = plan_for(p);
  ASSERT_TRUE(plan) << plan.error().message();
  EXPECT_EQ(plan->groups, (std::vector<gid_t>{100, 42}));
  // Every gid once, in order (a std::set in plan.cpp); nobody's own group too.
  std::set<gid_t> gids{42, 100, gid};
  std::string want = "0 0 1\n";
  for (gid_t g : gids) want += std::to_string(g) + " " + std::to_string(g) + " 1\n";
  EXPECT_EQ(plan->idmap.gid_map, want);
}

TEST(PlanIdentity, RootPayloadIsRefused) {
  Profile p;
  p.user.value = "root";
  p.user.origin = at(7);
  auto plan = plan_for(p);
  ASSERT_FALSE(plan);
  EXPECT_EQ(plan.error().step, Step::ResolveUser);
  EXPECT_THAT(plan.error().context, HasSubstr("test.profile:7: User=root"));
}

// Host gid 0 opens root's group-owned files, as uid 0 would root's own:
// refused like User=root, in Group= and in SupplementaryGroups= alike.
TEST(PlanIdentity, RootGroupIsRefused) {
  Profile g;
  g.group.value = "root";
  g.group.origin = at(4);
  auto plan = plan_for(g);
  ASSERT_FALSE(plan);
  EXPECT_EQ(plan.error().step, Step::ResolveUser);
  EXPECT_THAT(plan.error().context, HasSubstr("test.profile:4: gid 0 (root)")) << plan.error().message();
  Profile s;
  s.supplementary_groups.push_back({"100", at(5)});
  s.supplementary_groups.push_back({"0", at(6)});
  auto plan2 = plan_for(s);
  ASSERT_FALSE(plan2);
  EXPECT_THAT(plan2.error().context, HasSubstr("test.profile:6: SupplementaryGroups=0"))
      << plan2.error().message();
}

TEST(PlanIdentity, UnknownUserNamesTheDirective) {
  Profile p;
  p.user.value = "no-such-user-zjail";
  p.user.origin = at(9);
  auto plan = plan_for(p);
  ASSERT_FALSE(plan);
  EXPECT_EQ(plan.error().context, "test.profile:9: unknown user 'no-such-user-zjail'");
  Profile g;
  g.group.value = "no-such-group-zjail";
  g.group.origin = at(2);
  auto plan2 = plan_for(g);
  ASSERT_FALSE(plan2);
  EXPECT_EQ(plan2.error().context, "test.profile:2: unknown group 'no-such-group-zjail'");
}

TEST(PlanIdentity, UnprivilegedMapsOnlyItself) {
  PlanContext c = root_ctx();
  c.invoker_uid = 1234;
  c.invoker_gid = 1235;
  auto plan = plan_for(Profile{}, c);
  ASSERT_TRUE(plan) << plan.error().message();
  EXPECT_EQ(plan->uid, 1234u);
  EXPECT_EQ(plan->gid, 1235u);
  EXPECT_EQ(plan->idmap.uid_map, "1234 1234 1\n");
  EXPECT_EQ(plan->idmap.gid_map, "1235 1235 1\n");
  EXPECT_TRUE(plan->idmap.deny_setgroups);

  Profile other;
  other.user.value = "nobody";
  other.user.origin = at(1);
  auto refused = plan_for(other, c);
  ASSERT_FALSE(refused);
  EXPECT_THAT(refused.error().context, HasSubstr("needs root"));
}

TEST(PlanMounts, SystemMountsAndOrdering) {
  Profile p;
  p.binds.push_back({Bind{"/usr/share", "/data/share", true}, at(1)});
  p.binds.push_back({Bind{"/usr", "/data", false}, at(2)});
  auto plan = plan_for(p);
  ASSERT_TRUE(plan) << plan.error().message();
  // A parent is always mounted before what lies beneath it.
  EXPECT_LT(index_of(*plan, "data"), index_of(*plan, "data/share"));
  EXPECT_LT(index_of(*plan, "proc"), index_of(*plan, "proc/sys"));
  EXPECT_LT(index_of(*plan, "dev"), index_of(*plan, "dev/pts"));
  for (const char* t : {"tmp", "proc", "dev", "dev/null", "dev/urandom", "dev/pts", "dev/shm", "dev/ptmx"})
    EXPECT_NE(find_mount(*plan, t), nullptr) << t;

  const MountOp* ro = find_mount(*plan, "data/share");
  ASSERT_NE(ro, nullptr);
  EXPECT_EQ(ro->attr, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
  EXPECT_EQ(ro->origin, "test.profile:1");
  EXPECT_EQ(find_mount(*plan, "data")->attr, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
  EXPECT_TRUE(find_mount(*plan, "proc/sys")->attr & MOUNT_ATTR_RDONLY);
  // Device nodes keep working (no nodev) but can never carry setuid bits.
  EXPECT_EQ(find_mount(*plan, "dev/null")->attr, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC);
}

TEST(PlanMounts, ProcOptionsFollowProtectProcAndProcSubset) {
  Profile p;
  auto plan = plan_for(p);
  ASSERT_TRUE(plan);
  auto opts = find_mount(*plan, "proc")->options;
  EXPECT_EQ(opts, (std::vector<std::pair<std::string, std::string>>{{"hidepid", "invisible"}}));
  p.protect_proc.value = ProtectProc::Noaccess;
  p.proc_subset.value = ProcSubset::Pid;
  plan = plan_for(p);
  ASSERT_TRUE(plan);
  opts = find_mount(*plan, "proc")->options;
  EXPECT_EQ(opts, (std::vector<std::pair<std::string, std::string>>{{"hidepid", "noaccess"},
                                                                   {"subset", "pid"}}));
}

TEST(PlanMounts, PrivateTmpAndTmpfsOptions) {
  Profile p;
  p.sandbox.private_tmp.value = PrivateTmp::No;
  auto plan = plan_for(p);
  ASSERT_TRUE(plan);
  EXPECT_EQ(find_mount(*plan, "tmp"), nullptr);

  Profile q;
  q.tmpfs.push_back({Tmpfs{"/tmp", "mode=0700,size=1m,noexec,ro"}, at(4)});
  plan = plan_for(q);
  ASSERT_TRUE(plan);
  // The profile's tmpfs replaces the private one; "ro" turns it read-only
  // last, once whatever is mounted in it has its mount point there.
  EXPECT_EQ(std::count_if(plan->mounts.begin(), plan->mounts.end(),
                          [](const MountOp& m) { return m.target == "tmp" && m.kind == MountOp::Kind::Tmpfs; }), 1);
  const MountOp* t = find_mount(*plan, "tmp");
  EXPECT_EQ(t->attr, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
  EXPECT_EQ(t->options, (std::vector<std::pair<std::string, std::string>>{{"mode", "0700"}, {"size", "1m"}}));
  const MountOp& last = plan->mounts.back();
  EXPECT_EQ(last.kind, MountOp::Kind::Attr);
  EXPECT_EQ(last.target, "tmp");
  EXPECT_EQ(last.attr, MOUNT_ATTR_RDONLY);
  EXPECT_FALSE(last.recursive);
}

TEST(PlanMounts, RefusesTargetsZjailOwnsOrThatEscape) {
  for (const char* target : {"/", "/proc", "/proc/sys", "/dev", "relative", "/a/../../etc"}) {
    Profile p;
    p.binds.push_back({Bind{"/usr", target, true}, at(11)});
    auto plan = plan_for(p);
    ASSERT_FALSE(plan) << target;
    EXPECT_EQ(plan.error().context.rfind("test.profile:11: ", 0), 0u) << plan.error().context;
  }
  Profile p;
  p.binds.push_back({Bind{"usr", "/usr", true}, at(12)});
  EXPECT_FALSE(plan_for(p));
  Profile q;
  q.binds.push_back({Bind{"/usr", "/dev/fuse-like", true}, at(13)});
  EXPECT_TRUE(plan_for(q));
}

TEST(PlanCapabilities, AmbientImpliesBoundingUnlessBoundingIsExplicit) {
  Profile p;
  p.ambient_capabilities.is_set = true;
  p.ambient_capabilities.names.push_back({"CAP_NET_BIND_SERVICE", at(1)});
  auto plan = plan_for(p);
  ASSERT_TRUE(plan) << plan.error().message();
  EXPECT_EQ(plan->ambient, 1ULL << 10);
  EXPECT_EQ(plan->bounding, 1ULL << 10);

  p.capability_bounding_set.is_set = true;
  p.capability_bounding_set.names.push_back({"CAP_CHOWN", at(2)});
  plan = plan_for(p);
  ASSERT_FALSE(plan);
  EXPECT_THAT(plan.error().context, HasSubstr("not in CapabilityBoundingSet="));

  Profile none;
  plan = plan_for(none);
  ASSERT_TRUE(plan);
  EXPECT_EQ(plan->ambient, 0u);
  EXPECT_EQ(plan->bounding, 0u);
  EXPECT_FALSE(plan->seccomp.empty());
}

TEST(PlanEnvironment, CleanThenEnvironmentPassAndUnset) {
  setenv("ZJAIL_TEST_PASSED", "yes", 1);
  setenv("ZJAIL_TEST_LEAK", "no", 1);
  PlanContext c = root_ctx();
  c.environ = ::environ;
  Profile p;
  p.environment.push_back({"A=1", at(1)});
  p.environment.push_back({"A=2", at(2)});
  p.environment.push_back({"B=x", at(3)});
  p.environment.push_back({"C=y", at(3)});
  p.pass_environment.push_back({"ZJAIL_TEST_PASSED", at(4)});
  p.unset_environment.push_back({"B", at(5)});
  p.unset_environment.push_back({"C=z", at(6)});  // only an exact KEY=VALUE is removed
  auto plan = plan_for(p, c);
  ASSERT_TRUE(plan) << plan.error().message();
  EXPECT_TRUE(has_env(*plan, "A=2"));
  EXPECT_FALSE(has_env(*plan, "A=1"));
  EXPECT_FALSE(has_env(*plan, "B=x"));
  EXPECT_TRUE(has_env(*plan, "C=y"));
  EXPECT_TRUE(has_env(*plan, "ZJAIL_TEST_PASSED=yes"));
  EXPECT_FALSE(has_env(*plan, "ZJAIL_TEST_LEAK=no"));
  EXPECT_TRUE(has_env(*plan, "USER=nobody"));
  EXPECT_EQ(plan->envp.back(), nullptr);
  EXPECT_EQ(plan->envp.size(), plan->envp_storage.size() + 1);
}

TEST(PlanCommand, PathsBareNamesAndErrors) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("zjail-plan-" + std::to_string(getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "script") << "#!/bin/sh\nexit 0\n";
  fs::permissions(dir / "script", fs::perms::owner_all);
  std::ofstream(dir / "data") << "not a program\n";
  PlanContext c = root_ctx();
  c.cwd = dir.string();

  auto plan = plan_for(Profile{}, c, {"./script", "arg"});
  ASSERT_TRUE(plan) << plan.error().message();
  // A script is bound read-only and run by its path in the jail: no fd of
  // the host file reaches the payload.
  EXPECT_FALSE(plan->exec_fd.valid());
  EXPECT_EQ(plan->exec_candidates, (std::vector<std::string>{"/run/host/command/script"}));
  const MountOp* bound = find_mount(*plan, "run/host/command/script");
  ASSERT_NE(bound, nullptr);
  EXPECT_EQ(bound->kind, MountOp::Kind::Bind);
  EXPECT_EQ(bound->resolved_source, (dir / "script").string());
  EXPECT_TRUE(bound->attr & MOUNT_ATTR_RDONLY);
  EXPECT_EQ(plan->argv_storage, (std::vector<std::string>{"./script", "arg"}));
  auto elf = plan_for(Profile{}, c, {"/bin/true"});
  ASSERT_TRUE(elf);
  EXPECT_TRUE(elf->exec_fd.valid());

  auto missing = plan_for(Profile{}, c, {"./missing"});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().step, Step::ResolveCommand);
  EXPECT_EQ(missing.error().err, ENOENT);

  auto noexec = plan_for(Profile{}, c, {"./data"});
  ASSERT_FALSE(noexec);
  EXPECT_EQ(noexec.error().err, EACCES);

  auto bare = plan_for(Profile{}, c, {"sh"});
  ASSERT_TRUE(bare);
  EXPECT_FALSE(bare->exec_fd.valid());
  ASSERT_FALSE(bare->exec_candidates.empty());
  EXPECT_EQ(bare->exec_candidates.front(), "/usr/local/sbin/sh");
  fs::remove_all(dir);
}

// A failed setrlimit names the directive and its line, as a failed mount does.
TEST(PlanLimits, EachLimitKnowsItsOrigin) {
  Profile p;
  p.limits[RLIMIT_NOFILE] = {Limit{64, 128, "LimitNOFILE"}, at(3)};
  p.limits[RLIMIT_CORE] = {Limit{0, 0, "LimitCORE"}, Origin{"<command line>", 1}};
  auto plan = plan_for(p);
  ASSERT_TRUE(plan) << plan.error().message();
  ASSERT_EQ(plan->rlimits.size(), 2u);
  for (const auto& l : plan->rlimits) {
    if (l.resource == RLIMIT_NOFILE) {
      EXPECT_EQ(l.origin, "LimitNOFILE= (test.profile:3)");
      EXPECT_EQ(l.soft, 64u);
      EXPECT_EQ(l.hard, 128u);
    } else {
      EXPECT_EQ(l.resource, RLIMIT_CORE);
      EXPECT_EQ(l.origin, "LimitCORE= (<command line>:1)");
    }
  }
}

TEST(PlanListen, BindsSocketsAndSetsActivationVariables) {
  namespace fs = std::filesystem;
  fs::path sock = fs::temp_directory_path() / ("zjail-listen-" + std::to_string(getpid()));
  Profile p;
  p.listen_stream.push_back({sock.string(), at(1)});
  p.listen_datagram.push_back({"127.0.0.1:0", at(2)});
  auto bad = plan_for(p);
  ASSERT_FALSE(bad);  // port 0 is not a port one can announce
  EXPECT_EQ(bad.error().step, Step::Listen);
  EXPECT_THAT(bad.error().context, HasSubstr("test.profile:2"));
  fs::remove(sock);

  p.listen_datagram.clear();
  auto plan = plan_for(p);
  ASSERT_TRUE(plan) << plan.error().message();
  EXPECT_EQ(plan->pass_fds.size(), 1u);
  EXPECT_TRUE(has_env(*plan, "LISTEN_FDS=1"));
  EXPECT_TRUE(has_env(*plan, "LISTEN_PID=2"));
  fs::remove(sock);
}

// Regression: a unix socket left by an earlier run (the jail's daemon or
// zjail itself gone) made every restart fail with EADDRINUSE. A stale socket
// is replaced, as systemd does; any other file at the path is left alone.
// BindIPv6Only=ipv6-only lets [::]:P stand beside 0.0.0.0:P, as nginx binds
// them; "both" makes an IPv6 socket take IPv4 too.
TEST(PlanListen, BindIPv6OnlyAsSystemdSocketsHaveIt) {
  int probe = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (probe < 0) GTEST_SKIP() << "no IPv6 on this host: " << strerror(errno);
  sockaddr_in6 a{};
  a.sin6_family = AF_INET6;
  socklen_t len = sizeof a;
  ASSERT_EQ(bind(probe, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(getsockname(probe, reinterpret_cast<sockaddr*>(&a), &len), 0);
  std::string port = std::to_string(ntohs(a.sin6_port));
  close(probe);
  auto v6only = [](const UniqueFd& fd) {
    int v = -1;
    socklen_t l = sizeof v;
    getsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &v, &l);
    return v;
  };
  Profile p;
  p.listen_stream.push_back({"0.0.0.0:" + port, at(1)});
  p.listen_stream.push_back({"[::]:" + port, at(2)});
  p.bind_ipv6_only.value = Profile::Ipv6Only::Ipv6Only;
  auto plan = plan_for(p);
  ASSERT_TRUE(plan) << plan.error().message();
  ASSERT_EQ(plan->pass_fds.size(), 2u);
  EXPECT_EQ(v6only(plan->pass_fds[1]), 1);
  Profile both;
  both.listen_stream.push_back({"[::]:" + port, at(1)});
  both.bind_ipv6_only.value = Profile::Ipv6Only::Both;
  plan = Result<Plan>(make_error(Step::Plan, 0, ""));  // release the ports first
  auto dual = plan_for(both);
  ASSERT_TRUE(dual) << dual.error().message();
  EXPECT_EQ(v6only(dual->pass_fds[0]), 0);
}

TEST(PlanListen, ReplacesAStaleUnixSocketButNoOtherFile) {
  namespace fs = std::filesystem;
  fs::path sock = fs::temp_directory_path() / ("zjail-stale-" + std::to_string(getpid()));
  fs::remove(sock);
  Profile p;
  p.listen_stream.push_back({sock.string(), at(1)});
  {
    auto first = plan_for(p);
    ASSERT_TRUE(first) << first.error().message();
  }
  ASSERT_TRUE(fs::is_socket(sock));  // closed, but the file stays
  auto second = plan_for(p);
  ASSERT_TRUE(second) << second.error().message();
  EXPECT_EQ(second->pass_fds.size(), 1u);
  fs::remove(sock);

  { std::ofstream(sock) << "not a socket\n"; }
  auto regular = plan_for(p);
  ASSERT_FALSE(regular);
  EXPECT_EQ(regular.error().err, EADDRINUSE);
  EXPECT_TRUE(fs::is_regular_file(sock));
  fs::remove(sock);
}

}  // namespace
}  // namespace zjail

namespace zjail {
namespace {

// io_uring would make the AF_VSOCK sockets a private network refuses to
// socket(2): reopening it there is an error, not a quiet hole.
TEST(PlanSeccomp, IoUringReopensOnlyOnTheHostNetwork) {
  Profile p;
  p.restrict_io_uring.value = false;
  p.restrict_io_uring.origin = at(12);
  auto plan = plan_for(p);
  ASSERT_FALSE(plan);
  EXPECT_EQ(plan.error().step, Step::Plan);
  EXPECT_THAT(plan.error().context, HasSubstr("test.profile:12: RestrictIOUring=no needs PrivateNetwork=no"))
      << plan.error().message();
  p.private_network.value = false;
  auto host = plan_for(p);
  EXPECT_TRUE(host) << host.error().message();
}

// A login session is planned for the uid NSS gave, never for a name made of
// digits read as a uid ("0" would be root), and a login in group root is
// refused as Group=root is.
TEST(PlanSession, LoginIsTheUidAndGroupRootIsRefused) {
  Login digits{"0", 65534, {65534}};
  auto plan = build_session_plan(Profile{}, digits, root_ctx());
  ASSERT_FALSE(plan);  // nobody's home, /nonexistent, cannot be bound
  EXPECT_THAT(plan.error().context, Not(HasSubstr("User=root"))) << plan.error().message();
  EXPECT_THAT(plan.error().context, HasSubstr("/nonexistent (home of 0)")) << plan.error().message();
  Login rooted{"alice", 65534, {65534, 0}};
  auto refused = build_session_plan(Profile{}, rooted, root_ctx());
  ASSERT_FALSE(refused);
  EXPECT_THAT(refused.error().context, HasSubstr("alice is in group root (gid 0)"))
      << refused.error().message();
}

TEST(PlanRoot, RootDirectoryMustBeADirectory) {
  Profile p;
  p.root_directory.value = "/nonexistent-zjail-root";
  p.root_directory.origin = Origin{"r.profile", 4};
  auto plan = build_plan(p, {"/bin/true"}, root_ctx());
  ASSERT_FALSE(plan);
  EXPECT_EQ(plan.error().context, "r.profile:4: RootDirectory=/nonexistent-zjail-root");
  EXPECT_EQ(plan.error().err, ENOENT);
  p.root_directory.value = "/etc/hostname";
  plan = build_plan(p, {"/bin/true"}, root_ctx());
  ASSERT_FALSE(plan);
  EXPECT_EQ(plan.error().err, ENOTDIR);
  p.root_directory.value = "/usr";
  plan = build_plan(p, {"/bin/true"}, root_ctx());
  ASSERT_TRUE(plan) << plan.error().message();
  EXPECT_EQ(plan->root_directory, "/usr");
}

}  // namespace
}  // namespace zjail
