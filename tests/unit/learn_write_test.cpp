// Learn mode's writer (learn_write.cpp, learn_paths.cpp, learn_network.cpp):
// every profile it writes goes through zjail's own parser and --check, and
// the socket rules through the Landlock planner the launch uses, so that a
// learned profile launches, not only parses.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cstring>

#include <filesystem>
#include <fstream>
#include <random>

#include "../../jail/src/learn_internal.hpp"
#include "../../jail/src/plan_internal.hpp"
#include "zjail/check.hpp"
#include "zjail/landlock.hpp"
#include "zjail/learn.hpp"
#include "zjail/parser.hpp"
#include "zjail/syscalls.hpp"

namespace zjail::learn {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const std::vector<std::string> kSearch = {std::string(ZJAIL_SOURCE_DIR) + "/profiles"};

Evidence ev(uint64_t n, const std::string& ex) { return Evidence{n, ex}; }

void path(Observations& o, const std::string& p, unsigned access, bool dir = false, bool missing = false) {
  o.paths[p] = PathUse{access, dir, missing, ev(1, "openat(\"" + p + "\")")};
}

WriteOptions opts(int abi = 6) {
  WriteOptions w;
  w.landlock_abi = abi;
  w.holds_secrets = [](const std::string&) { return false; };
  return w;
}

// The profile as zjail loads it: parse errors fail the test.
Profile load(const std::string& text) {
  Profile p;
  auto st = load_profile_text(p, text, "learned.profile", kSearch, ProfileTrust::any());
  EXPECT_TRUE(st) << st.error().message() << "\n" << text;
  return p;
}

// `zjail --check` on the text, and the Landlock socket rules as the launch
// plans them: nothing may be an error.
void expect_launchable(const std::string& text, const std::vector<std::string>& command = {}) {
  Profile p = load(text);
  PlanContext ctx;
  ctx.cwd = "/";
  auto findings = check_profile(p, command, ctx);
  ASSERT_TRUE(findings) << findings.error().message() << "\n" << text;
  for (const auto& f : *findings)
    EXPECT_NE(f.level, CheckFinding::Level::Error) << f.message << "\n" << text;
  LandlockPlan ll;
  auto net = plan_landlock_net(p, kLandlockNetAbi, ll);
  EXPECT_TRUE(net) << net.error().message() << "\n" << text;
}

// The directive lines (not comments) of a profile.
std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);)
    if (!l.empty() && l[0] != '#') out.push_back(l);
  return out;
}

MATCHER_P(HasLine, line, "") { 
  auto ls = lines_of(arg);
  return std::find(ls.begin(), ls.end(), line) != ls.end();
}

// Every directive line has a comment right above it.
void expect_every_line_explained(const std::string& text) {
  std::istringstream in(text);
  std::string prev, l;
  bool in_jail = false;
  while (std::getline(in, l)) {
    if (l == "[Jail]") in_jail = true;
    else if (in_jail && !l.empty() && l[0] != '#' && !l.starts_with("Include=") && !l.starts_with("Description=") &&
             !l.starts_with("AmbientCapabilities=")) {
      EXPECT_TRUE(prev.starts_with("# ")) << "no evidence above '" << l << "'";
    }
    prev = l;
  }
}

TEST(LearnWrite, NothingSeenDeniesEverything) {
  Observations o;
  std::string text = write_profile(o, opts());
  expect_launchable(text);
  expect_every_line_explained(text);
  EXPECT_THAT(text, HasLine("PrivateNetwork=yes"));
  EXPECT_THAT(text, HasLine("RestrictAddressFamilies=none"));
  EXPECT_THAT(text, HasLine("PrivateDevices=yes"));
  EXPECT_THAT(text, HasLine("MemoryDenyWriteExecute=yes"));
  EXPECT_THAT(text, HasLine("RestrictNamespaces=yes"));
  EXPECT_THAT(text, HasLine("CapabilityBoundingSet="));
  EXPECT_THAT(text, HasLine("SystemCallFilter=@system-service"));
  EXPECT_THAT(text, HasLine("User=nobody"));
  EXPECT_THAT(text, Not(HasSubstr("BindPaths=")));
  EXPECT_THAT(text, Not(HasSubstr("BindReadOnlyPaths=")));
  // What learning cannot watch stays (unwatched_calls()); every watched
  // call, never seen, is taken out.
  Profile p = load(text);
  std::vector<std::string> names;
  for (const auto& i : p.system_call_filter.names) names.push_back(i.value);
  auto allowed = expand_syscalls(names);
  ASSERT_TRUE(allowed);
  for (const auto& c : unwatched_calls()) EXPECT_TRUE(allowed->count(c)) << c;
  for (const auto& c : watched_service_calls()) EXPECT_FALSE(allowed->count(c)) << c;
  for (const char* c : {"read", "write", "epoll_wait", "exit_group", "mmap"}) EXPECT_TRUE(allowed->count(c)) << c;
  for (const char* c : {"socket", "openat", "connect", "setuid", "clone", "ptrace"}) EXPECT_FALSE(allowed->count(c)) << c;
}

// A real program's run: the jail finds the command, its loader and libraries.
TEST(LearnWrite, ARealCommandRunsFromWhatItUsed) {
  std::string sh = std::filesystem::canonical("/bin/sh").string();
  Observations o;
  o.command = {"/bin/sh", "-c", "exit 0"};
  o.user = "nobody";
  for (const char* s : {"execve", "brk", "mmap", "openat", "read", "close", "newfstatat", "exit_group", "rt_sigaction"})
    o.syscalls[s] = ev(3, std::string(s) + "(...)");
  path(o, "/bin/sh", kRead | kExec);
  path(o, sh, kRead | kExec);
  path(o, "/etc/ld.so.cache", kRead);
  for (const auto& lib : {"/lib64/ld-linux-x86-64.so.2", "/lib/x86_64-linux-gnu/libc.so.6"})
    if (access(lib, F_OK) == 0) path(o, lib, kRead | kExec);
  std::string text = write_profile(o, opts());
  expect_launchable(text, o.command);
  EXPECT_THAT(text, HasLine("BindReadOnlyPaths=-/usr"));
  EXPECT_THAT(text, HasLine("BindReadOnlyPaths=-/etc/ld.so.cache"));
  EXPECT_THAT(text, Not(HasSubstr("BindReadOnlyPaths=-/etc\n")));
  EXPECT_THAT(text, HasLine("User=nobody"));
}

