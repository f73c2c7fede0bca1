// The mount table the file-system sandbox directives produce, on zjail's
// empty root and on RootDirectory=/ (the host's): which mounts, in which
// order, with which flags; and what they take from capabilities and system
// calls. What the kernel then does with the table is the root tier's
// (tests/root/root_sandbox_test.cpp).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/capability.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "zjail/parser.hpp"
#include "zjail/plan.hpp"

namespace zjail {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using Kind = MountOp::Kind;

Profile profile(const std::string& text) {
  Profile p;
  auto st = load_profile_text(p, "[Jail]\n" + text, "t.profile", {}, ProfileTrust::any());
  EXPECT_TRUE(st) << st.error().message();
  return p;
}

PlanContext ctx() {
  PlanContext c;
  c.cwd = "/";
  return c;
}

Plan plan_of(const std::string& text) {
  auto plan = check_plan(profile(text), ctx());
  EXPECT_TRUE(plan) << plan.error().message();
  return plan ? std::move(*plan) : Plan{};
}

std::string error_of(const std::string& text) {
  auto plan = check_plan(profile(text), ctx());
  EXPECT_FALSE(plan) << text;
  return plan ? "" : plan.error().message();
}

// The table as lines: "kind target [flags]", in order.
std::string kind_name(Kind k) {
  switch (k) {
    case Kind::Bind: return "bind";
    case Kind::Tmpfs: return "tmpfs";
    case Kind::Proc: return "proc";
    case Kind::Devpts: return "devpts";
    case Kind::Cgroup2: return "cgroup2";
    case Kind::Mask: return "mask";
    case Kind::Inaccessible: return "inaccessible";
    case Kind::Attr: return "attr";
    case Kind::MountPoint: return "mountpoint";
    case Kind::Symlink: return "symlink";
    case Kind::Files: return "files";
    case Kind::JailBind: return "jailbind";
  }
  return "?";
}

std::string line(const MountOp& m) {
  std::string s = kind_name(m.kind) + " /" + m.target;
  if (m.kind == Kind::Bind && m.source != "/" + m.target) s += " from " + m.source;
  if (m.attr & MOUNT_ATTR_RDONLY) s += " ro";
  if (m.attr & MOUNT_ATTR_NOEXEC) s += " noexec";
  if (m.attr_clear & MOUNT_ATTR_RDONLY) s += " -ro";
  if (m.attr_clear & MOUNT_ATTR_NOEXEC) s += " -noexec";
  if (m.kind == Kind::Attr && !m.recursive) s += " top";
  if (m.optional) s += " optional";
  return s;
}

std::vector<std::string> table(const Plan& plan) {
  std::vector<std::string> out;
  for (const auto& m : plan.mounts) out.push_back(line(m));
  return out;
}

// The lines of `plan` whose target is `target` or beneath it.
std::vector<std::string> under(const Plan& plan, const std::string& target) {
  std::vector<std::string> out;
  for (const auto& m : plan.mounts) {
    bool in = target.empty() || m.target == target || m.target.starts_with(target + "/");
    if (in) out.push_back(line(m));
  }
  return out;
}

size_t index_of(const Plan& plan, const std::string& l) {
  auto t = table(plan);
  return static_cast<size_t>(std::find(t.begin(), t.end(), l) - t.begin());
}

// A tree of the test's own, removed at the end.
class Tree {
 public:
  Tree() {
    dir_ = fs::temp_directory_path() / ("zjail-sandbox-" + std::to_string(getpid()) + "-" + std::to_string(++n_));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  ~Tree() { fs::remove_all(dir_); }
  std::string path(const std::string& rel = "") const { return rel.empty() ? dir_.string() : (dir_ / rel).string(); }
  void mkdir(const std::string& rel) const { fs::create_directories(dir_ / rel); }
  void file(const std::string& rel) const { std::ofstream(dir_ / rel) << "x"; }

 private:
  fs::path dir_;
  static inline int n_ = 0;
};

// --- The roots --------------------------------------------------------------------

TEST(SandboxRoot, EmptyRootIsAsBefore) {
  Plan plan = plan_of("BindReadOnlyPaths=/usr\n");
  EXPECT_TRUE(plan.root_directory.empty());
  EXPECT_TRUE(plan.root_read_only);
  auto t = table(plan);
  EXPECT_THAT(t, ::testing::Contains("tmpfs /tmp"));
  EXPECT_THAT(t, ::testing::Contains("tmpfs /dev noexec"));
  EXPECT_THAT(t, ::testing::Contains("proc /proc noexec"));
  EXPECT_THAT(t, ::testing::Contains("bind /usr ro"));
  // No /var in the jail: no private /var/tmp either.
  EXPECT_THAT(t, ::testing::Not(::testing::Contains(HasSubstr("/var/tmp"))));
}

// RootDirectory=/ is the host's root as systemd shows it to a unit without
// RootDirectory=: writable where the host is, the host's /dev, /tmp and
// /sys; only /proc is zjail's own (its pid namespace needs one).
TEST(SandboxRoot, HostRootIsTheHostsAsSystemdShowsIt) {
  Plan plan = plan_of("RootDirectory=/\n");
  EXPECT_EQ(plan.root_directory, "/");
  EXPECT_FALSE(plan.root_read_only);
  EXPECT_EQ(plan.root_attr, MOUNT_ATTR_NOSUID) << "device nodes stay usable: there is no device policy";
  auto t = table(plan);
  EXPECT_THAT(t, ::testing::Contains("proc /proc noexec"));
  EXPECT_THAT(t, ::testing::Not(::testing::Contains(HasSubstr(" /dev"))));
  EXPECT_THAT(t, ::testing::Not(::testing::Contains(HasSubstr(" /tmp"))));
  EXPECT_THAT(t, ::testing::Not(::testing::Contains(HasSubstr(" /sys"))));
}

TEST(SandboxRoot, PrivateTmpOnTheHostRootCoversTmpAndVarTmp) {
  Plan plan = plan_of("RootDirectory=/\nPrivateTmp=disconnected\n");
  auto t = table(plan);
  EXPECT_THAT(t, ::testing::Contains("tmpfs /tmp"));
  EXPECT_THAT(t, ::testing::Contains("tmpfs /var/tmp optional"));
  // A profile's own mount on /tmp takes the private one's place.
  Plan own = plan_of("RootDirectory=/\nPrivateTmp=yes\nTemporaryFileSystem=/tmp:mode=0700\n");
  EXPECT_EQ(std::count_if(own.mounts.begin(), own.mounts.end(), [](const MountOp& m) { return m.target == "tmp"; }), 1);
}

TEST(SandboxRoot, MountApiVfsOnZjailsRoot) {
  Plan yes = plan_of("BindReadOnlyPaths=/usr\nMountAPIVFS=yes\n");
  auto t = table(yes);
  EXPECT_THAT(t, ::testing::Contains("bind /sys noexec"));
  EXPECT_THAT(t, ::testing::Contains("tmpfs /run"));
  EXPECT_THAT(t, ::testing::Contains("bind /dev")) << "without PrivateDevices=, systemd binds the host's /dev";
  Plan pdev = plan_of("MountAPIVFS=yes\nPrivateDevices=yes\n");
  EXPECT_THAT(table(pdev), ::testing::Contains("tmpfs /dev noexec"));
  Plan no = plan_of("BindReadOnlyPaths=/usr\nMountAPIVFS=no\n");
  EXPECT_THAT(table(no), ::testing::Not(::testing::Contains(HasSubstr("/proc"))));
  EXPECT_THAT(table(no), ::testing::Not(::testing::Contains(HasSubstr("/dev"))));
}

// --- Path rules -------------------------------------------------------------------

TEST(SandboxPaths, ProtectSystemStrictOnTheHostRoot) {
  Plan plan = plan_of("RootDirectory=/\nProtectSystem=strict\n");
  auto t = table(plan);
  // "/" read-only first, with everything beneath it that is there, and
  // the API file systems given back their own flags, bound again from the host.
  size_t root = index_of(plan, "attr / ro");
  ASSERT_LT(root, t.size()) << ::testing::PrintToString(t);
  EXPECT_LT(root, index_of(plan, "proc /proc noexec"));
  EXPECT_LT(root, index_of(plan, "bind /sys"));
  EXPECT_THAT(t, ::testing::Contains("bind /dev"));
  // Mount points zjail makes under "/" are made before it is read-only.
  EXPECT_LT(index_of(plan, "mountpoint /proc"), root);
}

TEST(SandboxPaths, ProtectSystemYesAndFullOnTheHostRoot) {
  Plan yes = plan_of("RootDirectory=/\nProtectSystem=yes\n");
  EXPECT_THAT(table(yes), ::testing::Contains("attr /usr ro"));
  EXPECT_THAT(table(yes), ::testing::Not(::testing::Contains("attr /etc ro")));
  Plan full = plan_of("RootDirectory=/\nProtectSystem=full\n");
  EXPECT_THAT(table(full), ::testing::Contains("attr /usr ro"));
  EXPECT_THAT(table(full), ::testing::Contains("attr /etc ro"));
}

// On zjail's root, ProtectSystem= narrows what the profile binds: a
// writable /usr bind turns read-only; what is not bound is not an error.
TEST(SandboxPaths, ProtectSystemOnTheEmptyRootNarrowsTheBinds) {
  Plan plan = plan_of("BindPaths=/usr\nProtectSystem=full\n");
  EXPECT_THAT(table(plan), ::testing::Contains("bind /usr ro"));
  EXPECT_THAT(table(plan), ::testing::Not(::testing::Contains(HasSubstr("/etc"))));
}

TEST(SandboxPaths, ReadWriteInsideReadOnlyIsBoundAgainFromTheHost) {
  Tree tree;
  tree.mkdir("sub/deeper");
  Plan plan = plan_of("BindPaths=" + tree.path() + ":/data\nReadOnlyPaths=/data/sub\nReadWritePaths=/data/sub/deeper\n");
  auto t = under(plan, "data");
  EXPECT_EQ(t, (std::vector<std::string>{"bind /data from " + tree.path(), "mountpoint /data/sub/deeper",
                                         "attr /data/sub ro", "bind /data/sub/deeper from " + tree.path("sub/deeper")}))
      << ::testing::PrintToString(t);
}

// A read-write path inside a read-only bind gets the flags it has outside.
TEST(SandboxPaths, ReadWriteInsideAReadOnlyBind) {
  Tree tree;
  tree.mkdir("rw");
  Plan plan = plan_of("BindReadOnlyPaths=" + tree.path() + ":/srv\nReadWritePaths=/srv/rw\n");
  EXPECT_THAT(under(plan, "srv"), ::testing::ElementsAre("bind /srv from " + tree.path() + " ro",
                                                         "bind /srv/rw from " + tree.path("rw")));
  // On the same path, the bind keeps its own read-only flag (systemd's too).
  Plan same = plan_of("BindReadOnlyPaths=" + tree.path() + ":/srv\nReadWritePaths=/srv\n");
  EXPECT_THAT(under(same, "srv"), ::testing::ElementsAre("bind /srv from " + tree.path() + " ro"));
}

TEST(SandboxPaths, MoreSpecificWinsAndTheRestaresDropped) {
  Tree tree;
  tree.mkdir("a/b");
  std::string bind = "BindPaths=" + tree.path() + ":/data\n";
  // Read-only beats read-write on one path; noexec beats exec.
  Plan one = plan_of(bind + "ReadWritePaths=/data/a\nReadOnlyPaths=/data/a\nExecPaths=/data/a\nNoExecPaths=/data/a\n");
  EXPECT_THAT(under(one, "data/a"), ::testing::ElementsAre("attr /data/a ro noexec"));
  // A rule its parent says already is dropped.
  Plan nop = plan_of(bind + "ReadOnlyPaths=/data/a\nReadOnlyPaths=/data/a/b\n");
  EXPECT_THAT(under(nop, "data/a"), ::testing::ElementsAre("attr /data/a ro"));
}

TEST(SandboxPaths, InaccessibleHidesWhatIsBeneathIt) {
  Tree tree;
  tree.mkdir("a/b");
  Plan plan = plan_of("BindPaths=" + tree.path() + ":/data " + tree.path("a") + ":/data/a/b\n"
                      "ReadOnlyPaths=/data/a/b\nInaccessiblePaths=/data/a\n");
  EXPECT_THAT(under(plan, "data"),
              ::testing::ElementsAre("bind /data from " + tree.path(), "inaccessible /data/a"));
  const MountOp* m = &plan.mounts[index_of(plan, "inaccessible /data/a")];
  EXPECT_THAT(m->options, ::testing::Contains(std::pair<std::string, std::string>{"mode", "0000"}));
  // On the path of a bind, the bind goes.
  Plan same = plan_of("BindPaths=" + tree.path() + ":/data\nInaccessiblePaths=/data\n");
  EXPECT_THAT(under(same, "data"), ::testing::ElementsAre("inaccessible /data"));
  EXPECT_THAT(error_of("InaccessiblePaths=/\n"), HasSubstr("t.profile:2: InaccessiblePaths=/: the jail's root cannot"));
}

TEST(SandboxPaths, MissingPathsFailWithTheirLineUnlessOptional) {
  Tree tree;
  std::string bind = "BindPaths=" + tree.path() + ":/data\n";
  EXPECT_EQ(error_of(bind + "ReadOnlyPaths=/data/nope\n"),
            "t.profile:3: ReadOnlyPaths=/data/nope is not in the jail (a leading '-' skips a missing path): "
            "No such file or directory (step: plan)");
  Plan plan = plan_of(bind + "ReadOnlyPaths=-/data/nope\nInaccessiblePaths=-/nowhere\n");
  EXPECT_THAT(table(plan), ::testing::Not(::testing::Contains(HasSubstr("nope"))));
  // On the host's root, systemd's own paths: ProtectSystem=yes needs /usr,
  // /boot and /efi only where the host has them.
  Plan host = plan_of("RootDirectory=/\nProtectSystem=yes\n");
  EXPECT_THAT(table(host), ::testing::Contains("attr /usr ro"));
}

// Paths resolve in the jail: a symlink in a bind is followed to where the
// jail would find it, unless someone other than root (or the invoker) could
// have planted it.
TEST(SandboxPaths, SymlinksResolveInTheJailIfTrusted) {
  Tree tree;
  tree.mkdir("real");
  fs::create_symlink("real", tree.path("link"));
  fs::create_symlink("/data/real", tree.path("abs"));
  std::string bind = "BindPaths=" + tree.path() + ":/data\n";
  EXPECT_THAT(under(plan_of(bind + "ReadOnlyPaths=/data/link\n"), "data/real"), ::testing::ElementsAre("attr /data/real ro"));
  EXPECT_THAT(under(plan_of(bind + "ReadOnlyPaths=/data/abs\n"), "data/real"), ::testing::ElementsAre("attr /data/real ro"));
  if (geteuid() != 0) GTEST_SKIP() << "\n*** not root: cannot plant a symlink owned by another user ***";
  fs::create_symlink("real", tree.path("planted"));
  ASSERT_EQ(lchown(tree.path("planted").c_str(), 65534, 65534), 0);
  EXPECT_THAT(error_of(bind + "ReadOnlyPaths=/data/planted\n"),
              HasSubstr("ReadOnlyPaths=/data/planted: symlink /data/planted belongs to uid 65534, not root: not "
                        "followed: Operation not permitted"));
}

TEST(SandboxPaths, ExecInsideNoExecOnTheHostRoot) {
  Plan plan = plan_of("RootDirectory=/\nNoExecPaths=/\nExecPaths=/usr\n");
  EXPECT_LT(index_of(plan, "attr / noexec"), index_of(plan, "bind /usr"));
  const MountOp& usr = plan.mounts[index_of(plan, "bind /usr")];
  EXPECT_EQ(usr.attr & MOUNT_ATTR_NOEXEC, 0u);
}

TEST(SandboxPaths, TmpfsReadOnlyTurnsReadOnlyLast) {
  // systemd.exec(5)'s example: /var hidden but for /var/lib/doc.
  Plan plan = plan_of("TemporaryFileSystem=/var:ro\nBindReadOnlyPaths=/usr/share/doc:/var/lib/doc\n");
  auto t = table(plan);
  EXPECT_EQ(t.back(), "attr /var ro top");
  EXPECT_LT(index_of(plan, "tmpfs /var"), index_of(plan, "bind /var/lib/doc from /usr/share/doc ro"));
}

// --- ProtectHome=, PrivateDevices=, DevicePolicy=, ProtectKernel*=, cgroups ----------------

TEST(SandboxApi, ProtectHomeOnTheHostRoot) {
  Plan yes = plan_of("RootDirectory=/\nProtectHome=yes\n");
  for (const char* h : {"/home", "/root"}) {
    if (access(h, F_OK) == 0) {
      EXPECT_THAT(table(yes), ::testing::Contains(std::string("inaccessible ") + h + " optional"));
    }
  }
  Plan tmpfs = plan_of("RootDirectory=/\nProtectHome=tmpfs\n");
  EXPECT_THAT(table(tmpfs), ::testing::Contains("tmpfs /home optional"));
  EXPECT_THAT(table(tmpfs), ::testing::Contains("attr /home ro top optional"));
  Plan ro = plan_of("RootDirectory=/\nProtectHome=read-only\n");
  if (access("/home", F_OK) == 0) {
    EXPECT_THAT(table(ro), ::testing::Contains("attr /home ro optional"));
  }
}

TEST(SandboxApi, ProtectHomeHidesABoundHome) {
  Tree tree;
  Plan plan = plan_of("BindPaths=" + tree.path() + ":/home\nProtectHome=yes\n");
  EXPECT_THAT(under(plan, "home"), ::testing::ElementsAre("inaccessible /home optional"));
}

TEST(SandboxApi, PrivateDevicesTakesCapabilitiesAndRawIo) {
  Plan base = plan_of("RootDirectory=/\nCapabilityBoundingSet=CAP_MKNOD CAP_SYS_RAWIO CAP_CHOWN\n");
  Plan plan = plan_of("RootDirectory=/\nCapabilityBoundingSet=CAP_MKNOD CAP_SYS_RAWIO CAP_CHOWN\nPrivateDevices=yes\n");
  EXPECT_EQ(plan.bounding, 1ULL << CAP_CHOWN);
  EXPECT_EQ(base.bounding, (1ULL << CAP_CHOWN) | (1ULL << CAP_MKNOD) | (1ULL << CAP_SYS_RAWIO));
  EXPECT_EQ(plan.seccomp.size(), base.seccomp.size() + 1) << "@raw-io denied by a filter of its own";
  EXPECT_EQ(plan.root_attr, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV) << "device nodes only in zjail's /dev";
  auto t = table(plan);
  EXPECT_THAT(t, ::testing::Contains("tmpfs /dev noexec"));
  EXPECT_THAT(t, ::testing::Contains("bind /dev/null ro noexec"));
  EXPECT_THAT(t, ::testing::Contains("symlink /dev/log"));
  EXPECT_EQ(t.back(), "attr /dev ro top");
}

TEST(SandboxApi, DevicePolicyAndDeviceAllow) {
  Plan strict = plan_of("DevicePolicy=strict\n");
  EXPECT_THAT(table(strict), ::testing::Not(::testing::Contains(HasSubstr("/dev/null"))));
  EXPECT_THAT(table(strict), ::testing::Not(::testing::Contains(HasSubstr("/dev/pts"))));
  Plan allowed = plan_of("DevicePolicy=strict\nDeviceAllow=/dev/null rw\nDeviceAllow=char-pts rw\n");
  EXPECT_THAT(table(allowed), ::testing::Contains("bind /dev/null noexec optional"));
  EXPECT_THAT(table(allowed), ::testing::Contains("devpts /dev/pts noexec"));
  // A device node kept read-only: bound, and held to reading by Landlock
  // (root tier: Landlock.DeviceAllowReadOnlyStopsWrites).
  Plan read_only = plan_of("DevicePolicy=strict\nDeviceAllow=/dev/null r\n");
  ASSERT_EQ(read_only.device_access.size(), 1u);
  EXPECT_EQ(read_only.device_access[0].path, "/dev/null");
  EXPECT_TRUE(read_only.device_access[0].read);
  EXPECT_FALSE(read_only.device_access[0].write);
  // Lines add up as in systemd, and the pseudo devices a policy grants are
  // read-write: nothing is held back.
  EXPECT_TRUE(plan_of("DevicePolicy=strict\nDeviceAllow=/dev/null r\nDeviceAllow=/dev/null w\n").device_access.empty());
  EXPECT_TRUE(plan_of("DevicePolicy=closed\nDeviceAllow=/dev/null r\n").device_access.empty());
  // On the host's root a device policy replaces the host's /dev.
  Plan host = plan_of("RootDirectory=/\nDevicePolicy=closed\n");
  EXPECT_THAT(table(host), ::testing::Contains("tmpfs /dev noexec"));
  EXPECT_EQ(host.root_attr, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
}

TEST(SandboxApi, KernelDirectivesAndTheirImplications) {
  Plan plan = plan_of("RootDirectory=/\nProtectKernelTunables=yes\nProtectKernelLogs=yes\nProtectKernelModules=yes\n");
  auto t = table(plan);
  EXPECT_THAT(t, ::testing::Contains("attr /sys ro"));
  EXPECT_THAT(t, ::testing::Contains("inaccessible /proc/kmsg optional"));
  if (access("/dev/kmsg", F_OK) == 0) {
    EXPECT_THAT(t, ::testing::Contains("inaccessible /dev/kmsg optional"));
  }
  Plan base = plan_of("RootDirectory=/\n");
  EXPECT_EQ(plan.seccomp.size(), base.seccomp.size() + 1);
  EXPECT_THAT(error_of("AmbientCapabilities=CAP_SYSLOG\nProtectKernelLogs=yes\n"),
              HasSubstr("t.profile:2: AmbientCapabilities=CAP_SYSLOG contradicts ProtectKernelLogs=yes"));
}

TEST(SandboxApi, ProtectControlGroups) {
  Plan yes = plan_of("RootDirectory=/\nProtectControlGroups=yes\n");
  EXPECT_THAT(table(yes), ::testing::Contains("attr /sys/fs/cgroup ro"));
  Plan priv = plan_of("RootDirectory=/\nProtectControlGroups=private\n");
  EXPECT_THAT(table(priv), ::testing::Contains("cgroup2 /sys/fs/cgroup noexec"));
  Plan strict = plan_of("ProtectControlGroups=strict\n");
  EXPECT_THAT(table(strict), ::testing::Contains("cgroup2 /sys/fs/cgroup noexec"));
  EXPECT_EQ(table(strict).back(), "attr /sys/fs/cgroup ro top");
}

}  // namespace
}  // namespace zjail
