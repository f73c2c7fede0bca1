// What the payload sees of itself and of the host: namespaces, processes,
// credentials, capabilities, NoNewPrivs/seccomp, fds, mounts, host name,
// environment. Everything is read from inside the jail by the probe.
#include <dirent.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "harness.hpp"

namespace zjail_test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

using Ns = RootTest;
using Identity = RootTest;
using Caps = RootTest;
using Fds = RootTest;
using Mounts = RootTest;
using Hostname = RootTest;

std::map<std::string, std::string> jail_namespaces(const RunResult& r) {
  std::map<std::string, std::string> out;
  for (const auto& l : r.lines()) {
    std::istringstream in(l);
    std::string tag, name, link;
    if (in >> tag >> name >> link && tag == "NS") out[name] = link;
  }
  return out;
}

// The namespaces the issue lists: user, pid, mount, net, uts, ipc, cgroup.
TEST_F(Ns, ListedNamespacesDifferFromHost) {
  auto r = jail({}, {"ns"});
  ASSERT_EQ(r.code, 0) << r.dump();
  auto inside = jail_namespaces(r);
  auto host = host_namespaces();
  for (const char* n : {"user", "pid", "pid_for_children", "mnt", "net", "uts", "ipc", "cgroup"}) {
    ASSERT_TRUE(inside.count(n)) << n << " missing inside\n" << r.dump();
    ASSERT_TRUE(host.count(n)) << n << " missing on the host";
    EXPECT_NE(inside[n], host[n]) << "the jail shares the host's " << n << " namespace";
  }
}

// "every /proc/self/ns/* differs from the host's": including time and
// time_for_children, which the namespace list does not name.
TEST_F(Ns, EveryNamespaceDiffersFromHost) {
  auto r = jail({}, {"ns"});
  ASSERT_EQ(r.code, 0) << r.dump();
  auto inside = jail_namespaces(r);
  auto host = host_namespaces();
  ASSERT_FALSE(inside.empty()) << r.dump();
  for (const auto& [name, link] : inside)
    EXPECT_NE(link, host[name]) << "the jail shares the host's " << name << " namespace";
}

// The payload is PID 2 under zjail's init; ProtectProc=invisible (from
// base-service) hides the init, which runs as another user, so the payload
// sees exactly itself.
TEST_F(Ns, OnlyJailPidsAreVisible) {
  auto r = jail({}, {"pids"});
  ASSERT_EQ(r.code, 0) << r.dump();
  EXPECT_EQ(r.line("SELF").value_or(""), "SELF 2") << r.dump();
  EXPECT_EQ(r.line("PIDS").value_or(""), "PIDS 2") << r.dump();
}

TEST_F(Ns, EnvironmentStartsClean) {
  auto r = run({"--profile", kProfile, "--", kProbe, "env"},
               with_env({"ZJAIL_ROOT_TEST_LEAK=secret"}));
  ASSERT_EQ(r.code, 0) << r.dump();
  EXPECT_THAT(r.out, Not(HasSubstr("ZJAIL_ROOT_TEST_LEAK"))) << r.dump();
  EXPECT_THAT(r.out, Not(HasSubstr("ZJAIL_PROFILE_PATH"))) << r.dump();
  EXPECT_TRUE(r.line("ENV USER=nobody")) << r.dump();
}

// --- credentials ---------------------------------------------------------------

std::vector<std::string> four(unsigned id) {
  return std::vector<std::string>(4, std::to_string(id));
}

TEST_F(Identity, NobodyNogroupNoGroupsByDefault) {
  auto r = jail({}, {"status"});
  ASSERT_EQ(r.code, 0) << r.dump();
  passwd* nobody = getpwnam("nobody");
  group* nogroup = getgrnam("nogroup");
  ASSERT_TRUE(nobody && nogroup);
  EXPECT_EQ(status_field(r, "Uid"), four(nobody->pw_uid)) << r.dump();
  EXPECT_EQ(status_field(r, "Gid"), four(nogroup->gr_gid)) << r.dump();
  EXPECT_EQ(status_field(r, "Groups"), std::vector<std::string>{}) << r.dump();
}