// The OS trees hold every program of the host: they are noexec, and only
// what the workload executed or mapped executable runs, also where a tree is
// a symlink into /usr (merged /usr: the loader opens /lib/... paths, and the
// jail binds /lib as a mount of its own).
TEST(LearnWrite, OnlyWhatRanMayRunFromTheOsTrees) {
  std::error_code ec;
  std::string libc = std::filesystem::canonical("/lib/x86_64-linux-gnu/libc.so.6", ec).string();
  if (ec) GTEST_SKIP() << "this host has no /lib/x86_64-linux-gnu/libc.so.6";
  std::string true_bin = std::filesystem::canonical("/bin/true").string();
  Observations o;
  o.command = {true_bin};
  o.user = "nobody";
  path(o, true_bin, kExec);
  path(o, "/lib64/ld-linux-x86-64.so.2", kRead | kExec);  // the interpreter, as PT_INTERP names it
  path(o, "/lib/x86_64-linux-gnu/libc.so.6", kRead);
  path(o, libc, kRead | kExec);
  path(o, "/usr/share/zoneinfo/UTC", kRead);
  std::string text = write_profile(o, opts());
  expect_launchable(text, o.command);
  expect_every_line_explained(text);
  EXPECT_THAT(text, HasLine("BindReadOnlyPaths=-/usr"));
  EXPECT_THAT(text, HasLine("NoExecPaths=-/usr"));
  EXPECT_THAT(text, HasLine("ExecPaths=-" + true_bin));
  EXPECT_THAT(text, HasLine("ExecPaths=-" + libc));
  EXPECT_THAT(text, HasLine("ExecPaths=-/lib64/ld-linux-x86-64.so.2"));
  // Read only: no exec.
  EXPECT_THAT(text, Not(HasSubstr("ExecPaths=-/usr/share")));
  EXPECT_THAT(text, Not(HasSubstr("ExecPaths=-/usr/bin/sh\n")));
  if (std::filesystem::is_symlink("/lib") && libc.starts_with(std::filesystem::canonical("/lib").string() + "/")) {
    EXPECT_THAT(text, HasLine("NoExecPaths=-/lib"));
    EXPECT_THAT(text, HasLine("ExecPaths=-/lib" + libc.substr(std::filesystem::canonical("/lib").string().size())));
  }
}

TEST(LearnWrite, SecretsAreBoundAloneOrNotAtAll) {
  Observations o;
  path(o, "/etc/passwd", kRead);
  path(o, "/etc/group", kRead);
  path(o, "/etc/shadow", kRead);
  path(o, "/etc/ssh/sshd_config", kRead);
  path(o, "/etc/ssh/moduli", kRead);
  path(o, "/etc/app/app.conf", kRead);
  path(o, "/etc/app/mime.types", kRead);
  path(o, "/etc/app/conf.d/a.conf", kRead);
  std::string text = write_profile(o, opts());
  expect_launchable(text);
  expect_every_line_explained(text);
  // /etc itself and /etc/ssh are never bound whole; the shadow file that was
  // read is, alone, read-only.
  EXPECT_THAT(text, Not(HasLine("BindReadOnlyPaths=-/etc")));
  EXPECT_THAT(text, Not(HasLine("BindReadOnlyPaths=-/etc/ssh")));
  EXPECT_THAT(text, HasLine("BindReadOnlyPaths=-/etc/shadow"));
  EXPECT_THAT(text, HasLine("BindReadOnlyPaths=-/etc/ssh/sshd_config"));
  EXPECT_THAT(text, HasLine("BindReadOnlyPaths=-/etc/passwd"));
  EXPECT_THAT(text, HasSubstr("a secret: bound alone and read-only"));
  EXPECT_THAT(text, Not(HasSubstr("gshadow")));
  // A config directory of its own folds, when nothing secret is in it.
  EXPECT_THAT(text, HasLine("BindReadOnlyPaths=-/etc/app"));
  EXPECT_THAT(text, Not(HasLine("BindReadOnlyPaths=-/etc/app/app.conf")));
  // ... and does not when the host's directory holds something like a key.
  WriteOptions careful = opts();
  careful.holds_secrets = [](const std::string& d) { return d == "/etc/app"; };
  std::string exact = write_profile(o, careful);
  EXPECT_THAT(exact, Not(HasLine("BindReadOnlyPaths=-/etc/app")));
  EXPECT_THAT(exact, HasLine("BindReadOnlyPaths=-/etc/app/app.conf"));
  EXPECT_THAT(exact, HasLine("BindReadOnlyPaths=-/etc/app/conf.d/a.conf"));
  // A directory that holds a secret the workload touched never folds.
  Observations k;
  path(k, "/srv/site/index.html", kRead);
  path(k, "/srv/site/tls/server.key", kRead);
  std::string kt = write_profile(k, opts());
  EXPECT_THAT(kt, Not(HasLine("BindReadOnlyPaths=-/srv/site")));
  EXPECT_THAT(kt, HasLine("BindReadOnlyPaths=-/srv/site/tls/server.key"));
  // Nor does a user's home, or anything under its dot directories.
  Observations h;
  path(h, "/home/alice/.ssh/authorized_keys", kRead);
  path(h, "/home/alice/.ssh/known_hosts", kRead);
  path(h, "/home/alice/notes.txt", kRead);
  std::string ht = write_profile(h, opts());
  expect_launchable(ht);
  EXPECT_THAT(ht, Not(HasLine("BindReadOnlyPaths=-/home/alice")));
  EXPECT_THAT(ht, Not(HasLine("BindReadOnlyPaths=-/home/alice/.ssh")));
  EXPECT_THAT(ht, HasLine("BindReadOnlyPaths=-/home/alice/.ssh/known_hosts"));
}

TEST(LearnWrite, TheHostScanFindsKeysByName) {
  std::string dir = ::testing::TempDir() + "zjail-learn-scan-" + std::to_string(getpid());
  std::filesystem::create_directories(dir + "/conf.d");
  std::ofstream(dir + "/conf.d/site.conf") << "x";
  EXPECT_FALSE(detail::host_dir_holds_secrets(dir));
  std::ofstream(dir + "/conf.d/server.key") << "x";
  EXPECT_TRUE(detail::host_dir_holds_secrets(dir));
  std::filesystem::remove(dir + "/conf.d/server.key");
  std::filesystem::create_directories(dir + "/private");
  EXPECT_TRUE(detail::host_dir_holds_secrets(dir));
  std::filesystem::remove_all(dir);
  // What cannot be read whole is not known to be harmless.
  EXPECT_TRUE(detail::host_dir_holds_secrets(dir));
}

