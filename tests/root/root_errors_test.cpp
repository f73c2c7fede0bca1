// zjail's own failures: exit 125, one clear line on stderr, and the payload
// provably never ran. Every run binds a writable marker directory and asks
// the probe to write /mark/ran; a control run shows that the same command
// does write it when nothing is wrong. Also: a symlink planted at a bind
// target never redirects the mount.
#include <sys/stat.h>

#include <cstring>
#include <unistd.h>

#include "harness.hpp"

namespace zjail_test {
namespace {

using ::testing::HasSubstr;

class Errors : public RootTest {
 protected:
  TempDir mark_;
  TempDir profiles_;

  void SetUp() override {
    RootTest::SetUp();
    if (IsSkipped()) return;
    chmod(mark_.path().c_str(), 0777);
  }

  // zjail [--profile root-test] ARGS --bind MARK:/mark -- probe touch /mark/ran
  RunResult attempt(const std::vector<std::string>& args, bool base_profile = true, const RunOptions& opt = {}) {
    std::vector<std::string> a;
    if (base_profile) a = {"--profile", kProfile};
    a.insert(a.end(), args.begin(), args.end());
    a.push_back("--bind");
    a.push_back(mark_.path() + ":/mark");
    a.insert(a.end(), {"--", kProbe, "touch", "/mark/ran"});
    return run(a, opt);
  }

  std::string profile(const std::string& name, const std::string& text) {
    profiles_.write(name, text);
    return profiles_ / name;
  }

  bool payload_ran() const { return exists(mark_ / "ran"); }