TEST_F(Identity, UserAndGroupOverrides) {
  passwd* daemon_user = getpwnam("daemon");
  group* adm = getgrnam("adm");
  if (!daemon_user || !adm) GTEST_SKIP() << "\n*** this host has no user 'daemon' or no group 'adm' to switch to ***";
  auto r = jail({"--user", "daemon", "--group", "adm"}, {"status"});
  ASSERT_EQ(r.code, 0) << r.dump();
  EXPECT_EQ(status_field(r, "Uid"), four(daemon_user->pw_uid)) << r.dump();
  EXPECT_EQ(status_field(r, "Gid"), four(adm->gr_gid)) << r.dump();
  EXPECT_EQ(status_field(r, "Groups"), std::vector<std::string>{}) << r.dump();
}

// systemd semantics: User= alone keeps the profile's Group= (nogroup).
TEST_F(Identity, UserOverrideKeepsProfileGroup) {
  passwd* daemon_user = getpwnam("daemon");
  group* nogroup = getgrnam("nogroup");
  if (!daemon_user) GTEST_SKIP() << "\n*** this host has no user 'daemon' to switch to ***";
  ASSERT_TRUE(nogroup);  // RootTest skips where the profiles' group is missing
  auto r = jail({"--user", "daemon"}, {"status"});
  ASSERT_EQ(r.code, 0) << r.dump();
  EXPECT_EQ(status_field(r, "Uid"), four(daemon_user->pw_uid)) << r.dump();
  EXPECT_EQ(status_field(r, "Gid"), four(nogroup->gr_gid)) << r.dump();
}

TEST_F(Identity, SupplementaryGroupsByName) {
  std::vector<std::string> want;
  for (const char* name : {"daemon", "adm"}) {  // getgrnam's result is static: copy at once
    group* g = getgrnam(name);
    if (!g) GTEST_SKIP() << "\n*** this host has no group '" << name << "' (root-test-groups.profile names it) ***";
    want.push_back(std::to_string(g->gr_gid));
  }
  auto r = run({"--profile", kProfile, "--profile", "root-test-groups", "--", kProbe, "status"});
  ASSERT_EQ(r.code, 0) << r.dump();
  auto groups = status_field(r, "Groups");
  std::sort(groups.begin(), groups.end());
  std::sort(want.begin(), want.end());
  EXPECT_EQ(groups, want) << r.dump();
}

// The lesson from bubblewrap run as root: the host must see the payload as
// the unprivileged user, never as root.
TEST_F(Identity, HostSeesPayloadFilesAsNobody) {
  TempDir d;
  chmod(d.path().c_str(), 0777);
  auto r = jail({"--bind", d.path() + ":/out"}, {"touch", "/out/made-inside"});
  ASSERT_EQ(outcome(r, "touch"), "PASS") << r.dump();
  struct stat st {};
  ASSERT_EQ(stat((d / "made-inside").c_str(), &st), 0);
  passwd* nobody = getpwnam("nobody");
  group* nogroup = getgrnam("nogroup");
  ASSERT_TRUE(nobody && nogroup);
  EXPECT_EQ(st.st_uid, nobody->pw_uid);
  EXPECT_EQ(st.st_gid, nogroup->gr_gid);
}

TEST_F(Identity, RootOnlyHostFilesStayUnreadable) {
  TempDir d;
  d.write("secret", "root only\n", 0600);
  d.write("public", "anyone\n", 0644);
  auto secret = jail({"--ro-bind", (d / "secret") + ":/secret"}, {"read", "/secret"});
  EXPECT_EQ(outcome(secret, "read"), "EACCES") << secret.dump();
  auto pub = jail({"--ro-bind", (d / "public") + ":/public"}, {"read", "/public"});
  EXPECT_EQ(outcome(pub, "read"), "PASS") << pub.dump();
  if (exists("/etc/shadow")) {
    auto shadow = jail({"--ro-bind", "/etc/shadow:/shadow"}, {"read", "/shadow"});
    EXPECT_EQ(outcome(shadow, "read"), "EACCES") << shadow.dump();
  }
}