TEST(LearnWrite, WritesGetExactlyTheirPlace) {
  Observations o;
  path(o, "/var/lib/app/db", kRead | kWrite);
  path(o, "/var/lib/app/db-journal", kCreate | kWrite | kRemove);
  path(o, "/var/log/web/access.log", kWrite);
  path(o, "/var/cache/thing", kCreate | kWrite, true);
  path(o, "/run/app.pid", kCreate | kWrite);
  path(o, "/run/app", kCreate, true);
  path(o, "/run/app/sock", kCreate);
  path(o, "/srv/data/out.txt", kCreate | kWrite);
  path(o, "/srv/data/in.txt", kRead);
  path(o, "/srv/config.ini", kRead | kWrite);
  path(o, "/var/log/direct.log", kCreate | kWrite);
  path(o, "/etc/app.conf", kRead);
  path(o, "/var/lib/systemd/thing", kWrite);
  std::string text = write_profile(o, opts());
  expect_launchable(text);
  expect_every_line_explained(text);
  EXPECT_THAT(text, HasLine("StateDirectory=app"));
  EXPECT_THAT(text, HasLine("LogsDirectory=web"));
  EXPECT_THAT(text, HasLine("CacheDirectory=thing"));
  EXPECT_THAT(text, HasLine("RuntimeDirectory=app"));
  EXPECT_THAT(text, HasLine("TemporaryFileSystem=/run:mode=1777"));
  EXPECT_THAT(text, HasLine("BindPaths=-/srv/data"));
  EXPECT_THAT(text, HasLine("BindPaths=-/srv/config.ini"));
  // Never /var/log or /var/lib/systemd writable: the file alone.
  EXPECT_THAT(text, HasLine("BindPaths=-/var/log/direct.log"));
  EXPECT_THAT(text, Not(HasLine("BindPaths=-/var/log")));
  EXPECT_THAT(text, HasLine("BindPaths=-/var/lib/systemd/thing"));
  // A file only read stays read-only; one inside a writable bind is not bound again.
  EXPECT_THAT(text, HasLine("BindReadOnlyPaths=-/etc/app.conf"));
  EXPECT_THAT(text, Not(HasSubstr("in.txt\n")));
  EXPECT_THAT(text, Not(HasLine("BindReadOnlyPaths=-/srv/config.ini")));
}

TEST(LearnWrite, OddPathsStayExact) {
  Observations o;
  for (const char* p : {"/srv/with space/file", "/srv/quote\"d/it's", "/srv/données/été.txt", "/srv/back\\slash",
                        "/srv/new\nline", "/srv/colon:name", "/srv/tab\there", "/srv/#hash", "/srv/semi;colon"})
    path(o, p, kRead);
  path(o, "/proc/self/status", kRead);
  path(o, "/proc/meminfo", kRead);
  path(o, "/proc/sys/net/core/somaxconn", kRead | kWrite);
  path(o, "/sys/devices/system/cpu/online", kRead);
  path(o, "/dev/null", kRead | kWrite);
  path(o, "/dev/urandom", kRead);
  path(o, "/dev/pts/3", kRead | kWrite);
  path(o, "/tmp/x", kCreate | kWrite);
  path(o, "/var/tmp/y", kCreate);
  path(o, "/run/systemd/journal/socket", kWrite);
  path(o, "/home/bob/data/a", kRead);
  path(o, "/usr/lib/nosuch.so", kRead, false, true);
  path(o, "/etc/nginx", kRead, true);
  o.connects["unix:/run/mysqld/mysqld.sock"] = ev(2, "connect(3, /run/mysqld/mysqld.sock)");
  std::string text = write_profile(o, opts());
  expect_launchable(text);
  expect_every_line_explained(text);
  Profile p = load(text);
  std::set<std::string> sources;
  for (const auto& b : p.binds) sources.insert(b.value.source);
  for (const char* want : {"/srv/with space/file", "/srv/quote\"d/it's", "/srv/données/été.txt", "/srv/back\\slash",
                           "/srv/#hash", "/srv/semi;colon", "/sys/devices/system/cpu/online", "/home/bob/data/a",
                           "/run/mysqld/mysqld.sock"})
    EXPECT_TRUE(sources.count(want)) << want << "\n" << text;
  // ':' splits a bind, a control byte ends a line: never bound.
  for (const char* never : {"/srv/colon:name", "/srv/new\nline", "/srv/tab\there"}) EXPECT_FALSE(sources.count(never));
  EXPECT_THAT(text, HasSubstr("# not bound, a bind cannot name a path with ':' or a control character: /srv/colon:name"));
  // zjail's own /proc, /dev and /tmp serve those.
  for (const auto& s : sources) {
    EXPECT_FALSE(s.starts_with("/proc") || s.starts_with("/dev") || s.starts_with("/tmp") || s.starts_with("/var/tmp"))
        << s;
    EXPECT_NE(s, "/srv");
  }
  EXPECT_THAT(text, HasLine("ProcSubset=all"));
  EXPECT_THAT(text, HasLine("PrivateDevices=yes"));
  EXPECT_THAT(text, HasLine("PrivateTmp=yes"));
  EXPECT_THAT(text, HasLine("BindPaths=-/run/systemd/journal/socket"));
  // A directory only looked at: an empty stand-in, not its contents.
  EXPECT_THAT(text, HasLine("TemporaryFileSystem=/etc/nginx:ro,mode=0755"));
  // A missing path is not bound.
  EXPECT_THAT(text, Not(HasSubstr("=-/usr/lib/nosuch.so")));
  // The root, listed or written, and /etc listed, are never bound whole.
  Observations root;
  path(root, "/", kList | kRead | kWrite, true);
  path(root, "/etc", kList, true);
  path(root, "/etc/hostname", kRead);
  std::string rt = write_profile(root, opts());
  expect_launchable(rt);
  Profile rp = load(rt);
  ASSERT_EQ(rp.binds.size(), 1u) << rt;
  EXPECT_EQ(rp.binds[0].value.source, "/etc/hostname");
  EXPECT_TRUE(rp.tmpfs.empty()) << rt;
  EXPECT_THAT(text, Not(HasSubstr("=-/usr\n")));
}