  // 125, exactly one non-empty stderr line containing every `needle`,
  // nothing on stdout, and no marker.
  void expect_refused(const RunResult& r, const std::vector<std::string>& needles) {
    EXPECT_EQ(r.code, kExitFailure) << r.dump();
    auto lines = r.err_lines();
    EXPECT_EQ(lines.size(), 1u) << "want one line on stderr\n" << r.dump();
    for (const auto& n : needles) EXPECT_THAT(r.err, HasSubstr(n)) << "no '" << n << "'\n" << r.dump();
    EXPECT_EQ(r.out, "") << r.dump();
    EXPECT_FALSE(payload_ran()) << "the payload ran after a failure\n" << r.dump();
  }
};

TEST_F(Errors, ControlRunWritesTheMarker) {
  auto r = attempt({});
  EXPECT_EQ(r.code, 0) << r.dump();
  EXPECT_EQ(outcome(r, "touch"), "PASS") << r.dump();
  EXPECT_TRUE(payload_ran()) << r.dump();
}

TEST_F(Errors, UnknownDirective) {
  std::string p = profile("bad.profile", "[Jail]\nInclude=root-test\nFrobnicate=yes\n");
  auto r = attempt({"--profile", p}, false);
  expect_refused(r, {p + ":3", "Frobnicate"});
}

TEST_F(Errors, MisspelledDirectiveSuggestsTheRightOne) {
  std::string p = profile("typo.profile", "[Jail]\nInclude=root-test\nPrivateNetwrk=yes\n");
  auto r = attempt({"--profile", p}, false);
  expect_refused(r, {p + ":3", "PrivateNetwrk", "did you mean", "PrivateNetwork"});
}

TEST_F(Errors, BadValue) {
  std::string p = profile("value.profile", "[Jail]\nInclude=root-test\n\nPrivateNetwork=maybe\n");
  auto r = attempt({"--profile", p}, false);
  expect_refused(r, {p + ":4", "maybe"});
}

TEST_F(Errors, UnknownSyscallGroup) {
  std::string p = profile("group.profile", "[Jail]\nInclude=root-test\nSystemCallFilter=@sytem-service\n");
  auto r = attempt({"--profile", p}, false);
  expect_refused(r, {p + ":3", "@sytem-service", "did you mean", "@system-service"});
}

TEST_F(Errors, UnknownProfileName) {
  auto r = attempt({"--profile", "zjail-no-such-profile"});
  expect_refused(r, {"zjail-no-such-profile"});
}

TEST_F(Errors, UnknownOption) {
  auto r = attempt({"--frobnicate"});
  expect_refused(r, {"--frobnicate"});
}

TEST_F(Errors, BadOptionValue) {
  auto r = attempt({"--network", "bogus"});
  expect_refused(r, {"bogus"});
}

// Found by cli_fuzz: CLI11 let std::stoll's exception escape, and zjail
// aborted (134) instead of refusing.
TEST_F(Errors, OutOfRangeNumberIsRefused) {
  for (const char* v : {"--verbose=99999999999999999999999", "--verbose=-99999999999999999999999"}) {
    auto r = attempt({v});
    expect_refused(r, {"out of range"});
  }
}

TEST_F(Errors, BadRlimitArgument) {
  auto r = attempt({"--rlimit", "NOFILE"});
  expect_refused(r, {"NOFILE"});
}

// The kernel refuses any open-file limit above fs.nr_open, to root too: the
// payload's rlimits step fails and names the directive that asked for it.
TEST_F(Errors, RlimitTheKernelRefusesNamesItsDirective) {
  std::string nr_open = read_file("/proc/sys/fs/nr_open");
  if (nr_open.empty()) GTEST_SKIP() << "\n*** /proc/sys/fs/nr_open is unreadable here ***";
  std::string above = std::to_string(std::stoull(nr_open) + 1);
  auto r = attempt({"--rlimit", "NOFILE=" + above});
  expect_refused(r, {"LimitNOFILE= (<command line>:", "Operation not permitted", "(step: rlimits)"});
}

TEST_F(Errors, UnknownUser) {
  auto r = attempt({"--user", "zjail-no-such-user"});
  expect_refused(r, {"zjail-no-such-user"});
}

TEST_F(Errors, UnknownGroup) {
  auto r = attempt({"--group", "zjail-no-such-group"});
  expect_refused(r, {"zjail-no-such-group"});
}

// Root launching root would give the payload host root.
TEST_F(Errors, RootUserIsRefused) {
  auto r = attempt({"--user", "root"});
  expect_refused(r, {"root"});
}

TEST_F(Errors, MissingBindSource) {
  auto r = attempt({"--bind", "/nonexistent/zjail-src:/src"});
  expect_refused(r, {"/nonexistent/zjail-src", "No such file or directory", "(step: "});
}

// A name from outside cannot break zjail's one error line in two: a newline
// would let whoever names a file forge the next line of the journal, and an
// escape sequence would reach the admin's terminal. Both come out escaped.
TEST_F(Errors, ControlCharactersInNamesStayOnOneLine) {
  auto user = attempt({"--user", "nob\nzjail: forged line\x1b[2J"});
  expect_refused(user, {"nob\\x0azjail: forged line\\x1b[2J", "User="});
  EXPECT_EQ(user.err.find('\x1b'), std::string::npos) << user.dump();
  // A missing path (a list's whitespace would split it, other controls not).
  auto bind = attempt({"--bind", "/nonexistent/a\x1b]0;owned\x07" "b:/src"});
  expect_refused(bind, {"/nonexistent/a\\x1b]0;owned\\x07b", "No such file or directory"});
  // And a profile's own name, which starts its "file:line:" errors.
  auto named = attempt({"--profile", profile("evil\r\nzjail: ok.profile", "[Jail]\nNoSuchDirective=1\n")});
  expect_refused(named, {"evil\\x0d\\x0azjail: ok.profile:2"});
}

// In a profile a bind source must be absolute: there is no directory it
// could be relative to. (On the command line it is relative to the cwd.)
TEST_F(Errors, RelativeBindSourceInAProfile) {
  auto r = attempt({"--profile", profile("rel.profile", "[Jail]\nBindPaths=relative/src:/src\n")});
  expect_refused(r, {"rel.profile:2", "relative/src"});
}

TEST_F(Errors, BindTargetWithDotDot) {
  TempDir d;
  auto r = attempt({"--bind", d.path() + ":/data/../etc"});
  expect_refused(r, {".."});
}

// --- profile-trust: as root, only files root alone can write shape the jail ------------

// A drop-in directory others may write to would let them add BindPaths=/:/host
// to the jail; the same tree with the directory 0755 runs (control).
TEST_F(Errors, GroupWritableDropInDirectoryIsRefused) {
  std::string p = profile("trusted.profile", "[Jail]\nInclude=root-test\n");
  std::string d = profiles_ / "trusted.profile.d";
  ASSERT_EQ(mkdir(d.c_str(), 0755), 0);
  profiles_.write("trusted.profile.d/50-escape.conf", "[Jail]\nBindPaths=/:/host\n");
  ASSERT_EQ(chmod(d.c_str(), 0775), 0);
  expect_refused(attempt({"--profile", p}, false),
                 {"drop-in directory " + d + " is writable by group or others (mode 0775)", "Operation not permitted"});
  ASSERT_EQ(chmod(d.c_str(), 0755), 0);
  profiles_.write("trusted.profile.d/50-escape.conf", "[Jail]\nEnvironment=FROM_DROPIN=1\n");
  auto r = attempt({"--profile", p}, false);
  EXPECT_EQ(r.code, 0) << r.dump();
  EXPECT_TRUE(payload_ran()) << "control: the same tree, root's alone, runs\n" << r.dump();
}

TEST_F(Errors, ProfileOwnedByAnotherUserIsRefused) {
  std::string p = profile("theirs.profile", "[Jail]\nInclude=root-test\n");
  ASSERT_EQ(chown(p.c_str(), 65534, 65534), 0);
  expect_refused(attempt({"--profile", p}, false),
                 {"profile " + p + " is owned by uid 65534, not root", "ZJAIL_PROFILE_OWNER"});
  // The documented opt-out: that user's files are trusted by name.
  RunOptions owner;
  owner.extra_env = {"ZJAIL_PROFILE_OWNER=65534"};
  auto r = attempt({"--profile", p}, false, owner);
  EXPECT_EQ(r.code, 0) << r.dump();
  EXPECT_TRUE(payload_ran()) << r.dump();
}

TEST_F(Errors, IncludeOwnedByAnotherUserIsRefused) {
  std::string inc = profile("inc.profile", "[Jail]\nInclude=root-test\n");
  ASSERT_EQ(chown(inc.c_str(), 65534, 65534), 0);
  std::string p = profile("top.profile", "[Jail]\nInclude=" + inc + "\n");
  expect_refused(attempt({"--profile", p}, false),
                 {p + ":2: Include=" + inc + " is owned by uid 65534, not root"});
}

// A FIFO named *.conf in a drop-in directory: refused at once, not read
// (which would block until someone writes to it).
TEST_F(Errors, FifoDropInIsRefusedWithinATimeout) {
  std::string p = profile("fifo.profile", "[Jail]\nInclude=root-test\n");
  std::string d = profiles_ / "fifo.profile.d";
  ASSERT_EQ(mkdir(d.c_str(), 0755), 0);
  ASSERT_EQ(mkfifo((d + "/50.conf").c_str(), 0644), 0);
  auto r = attempt({"--profile", p}, false, with_timeout(10000));
  EXPECT_FALSE(r.timed_out) << "zjail blocked on the FIFO\n" << r.dump();
  expect_refused(r, {"drop-in " + d + "/50.conf is a FIFO, not a regular file"});
}

// A profile from a pipe (-p /dev/stdin) is refused for what it is, in the
// same words whoever runs zjail, instead of an error about the magic link.
TEST_F(Errors, ProfileFromAPipeIsNotARegularFile) {
  RunOptions o;
  o.input = "[Jail]\nInclude=root-test\n";
  auto r = attempt({"--profile", "/dev/stdin"}, false, o);
  expect_refused(r, {"profile /dev/stdin is a FIFO, not a regular file"});
}

// Each -v adds detail: the plan and the cgroup, then the mount table and the
// filters, then the timings; without it a clean launch prints nothing.
TEST_F(Errors, EachVerbosityLevelAddsDetail) {
  std::vector<size_t> lines;
  for (const char* v : {"", "-v", "-vv", "-vvv"}) {
    std::vector<std::string> args = {"--profile", kProfile};
    if (*v) args.insert(args.begin(), v);
    args.insert(args.end(), {"--", kProbe, "exit", "0"});
    auto r = run(args);
    ASSERT_EQ(r.code, 0) << r.dump();
    lines.push_back(r.err_lines().size());
    std::string level = *v ? v : "(none)";
    EXPECT_EQ(r.err.find("plan: uid") != std::string::npos, std::strlen(v) >= 2) << level << "\n" << r.dump();
    EXPECT_EQ(r.err.find("mount: mount /usr -> /usr") != std::string::npos, std::strlen(v) >= 3) << level;
    EXPECT_EQ(r.err.find("seccomp: 2 filters") != std::string::npos, std::strlen(v) >= 3) << level;
    EXPECT_EQ(r.err.find("timing: profiles") != std::string::npos, std::strlen(v) >= 4) << level;
  }
  EXPECT_EQ(lines[0], 0u);
  EXPECT_LT(lines[0], lines[1]);
  EXPECT_LT(lines[1], lines[2]);
  EXPECT_LT(lines[2], lines[3]);
}

// --- symlinks planted at bind targets ---------------------------------------------------

// /data is a writable bind of a host directory in which the (hostile) owner
// has planted `link` -> /etc. A second bind asks for a target through it.
// zjail must refuse (125, naming the mounts step) or mount without following;
// either way nothing may land on /etc, inside or outside.
class PlantedSymlink : public RootTest {
 protected:
  TempDir data_, payload_;