// --- capabilities, NoNewPrivs, seccomp --------------------------------------------

const char* kNoCaps = "0000000000000000";

TEST_F(Caps, AllFiveSetsEmptyByDefault) {
  auto r = jail({}, {"status"});
  ASSERT_EQ(r.code, 0) << r.dump();
  for (const char* set : {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"})
    EXPECT_EQ(status_field(r, set), std::vector<std::string>{kNoCaps}) << set << "\n" << r.dump();
}

// CAP_NET_BIND_SERVICE is bit 10. Ambient needs it permitted and
// inheritable too, and the bounding set holds nothing else.
TEST_F(Caps, CapabilityOverrideGrantsExactlyThat) {
  auto r = jail({"--capability", "CAP_NET_BIND_SERVICE"}, {"status"});
  ASSERT_EQ(r.code, 0) << r.dump();
  for (const char* set : {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"})
    EXPECT_EQ(status_field(r, set), std::vector<std::string>{"0000000000000400"}) << set << "\n" << r.dump();
}

TEST_F(Caps, GrantedCapabilityWorksAndIsNeeded) {
  auto with = jail({"--capability", "CAP_NET_BIND_SERVICE"}, {"bind-port", "80"});
  EXPECT_EQ(outcome(with, "bind-port"), "PASS") << with.dump();
  auto without = jail({}, {"bind-port", "80"});
  EXPECT_EQ(outcome(without, "bind-port"), "EACCES") << without.dump();
}

TEST_F(Caps, NoNewPrivsAndSeccompFilter) {
  auto r = jail({}, {"status"});
  ASSERT_EQ(r.code, 0) << r.dump();
  EXPECT_EQ(status_field(r, "NoNewPrivs"), std::vector<std::string>{"1"}) << r.dump();
  EXPECT_EQ(status_field(r, "Seccomp"), std::vector<std::string>{"2"}) << r.dump();
}

// --- file descriptors --------------------------------------------------------------

TEST_F(Fds, HostFdsOpenedBeforeLaunchAreAbsent) {
  TempDir dir;
  std::string leak = dir / "leaked-secret";
  auto r = jail({}, {"fds"}, leaking(leak));
  ASSERT_EQ(r.code, 0) << r.dump();
  std::set<int> fds;
  for (const auto& l : r.lines()) {
    std::istringstream in(l);
    std::string tag;
    int fd;
    if (in >> tag >> fd && tag == "FD") fds.insert(fd);
  }
  EXPECT_EQ(fds, (std::set<int>{0, 1, 2})) << r.dump();
  EXPECT_THAT(r.out, Not(HasSubstr("leaked-secret"))) << r.dump();
  // The leak was real: zjail itself was started with them.
  EXPECT_TRUE(exists(leak));
}

// The jail's init (PID 1, root of the jail's user namespace) is inside the
// jail too: it must not keep the caller's stray fds either.
TEST_F(Fds, HostFdsAreAbsentFromTheJailInit) {
  TempDir dir;
  std::string leak = dir / "leaked-secret";
  Spawned z({"--profile", kProfile, "--", kProbe, "sigterm-wait", "0"}, leaking(leak));
  ASSERT_NE(z.wait_line("READY"), "") << "the payload never started";
  auto inits = children_of(z.pid());
  ASSERT_EQ(inits.size(), 1u) << "zjail should have exactly one child, the jail's init";
  std::string fd_dir = "/proc/" + std::to_string(inits[0]) + "/fd";
  std::vector<std::string> held;
  if (DIR* d = opendir(fd_dir.c_str())) {
    while (dirent* e = readdir(d)) {
      if (e->d_name[0] == '.') continue;
      char buf[4096];
      ssize_t n = readlink((fd_dir + "/" + e->d_name).c_str(), buf, sizeof buf - 1);
      std::string target = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "?";
      if (target == leak) held.push_back(std::string("fd ") + e->d_name);
    }
    closedir(d);
  }
  kill(z.pid(), SIGTERM);
  z.wait();
  EXPECT_TRUE(held.empty()) << "the jail's init holds the caller's leaked " << leak << " as "
                            << testing::PrintToString(held);
}

// --- mounts -------------------------------------------------------------------------

// Host mount points strictly below `top`: recursive binds bring them along.
std::vector<std::string> host_submounts(const std::string& top) {
  std::vector<std::string> out;
  std::ifstream f("/proc/self/mountinfo");
  std::string line;
  while (std::getline(f, line)) {
    std::istringstream in(line);
    std::string id, parent, dev, root, point;
    in >> id >> parent >> dev >> root >> point;
    if (point.rfind(top + "/", 0) == 0) out.push_back(point);
  }
  return out;
}

std::multiset<std::string> expected_default_mounts() {
  std::multiset<std::string> want{"/",         "/usr",        "/etc/ld.so.cache", "/tmp",
                                  "/proc",     "/dev",        "/dev/null",        "/dev/zero",
                                  "/dev/full", "/dev/random", "/dev/urandom",     "/dev/tty",
                                  "/dev/pts",  "/dev/shm"};
  for (const char* opt : {"/bin", "/sbin", "/lib", "/lib64"})  // BindReadOnlyPaths=-...
    if (exists(opt)) want.insert(opt);
  for (const auto& m : host_submounts("/usr")) want.insert(m);
  return want;
}

TEST_F(Mounts, OnlyThePlannedMountsExist) {
  auto r = jail({}, {"mounts"});
  ASSERT_EQ(r.code, 0) << r.dump();
  auto points = mount_points(r);
  std::multiset<std::string> got(points.begin(), points.end());
  EXPECT_EQ(got, expected_default_mounts()) << r.dump();
}

TEST_F(Mounts, CommandLineBindsAreAddedAndNothingElse) {
  TempDir rw, ro;
  auto r = jail({"--bind", rw.path() + ":/data", "--ro-bind", ro.path() + ":/srv/ro", "--tmpfs", "/scratch"},
                {"mounts"});
  ASSERT_EQ(r.code, 0) << r.dump();
  auto points = mount_points(r);
  std::multiset<std::string> got(points.begin(), points.end());
  auto want = expected_default_mounts();
  want.insert({"/data", "/srv/ro", "/scratch"});
  EXPECT_EQ(got, want) << r.dump();
}

bool has_opt(const std::string& opts, const std::string& o) {
  std::istringstream in(opts);
  std::string w;
  while (std::getline(in, w, ','))
    if (w == o) return true;
  return false;
}

TEST_F(Mounts, FlagsAreAsPlanned) {
  TempDir rw, ro;
  auto r = jail({"--bind", rw.path() + ":/data", "--ro-bind", ro.path() + ":/ro"}, {"mounts"});
  ASSERT_EQ(r.code, 0) << r.dump();
  auto opts = mount_options(r);
  std::set<std::string> ro_points{"/", "/usr", "/etc/ld.so.cache", "/ro"};
  for (const char* opt : {"/bin", "/sbin", "/lib", "/lib64"})
    if (exists(opt)) ro_points.insert(opt);
  std::set<std::string> rw_points{"/tmp", "/dev/shm", "/data"};
  // Device nodes need dev; everything else is nodev.
  std::set<std::string> dev_ok{"/dev", "/dev/null", "/dev/zero", "/dev/full", "/dev/random",
                               "/dev/urandom", "/dev/tty", "/dev/pts"};
  for (const auto& [point, o] : opts) {
    EXPECT_TRUE(has_opt(o, "nosuid")) << point << " is not nosuid: " << o;
    if (!dev_ok.count(point)) {
      EXPECT_TRUE(has_opt(o, "nodev")) << point << " is not nodev: " << o;
    }
  }
  for (const auto& p : ro_points) {
    ASSERT_TRUE(opts.count(p)) << p << " not mounted\n" << r.dump();
    EXPECT_TRUE(has_opt(opts[p], "ro")) << p << " is not read-only: " << opts[p];
  }
  for (const auto& p : rw_points) {
    ASSERT_TRUE(opts.count(p)) << p << " not mounted\n" << r.dump();
    EXPECT_TRUE(has_opt(opts[p], "rw")) << p << " is not read-write: " << opts[p];
  }
}

// A host directory that is a shared mount: without private propagation a
// mount made below it on the host after launch would appear in the jail.
struct SharedMount {
  std::string path;
  std::vector<std::string> undo;
  explicit SharedMount(const std::string& p) : path(p) {
    if (mount(p.c_str(), p.c_str(), nullptr, MS_BIND, nullptr) == 0) undo.push_back(p);
    mount(nullptr, p.c_str(), nullptr, MS_SHARED, nullptr);
  }
  ~SharedMount() {
    for (auto it = undo.rbegin(); it != undo.rend(); ++it) umount2(it->c_str(), MNT_DETACH);
  }
};

TEST_F(Mounts, HostMountsDoNotPropagateIntoTheJail) {
  TempDir d;
  chmod(d.path().c_str(), 0777);
  mkdir((d / "sub").c_str(), 0755);
  SharedMount shared(d.path());
  ASSERT_FALSE(shared.undo.empty()) << "bind mount for the test failed";
  Spawned z({"--profile", kProfile, "--bind", d.path() + ":/data", "--", kProbe, "mounts-after-usr1"});
  ASSERT_NE(z.wait_line("READY"), "") << "the payload never started";
  ASSERT_EQ(mount("zjail-test", (d / "sub").c_str(), "tmpfs", 0, "size=16k"), 0) << strerror(errno);
  shared.undo.push_back(d / "sub");
  kill(z.pid(), SIGUSR1);
  auto r = z.wait();
  ASSERT_EQ(r.code, 0) << r.dump();
  auto points = mount_points(r);
  EXPECT_NE(std::find(points.begin(), points.end(), "/data"), points.end()) << r.dump();
  EXPECT_EQ(std::find(points.begin(), points.end(), "/data/sub"), points.end())
      << "a host mount propagated into the jail\n" << r.dump();
}

// --- host name ----------------------------------------------------------------------

std::string host_hostname() {
  char buf[256] = {};
  gethostname(buf, sizeof buf - 1);
  return buf;
}

TEST_F(Hostname, IsolatedFromTheHost) {
  std::string before = host_hostname();
  auto r = jail({}, {"hostname"});
  ASSERT_EQ(r.code, 0) << r.dump();
  EXPECT_EQ(r.line("HOSTNAME").value_or(""), "HOSTNAME zjail-root-test") << r.dump();
  auto o = jail({"--hostname", "zjail-other"}, {"hostname"});
  EXPECT_EQ(o.line("HOSTNAME").value_or(""), "HOSTNAME zjail-other") << o.dump();
  EXPECT_EQ(host_hostname(), before);
}

TEST_F(Hostname, SethostnameFailsAndHostIsUnchanged) {
  std::string before = host_hostname();
  auto r = jail({}, {"sethostname"});
  ASSERT_EQ(r.code, 0) << r.dump();
  EXPECT_EQ(outcome(r, "sethostname"), "EPERM") << r.dump();
  EXPECT_EQ(host_hostname(), before);
}

}  // namespace
}  // namespace zjail_test

namespace zjail_test {
namespace {

using MountPoints = RootTest;

// Regression: under a unit with UMask=007 (Debian's redis-server.service) the
// directories zjail created for mount points came out 0770 root, and the
// payload could not reach the files bound beneath them.
TEST_F(MountPoints, CreatedIndependentOfTheInheritedUmask) {
  TempDir t;
  t.write("conf", "setting=1\n", 0644);
  mode_t old = umask(077);
  auto r = jail({"--ro-bind", t.path() + ":/etc/zjail-umask-test/conf.d"},
                {"read", "/etc/zjail-umask-test/conf.d/conf"});
  umask(old);
  EXPECT_EQ(outcome(r, "read"), "PASS") << r.dump();
}

}  // namespace
}  // namespace zjail_test