TEST(LearnWrite, DevicesBeyondThePseudoOnes) {
  Observations o;
  path(o, "/dev/null", kRead | kWrite);
  path(o, "/dev/tty0", kRead | kWrite);
  path(o, "/dev/kmsg", kRead);
  std::string text = write_profile(o, opts());
  expect_launchable(text);
  EXPECT_THAT(text, HasLine("DeviceAllow=/dev/tty0 rw"));
  EXPECT_THAT(text, HasLine("DeviceAllow=/dev/kmsg r"));
  EXPECT_THAT(text, Not(HasSubstr("PrivateDevices=yes")));
}

// Learn mode as a boundary: the workload chooses every path string it hands
// the observer (a failed call counts as much as one that worked), so no path
// may become another bind than itself, or another directive.
TEST(LearnWrite, AColonInAMadePathIsNoBindOfAnotherSource) {
  Observations o;
  // open("/var:/h", O_WRONLY|O_CREAT) fails with ENOENT, and is a create:
  // learn_paths.cpp writes it, exact, as "BindPaths=-/var:/h", which the
  // parser reads as the host's /var bound read-write at /h.
  path(o, "/var:/h", kCreate | kWrite);
  path(o, "/srv/a:/etc/cron.d/x", kCreate | kWrite);
  std::string text = write_profile(o, opts());
  Profile p = load(text);
  for (const auto& b : p.binds) EXPECT_EQ(b.value.source, b.value.target) << text;
  EXPECT_THAT(text, Not(HasLine("BindPaths=-/var:/h")));
}

TEST(LearnWrite, ANewlineInADevicePathIsNoSecondDirective) {
  Observations o;
  // creat("/dev/x\nBindPaths=/var:/h\n#"): not missing (a create), a device
  // name without a space, so "DeviceAllow=" + name + " w" is written raw.
  path(o, "/dev/x\nBindPaths=/var:/h\n#", kCreate | kWrite);
  std::string text = write_profile(o, opts());
  expect_every_line_explained(text);
  Profile p = load(text);
  EXPECT_TRUE(p.binds.empty()) << text;
}

TEST(LearnWrite, AWritableBindIsNeverASharedOrSecretHoldingDirectory) {
  Observations o;
  // Names the host's services use are "never taken over" (kServiceRoots),
  // yet a file made in one binds it whole, read-write.
  path(o, "/var/lib/systemd/x", kCreate | kWrite);
  path(o, "/run/systemd/y", kCreate | kWrite);
  // A file made in a directory that holds a secret: the read rules refuse to
  // fold into it, the write rules bind it whole.
  path(o, "/etc/NetworkManager/nm.lock", kCreate | kWrite);
  path(o, "/etc/app/app.lock", kCreate | kWrite);
  WriteOptions w = opts();
  w.holds_secrets = [](const std::string& d) { return d == "/etc/app"; };
  std::string text = write_profile(o, w);
  EXPECT_THAT(text, Not(HasLine("BindPaths=-/var/lib/systemd")));
  EXPECT_THAT(text, Not(HasLine("BindPaths=-/run/systemd")));
  EXPECT_THAT(text, Not(HasLine("BindPaths=-/etc/NetworkManager")));
  EXPECT_THAT(text, Not(HasLine("BindPaths=-/etc/app")));
}

// More ports than Landlock rules zjail will add: no connect rule at all
// (a profile that cannot launch helps no one), and the profile says so.
TEST(LearnWrite, ManyPortsSayWhyThereIsNoConnectRule) {
  Observations o;
  o.families["AF_INET"] = ev(1, "socket(AF_INET)");
  for (int port = 2000; port < 3100; ++port) o.connects["tcp:192.0.2.1:" + std::to_string(port)] = ev(1, "connect");
  std::string text = write_profile(o, opts());
  expect_launchable(text);
  EXPECT_THAT(text, HasSubstr("# no connect rule: more than 1024 TCP ports were connected to"));
  EXPECT_THAT(text, Not(HasLine("SocketConnectAllow=tcp:2000")));
}

// Learning takes an attempt for a need: a workload could ask for the host's
// disks, its admin groups or kernel-wide capabilities by failing to use
// them. Those are never learned, only noted.
TEST(LearnWrite, WhatReachesTheHostIsNeverLearned) {
  Observations o;
  o.capabilities["CAP_SYS_ADMIN"] = ev(1, "mount(\"/x\")");
  o.capabilities["CAP_SYS_MODULE"] = ev(1, "init_module");
  o.capabilities["CAP_CHOWN"] = ev(1, "chown(\"/srv/x\", 33, 33)");
  o.users["uid:33"] = ev(1, "setuid(33)");
  o.users["gid:6"] = ev(1, "setgid(6)");  // disk on Debian
  path(o, "/dev/mem", kRead | kWrite);
  std::string text = write_profile(o, opts());
  expect_launchable(text);
  Profile p = load(text);
  auto has = [&](const NameList& l, const char* cap) {
    return std::any_of(l.names.begin(), l.names.end(), [&](const auto& i) { return i.value == cap; });
  };
  EXPECT_FALSE(has(p.ambient_capabilities, "CAP_SYS_ADMIN")) << text;
  EXPECT_FALSE(has(p.capability_bounding_set, "CAP_SYS_MODULE")) << text;
  EXPECT_TRUE(has(p.ambient_capabilities, "CAP_CHOWN")) << text;
  EXPECT_THAT(text, HasSubstr("# not granted: CAP_SYS_ADMIN"));
  group* disk = getgrnam("disk");
  if (disk && disk->gr_gid == 6) {
    EXPECT_THAT(text, Not(HasLine("Group=6")));
    EXPECT_THAT(text, Not(HasLine("SupplementaryGroups=6")));
    EXPECT_THAT(text, HasSubstr("# not granted: gid 6"));
  }
  EXPECT_THAT(text, Not(HasSubstr("DeviceAllow=/dev/mem")));
  EXPECT_THAT(text, HasSubstr("not granted, a disk or the kernel's memory"));
}