  void SetUp() override {
    RootTest::SetUp();
    if (IsSkipped()) return;
    chmod(data_.path().c_str(), 0777);
    payload_.write("planted", "from the second bind\n");
  }

  void check(const std::string& link_name, const std::string& target, bool tmpfs = false) {
    ASSERT_EQ(symlink("/etc", (data_ / link_name).c_str()), 0);
    std::vector<std::string> second{"--ro-bind", payload_.path() + ":" + target};
    if (tmpfs) second = {"--tmpfs", target};
    std::vector<std::string> args{"--bind", data_.path() + ":/data"};
    args.insert(args.end(), second.begin(), second.end());
    auto r = jail(args, {"mounts"});
    if (r.code == kExitFailure) {
      EXPECT_EQ(r.err_lines().size(), 1u) << r.dump();
      EXPECT_THAT(r.err, HasSubstr("(step: mounts)")) << r.dump();
      EXPECT_THAT(r.err, HasSubstr(target)) << r.dump();
    } else {
      ASSERT_EQ(r.code, 0) << r.dump();
      for (const auto& p : mount_points(r))
        EXPECT_NE(p.rfind("/etc", 0), 0u) << "a mount landed under /etc: " << p << "\n" << r.dump();
    }
    // The host: /etc untouched, the link still a link, nothing written.
    EXPECT_FALSE(exists("/etc/planted"));
    EXPECT_FALSE(exists("/etc/" + target.substr(target.rfind('/') + 1))) << "created on the host";
    struct stat st;
    ASSERT_EQ(lstat((data_ / link_name).c_str(), &st), 0);
    EXPECT_TRUE(S_ISLNK(st.st_mode)) << link_name << " was replaced";
  }
};

TEST_F(PlantedSymlink, AtTheFinalComponent) { check("sub", "/data/sub"); }

TEST_F(PlantedSymlink, AtAnIntermediateComponent) { check("link", "/data/link/deeper"); }

TEST_F(PlantedSymlink, AtATmpfsTarget) { check("sub", "/data/sub", true); }

}  // namespace
}  // namespace zjail_test