TEST(LearnWrite, PrivateNetworkUnlessSomethingOutsideWasReached) {
  Observations o;
  o.families["AF_INET"] = ev(2, "socket(AF_INET, SOCK_STREAM)");
  o.families["AF_UNIX"] = ev(1, "socket(AF_UNIX)");
  // It talked to itself on loopback: the jail's own loopback does that.
  o.tcp_binds[0] = ev(1, "bind(3, 127.0.0.1:0)");
  o.connects["tcp:127.0.0.1:43210"] = ev(1, "connect(4, 127.0.0.1:43210)");
  std::string text = write_profile(o, opts());
  expect_launchable(text);
  EXPECT_THAT(text, HasLine("PrivateNetwork=yes"));
  EXPECT_THAT(text, HasLine("RestrictAddressFamilies=AF_INET"));
  EXPECT_THAT(text, HasLine("RestrictAddressFamilies=AF_UNIX"));
  EXPECT_THAT(text, Not(HasSubstr("SocketBind")));
  // A host service on loopback is outside the jail.
  o.connects["tcp:127.0.0.1:5432"] = ev(1, "connect(5, 127.0.0.1:5432)");
  std::string host = write_profile(o, opts());
  expect_launchable(host);
  EXPECT_THAT(host, HasLine("PrivateNetwork=no"));
  EXPECT_THAT(host, HasLine("SocketConnectAllow=tcp:5432"));
  o.connects.erase("tcp:127.0.0.1:5432");
  Profile p = load(text);
  EXPECT_FALSE(p.security.restrict_address_families.invert);
  EXPECT_EQ(p.security.restrict_address_families.names.size(), 2u);
}

TEST(LearnWrite, HostNetworkWithThePortsItUsedAndNoOther) {
  Observations o;
  o.families["AF_INET6"] = ev(3, "socket(AF_INET6, SOCK_STREAM)");
  o.tcp_binds[8080] = ev(1, "bind(3, [::]:8080)");
  o.tcp_binds[80] = ev(1, "bind(4, 0.0.0.0:80)");
  o.udp_binds[5353] = ev(1, "bind(5, 0.0.0.0:5353)");
  o.connects["tcp:10.1.2.3:5432"] = ev(7, "connect(6, 10.1.2.3:5432)");
  o.connects["tcp:127.0.0.1:6379"] = ev(2, "connect(7, 127.0.0.1:6379)");
  o.connects["udp:[::1]:53"] = ev(1, "connect(8, [::1]:53)");
  o.capabilities["CAP_NET_BIND_SERVICE"] = ev(1, "bind(4, 0.0.0.0:80)");
  std::string text = write_profile(o, opts(6));
  expect_launchable(text);
  expect_every_line_explained(text);
  EXPECT_THAT(text, HasLine("PrivateNetwork=no"));
  EXPECT_THAT(text, HasLine("ListenStream=80"));
  EXPECT_THAT(text, HasLine("SocketBindDeny=tcp:any"));
  EXPECT_THAT(text, HasLine("SocketBindAllow=tcp:8080"));
  EXPECT_THAT(text, HasLine("SocketConnectDeny=any"));
  EXPECT_THAT(text, HasLine("SocketConnectAllow=tcp:5432"));
  EXPECT_THAT(text, HasLine("SocketConnectAllow=tcp:6379"));
  EXPECT_THAT(text, Not(HasSubstr("AmbientCapabilities=CAP_NET_BIND_SERVICE")));
  EXPECT_THAT(text, HasSubstr("UDP port 5353 bound"));
  // The launch's own planner: exactly those ports open.
  Profile p = load(text);
  LandlockPlan ll;
  ASSERT_TRUE(plan_landlock_net(p, 6, ll));
  EXPECT_TRUE(ll.handle_bind_tcp);
  EXPECT_EQ(ll.bind_ports, std::vector<uint16_t>{8080});
  EXPECT_TRUE(ll.handle_connect_tcp);
  EXPECT_EQ(ll.connect_ports, (std::vector<uint16_t>{5432, 6379}));
  // An old kernel: no rule it could not enforce, and still a launchable profile.
  std::string old = write_profile(o, opts(2));
  EXPECT_THAT(old, Not(HasSubstr("\nSocketBind")));
  EXPECT_THAT(old, Not(HasSubstr("\nSocketConnect")));
  EXPECT_THAT(old, HasSubstr("this kernel has Landlock ABI 2"));
  Profile po = load(old);
  LandlockPlan ll2;
  EXPECT_TRUE(plan_landlock_net(po, 2, ll2));
  // Port 0: no bind rule (zjail refuses bind(0) under one).
  o.tcp_binds[0] = ev(1, "bind(9, 0.0.0.0:0)");
  std::string zero = write_profile(o, opts(6));
  expect_launchable(zero);
  EXPECT_THAT(zero, Not(HasSubstr("\nSocketBind")));
  EXPECT_THAT(zero, HasLine("SocketConnectDeny=any"));
}

TEST(LearnWrite, APortBelow1024IsTheSameAddressHandedToItsOwnBind) {
  // nginx's default site: 0.0.0.0:80, and [::]:80 IPv6-only beside it.
  Observations o;
  o.families["AF_INET"] = ev(1, "socket(AF_INET)");
  o.families["AF_INET6"] = ev(1, "socket(AF_INET6)");
  o.tcp_binds[80] = ev(2, "bind(6, 0.0.0.0:80)");
  o.listens["tcp:0.0.0.0:80"] = ev(1, "bind(6, 0.0.0.0:80)");
  o.listens["tcp:[::]:80 v6only"] = ev(1, "bind(7, [::]:80)");
  o.udp_binds[323] = ev(1, "bind(5, 127.0.0.1:323)");
  o.listens["udp:127.0.0.1:323"] = ev(1, "bind(5, 127.0.0.1:323)");
  o.capabilities["CAP_NET_BIND_SERVICE"] = ev(3, "bind(6, 0.0.0.0:80)");
  std::string text = write_profile(o, opts(6));
  expect_launchable(text);
  expect_every_line_explained(text);
  EXPECT_THAT(text, HasLine("ListenStream=0.0.0.0:80"));
  EXPECT_THAT(text, HasLine("ListenStream=[::]:80"));
  EXPECT_THAT(text, HasLine("ListenDatagram=127.0.0.1:323"));
  EXPECT_THAT(text, Not(HasLine("ListenStream=80")));
  EXPECT_THAT(text, HasLine("ListenViaBind=yes"));
  EXPECT_THAT(text, HasLine("BindIPv6Only=ipv6-only"));
  Profile p = load(text);
  EXPECT_TRUE(p.listen_via_bind.value.value_or(false));
  // The evidence keeps the addresses: --merge reads them back.
  auto back = parse_evidence(text, "learned.profile");
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(back->listens.size(), 3u);
  // A base that has them already: nothing to add.
  std::string beyond = write_profile(o, [&] {
    WriteOptions w = opts(6);
    w.base = &p;
    return w;
  }());
  EXPECT_THAT(beyond, Not(HasSubstr("\nListenStream=")));
  EXPECT_THAT(beyond, Not(HasLine("ListenViaBind=yes")));
  // A dual-stack wildcard alone says so.
  Observations d;
  d.tcp_binds[443] = ev(1, "bind(3, [::]:443)");
  d.listens["tcp:[::]:443"] = ev(1, "bind(3, [::]:443)");
  std::string dual = write_profile(d, opts(6));
  expect_launchable(dual);
  EXPECT_THAT(dual, HasLine("BindIPv6Only=both"));
}

// Debian's redis runs as root only under the drop-in; what it writes is
// redis's. Learned as root, it must run as the owner of what it wrote.
TEST(LearnWrite, RootThatWroteOnlyOneUsersFilesRunsAsThatUser) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to give a directory to another user";
  passwd* nobody = getpwnam("nobody");
  if (!nobody) GTEST_SKIP() << "no user nobody on this host";
  // Not under /tmp: temporary places are the jail's own and say nothing.
  std::filesystem::path dir = std::filesystem::current_path() / ("learn-owner-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "dump.rdb") << "x";
  ASSERT_EQ(chown(dir.c_str(), nobody->pw_uid, nobody->pw_gid), 0);
  ASSERT_EQ(chown((dir / "dump.rdb").c_str(), nobody->pw_uid, nobody->pw_gid), 0);
  Observations o;
  o.user = "root";
  path(o, (dir / "dump.rdb").string(), kWrite);
  path(o, (dir / "temp-1.rdb").string(), kCreate | kRemove);
  path(o, "/run/redis/redis.pid", kCreate);
  std::string text = write_profile(o, opts());
  expect_every_line_explained(text);
  EXPECT_THAT(text, HasLine("User=" + std::string(nobody->pw_name)));
  EXPECT_THAT(text, HasSubstr("is " + std::string(nobody->pw_name) + "'s"));
  // What learning as root left there as root's is named, for the admin to remove.
  std::ofstream(dir / "admin.sock") << "";
  path(o, (dir / "admin.sock").string(), kCreate);
  std::string left = write_profile(o, opts());
  EXPECT_THAT(left, HasLine("User=" + std::string(nobody->pw_name)));
  EXPECT_THAT(left, HasSubstr("# left by learning as root: " + (dir / "admin.sock").string() + " is root's"));
  EXPECT_THAT(text, Not(HasSubstr("left by learning as root")));
  // One root-owned place written as well: no single owner, so nobody.
  path(o, "/etc/zjail-learn-test.conf", kWrite);
  std::string mixed = write_profile(o, opts());
  EXPECT_THAT(mixed, HasSubstr("ran as root and never switched: zjail never runs a payload as root"));
  std::filesystem::remove_all(dir);
}

// nginx's pid file was there from an earlier start: read, rewritten and
// removed, it is the workload's own, in the private /run, never a bind
// (read-only, it failed nginx's start).
TEST(LearnWrite, APidFileInRunRewrittenIsTheJailsOwn) {
  Observations o;
  path(o, "/run/nginx.pid", kRead | kWrite | kRemove);
  std::string text = write_profile(o, opts());
  expect_launchable(text);
  EXPECT_THAT(text, HasLine("TemporaryFileSystem=/run:mode=1777"));
  EXPECT_THAT(text, Not(HasSubstr("Paths=-/run/nginx.pid")));
}

// chronyd refuses a /run/chrony others may enter: a service directory
// keeps the mode it has on the host.
TEST(LearnWrite, AServiceDirectoryKeepsItsHostMode) {
  std::string dir = "/var/lib/zjail-learn-mode-" + std::to_string(getpid());
  if (mkdir(dir.c_str(), 0750) != 0) GTEST_SKIP() << "cannot make " << dir << ": " << strerror(errno);
  chmod(dir.c_str(), 0750);
  Observations o;
  path(o, dir + "/state.db", kCreate | kWrite);
  std::string text = write_profile(o, opts());
  rmdir(dir.c_str());
  expect_launchable(text);
  EXPECT_THAT(text, HasLine("StateDirectory=" + dir.substr(9)));
  EXPECT_THAT(text, HasLine("StateDirectoryMode=0750"));
}

TEST(LearnWrite, SystemCallsAsGroupsAndSingleCalls) {
  Observations o;
  auto fs = expand_syscalls({"@file-system"});
  ASSERT_TRUE(fs);
  size_t i = 0;
  for (const auto& s : *fs)
    if (i++ % 3 != 0) o.syscalls[s] = ev(i, s + "(...)");  // two thirds of @file-system
  o.syscalls["setresuid"] = ev(1, "setresuid(33, 33, 33)");
  o.syscalls["ptrace"] = ev(1, "ptrace(PTRACE_TRACEME)");
  o.syscalls["socket"] = ev(2, "socket(AF_INET)");
  o.syscalls["brk"] = ev(50, "brk(0)");
  o.syscalls["no_such_call_zjail"] = ev(1, "?");
  std::string text = write_profile(o, opts());
  expect_launchable(text);
  // @system-service holds what learning lets through unwatched; what was
  // seen beyond it is a line each.
  EXPECT_THAT(text, HasLine("SystemCallFilter=@system-service"));
  EXPECT_THAT(text, HasLine("SystemCallFilter=ptrace"));
  EXPECT_THAT(text, Not(HasLine("SystemCallFilter=setresuid")));
  EXPECT_THAT(text, Not(HasSubstr("SystemCallFilter=@network-io")));
  EXPECT_THAT(text, Not(HasSubstr("SystemCallFilter=@setuid")));
  EXPECT_THAT(text, Not(HasSubstr("SystemCallFilter=brk")));
  EXPECT_THAT(text, HasSubstr("not known to this libseccomp"));
  EXPECT_THAT(text, HasLine("SystemCallErrorNumber=EPERM"));
  // What the profile allows: what was seen, plus the group's rest and @default.
  Profile p = load(text);
  std::vector<std::string> names;
  for (const auto& n : p.system_call_filter.names) names.push_back(n.value);
  auto allowed = expand_syscalls(names);
  ASSERT_TRUE(allowed);
  for (const auto& [s, e] : o.syscalls)
    if (syscall_known(s)) {
      EXPECT_TRUE(allowed->count(s)) << s;
    }
  for (const char* denied : {"mount", "setuid", "bpf", "connect", "kexec_load", "unshare"})
    EXPECT_FALSE(allowed->count(denied)) << denied;
}

// An enforcing jail answers clone3 and openat2 with ENOSYS, and libc falls
// back to clone and openat: a workload seen using the newer calls keeps the
// older (redis-server's threads were refused clone in bench/learn.sh).
TEST(LearnWrite, NewerCallsSeenKeepTheirFallbacks) {
  Observations o;
  o.syscalls["clone3"] = ev(4, "clone3({flags=CLONE_VM|CLONE_THREAD})");
  o.syscalls["openat2"] = ev(1, "openat2(...)");
  std::string text = write_profile(o, opts());
  expect_launchable(text);
  Profile p = load(text);
  std::vector<std::string> names;
  for (const auto& i : p.system_call_filter.names) names.push_back(i.value);
  auto allowed = expand_syscalls(names);
  ASSERT_TRUE(allowed);
  for (const char* c : {"clone", "clone3", "openat", "openat2"}) EXPECT_TRUE(allowed->count(c)) << c;
  EXPECT_FALSE(allowed->count("fork")) << "fork was never seen";
}

TEST(LearnWrite, UsersCapabilitiesAndTheRest) {
  Observations o;
  o.user = "root";
  o.users["uid:33"] = ev(2, "setresuid(33, 33, 33)");
  o.users["gid:33"] = ev(2, "setresgid(33, 33, 33)");
  o.users["gid:4"] = ev(1, "setgroups([33, 4])");
  o.capabilities["CAP_SETUID"] = ev(2, "setresuid(33, 33, 33)");
  o.capabilities["CAP_SYS_PTRACE"] = ev(1, "ptrace(PTRACE_ATTACH, 1)");
  o.write_execute = ev(4, "mmap(PROT_WRITE|PROT_EXEC)");
  o.namespaces["CLONE_NEWUSER"] = ev(1, "unshare(CLONE_NEWUSER)");
  o.rlimits["NOFILE"] = ev(1, "setrlimit(RLIMIT_NOFILE, 65536)");
  o.rlimit_values["NOFILE"] = 65536;
  o.rlimits["NPROC"] = ev(1, "fork: EAGAIN");
  o.syscalls["personality"] = ev(1, "personality(0xffffffff)");
  std::string text = write_profile(o, opts());
  expect_launchable(text);
  expect_every_line_explained(text);
  EXPECT_THAT(text, HasLine("User=33"));
  EXPECT_THAT(text, HasLine("Group=33"));
  // adm (4 on Debian) and CAP_SYS_PTRACE reach beyond the daemon: noted,
  // not granted.
  if (group* adm = getgrgid(4); adm && std::string(adm->gr_name) == "adm") {
    EXPECT_THAT(text, Not(HasLine("SupplementaryGroups=4")));
    EXPECT_THAT(text, HasSubstr("# not granted: gid 4"));
  }
  EXPECT_THAT(text, Not(HasSubstr("=CAP_SYS_PTRACE")));
  EXPECT_THAT(text, HasSubstr("# not granted: CAP_SYS_PTRACE"));
  EXPECT_THAT(text, Not(HasSubstr("=CAP_SETUID")));
  EXPECT_THAT(text, Not(HasSubstr("MemoryDenyWriteExecute=yes")));
  EXPECT_THAT(text, HasLine("RestrictNamespaces=user"));
  EXPECT_THAT(text, HasLine("LimitNOFILE=65536"));
  EXPECT_THAT(text, Not(HasSubstr("LimitNPROC")));
  EXPECT_THAT(text, Not(HasSubstr("LockPersonality=yes")));
  EXPECT_THAT(text, HasLine("RestrictRealtime=yes"));
}

TEST(LearnWrite, DeterministicAndEveryLineExplained) {
  Observations o;
  path(o, "/etc/b", kRead);
  path(o, "/etc/a", kRead);
  o.syscalls["read"] = ev(1, "read(0)");
  o.families["AF_UNIX"] = ev(1, "socket(AF_UNIX)");
  std::string a = write_profile(o, opts()), b = write_profile(o, opts());
  EXPECT_EQ(a, b);
  EXPECT_LT(a.find("/etc/a"), a.find("/etc/b"));
  // The same facts merged from two runs, in either order, write the same.
  Observations x, y;
  path(x, "/etc/a", kRead);
  x.syscalls["read"] = ev(1, "read(0)");
  path(y, "/etc/b", kRead);
  y.families["AF_UNIX"] = ev(1, "socket(AF_UNIX)");
  Observations xy, yx;
  merge(xy, x);
  merge(xy, y);
  merge(yx, y);
  merge(yx, x);
  EXPECT_EQ(write_profile(xy, opts()), write_profile(yx, opts()));
  EXPECT_EQ(write_profile(xy, opts()), a);
}

// --profile BASE: only what the workload needed beyond it.
TEST(LearnWrite, BeyondABaseProfile) {
  Profile base;
  ASSERT_TRUE(load_profile(base, "base-service", kSearch, ProfileTrust::any()));
  Observations o;
  path(o, "/usr/lib/x86_64-linux-gnu/libc.so.6", kRead | kExec);
  path(o, "/etc/ld.so.cache", kRead);
  path(o, "/etc/app/app.conf", kRead);
  path(o, "/var/lib/app/state", kWrite);
  o.syscalls["openat"] = ev(9, "openat(...)");
  o.syscalls["setresuid"] = ev(1, "setresuid(65534, 65534, 65534)");
  o.families["AF_INET"] = ev(1, "socket(AF_INET)");
  o.connects["tcp:192.0.2.1:443"] = ev(3, "connect(3, 192.0.2.1:443)");
  o.user = "nobody";
  WriteOptions w = opts();
  w.base_profiles = {"base-service"};
  w.base = &base;
  std::string text = write_profile(o, w);
  expect_launchable(text);
  expect_every_line_explained(text);
  auto ls = lines_of(text);
  EXPECT_THAT(text, HasLine("Include=base-service"));
  EXPECT_THAT(text, HasLine("BindReadOnlyPaths=-/etc/app/app.conf"));
  EXPECT_THAT(text, HasLine("StateDirectory=app"));
  EXPECT_THAT(text, HasLine("SystemCallFilter=setresuid"));
  EXPECT_THAT(text, HasLine("PrivateNetwork=no"));
  EXPECT_THAT(text, HasLine("SocketConnectAllow=tcp:443"));
  // What the base gives is not repeated.
  EXPECT_THAT(text, Not(HasSubstr("-/usr\n")));
  EXPECT_THAT(text, Not(HasSubstr("ld.so.cache\n")));
  EXPECT_THAT(text, Not(HasSubstr("SystemCallFilter=openat")));
  EXPECT_THAT(text, Not(HasSubstr("User=")));
  EXPECT_THAT(text, Not(HasSubstr("MemoryDenyWriteExecute")));
  // The base with the lines allows what the workload did.
  Profile both = load(text);
  std::vector<std::string> names;
  for (const auto& n : both.system_call_filter.names) names.push_back(n.value);
  auto allowed = expand_syscalls(names);
  ASSERT_TRUE(allowed);
  EXPECT_FALSE(both.system_call_filter.invert);
  EXPECT_TRUE(allowed->count("setresuid"));
  EXPECT_TRUE(allowed->count("openat"));
  EXPECT_FALSE(allowed->count("setuid"));
  EXPECT_FALSE(both.private_network.value.value_or(true));
  // Nothing beyond the base: no line at all.
  Observations none;
  none.user = "nobody";
  path(none, "/usr/bin/true", kExec);
  std::string empty = write_profile(none, w);
  expect_launchable(empty);
  auto rest = lines_of(empty);
  EXPECT_EQ(std::count_if(rest.begin(), rest.end(), [](const std::string& l) {
              return l != "[Jail]" && !l.starts_with("Include=");
            }),
            0)
      << empty;
}

TEST(LearnWrite, TheDropInRunsTheCommandThroughZjail) {
  Observations o;
  o.command = {"/usr/sbin/nginx", "-g", "daemon off; pid /run/x.pid;", "100%", "$HOME", ";"};
  o.notify = ev(1, "READY=1");
  path(o, "/run/nginx.pid", kCreate | kWrite);
  WriteOptions w = opts();
  w.output = "/etc/zjail/profiles/nginx learned.profile";
  std::string d = write_dropin(o, w);
  EXPECT_THAT(d, HasSubstr("[Service]\nExecStart=\nExecStart=/usr/bin/zjail --profile "
                           "\"/etc/zjail/profiles/nginx learned.profile\" -- /usr/sbin/nginx -g "
                           "\"daemon off; pid /run/x.pid;\" 100%% $$HOME \\;\n"));
  EXPECT_THAT(d, HasSubstr("\nDelegate=yes\n"));
  EXPECT_THAT(d, HasSubstr("\nPIDFile=\n"));
  EXPECT_THAT(d, HasSubstr("Type=notify stays"));
}

// Many observation sets, odd ones included: every profile written passes
// --check and plans its socket rules, and its evidence reads back exactly.
TEST(LearnWrite, ManyObservationSetsAllLaunch) {
  const std::vector<std::string> pool = {
      "/etc/passwd", "/etc/shadow", "/etc/app/a.conf", "/etc/app/b.conf", "/etc/ssh/ssh_host_ed25519_key",
      "/usr/lib/libx.so", "/lib64/ld-linux-x86-64.so.2", "/var/lib/app/db", "/var/log/app/log", "/var/cache/app/c",
      "/run/app.pid", "/run/app/s", "/run/user/1000/bus", "/srv/a b/c", "/srv/\xc3\xa9t\xc3\xa9", "/srv/q\"uote",
      "/srv/new\nline", "/srv/x:y", "/proc/meminfo", "/proc/1/stat", "/sys/kernel/mm/transparent_hugepage/enabled",
      "/dev/null", "/dev/tty1", "/tmp/t", "/home/u/f", "/home/u/.bashrc", "/root/.profile", "/opt/app/bin/run",
      "/var/www/html/index.html", "/var/lib/private/x", "/etc", "/", "/dev/log"};
  const std::vector<std::string> families = {"AF_UNIX", "AF_INET", "AF_INET6", "AF_NETLINK", "AF_PACKET", "AF_NOSUCH"};
  const std::vector<std::string> connects = {"tcp:127.0.0.1:5432", "tcp:[2001:db8::1]:443", "udp:8.8.8.8:53",
                                             "unix:/run/x.sock", "unix:@abstract", "garbage"};
  std::mt19937 rng(1234);
  for (int round = 0; round < 200; ++round) {
    Observations o;
    auto pick = [&](size_t n) { return rng() % n; };
    for (int i = 0, n = static_cast<int>(pick(12)); i < n; ++i) {
      PathUse u;
      u.access = 1u + pick(63);
      u.directory = pick(4) == 0;
      u.missing = pick(6) == 0;
      u.seen = ev(1 + pick(5), "ex \\ \"" + std::to_string(i) + "\n");
      o.paths[pool[pick(pool.size())]] = u;
    }
    for (int i = 0, n = static_cast<int>(pick(4)); i < n; ++i) o.families[families[pick(families.size())]] = ev(1, "s");
    for (int i = 0, n = static_cast<int>(pick(3)); i < n; ++i) o.tcp_binds[static_cast<uint16_t>(pick(3) ? 1000 + pick(64000) : pick(1024))] = ev(1, "b");
    for (int i = 0, n = static_cast<int>(pick(2)); i < n; ++i) o.udp_binds[static_cast<uint16_t>(pick(2000))] = ev(1, "u");
    for (int i = 0, n = static_cast<int>(pick(3)); i < n; ++i) o.connects[connects[pick(connects.size())]] = ev(1, "c");
    if (pick(2)) o.users["uid:" + std::to_string(pick(2) ? 65534 : 0)] = ev(1, "setuid");
    if (pick(3) == 0) o.capabilities[pick(2) ? "CAP_NET_RAW" : "CAP_NOT_A_CAP"] = ev(1, "cap");
    if (pick(3) == 0) o.write_execute = ev(1, "mmap");
    for (const char* s : {"read", "openat", "socket", "setuid", "mount", "clone3"})
      if (pick(2)) o.syscalls[s] = ev(1 + pick(9), s);
    for (int abi : {2, 6}) {
      std::string text = write_profile(o, opts(abi));
      SCOPED_TRACE("round " + std::to_string(round) + " abi " + std::to_string(abi));
      expect_launchable(text);
      auto back = parse_evidence(text, "learned.profile");
      ASSERT_TRUE(back) << back.error().message();
      EXPECT_EQ(evidence_block(*back), evidence_block(o));
      EXPECT_EQ(write_profile(*back, opts(abi)), text);
    }
  }
}

}  // namespace
}  // namespace zjail::learn
