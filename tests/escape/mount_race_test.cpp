// Mount-time symlink races: the escape class the battery cannot run from
// inside, because the attack is on zjail's own mounts while the jail is
// being built. The attacker is the payload's uid (nobody), who owns a
// directory that a profile binds; it plants symlinks there, or flips a
// directory and a symlink to a host directory back and forth
// (renameat2(RENAME_EXCHANGE), atomic) while zjail launches again and again.
// A launch may fail (ELOOP) but must never mount the host directory, and
// must never mount anything outside the jail's root.
#include <fcntl.h>
#include <linux/fs.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "harness.hpp"

namespace zjail_test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const uid_t kNobody = nobody_uid();  // base-service's User=nobody, on this host
constexpr int kRuns = 60;

using MountRace = RootTest;

// A tree owned by the attacker: `dir/inside` holds marker "inside"; the host
// directory `secret` (root's, not bound anywhere) holds "host-secret-dir".
struct AttackerTree {
  TempDir top;     // 0755 root: holds the two below
  std::string attacker = top / "attacker";
  std::string secret = top / "secret";
  AttackerTree() {
    mkdir(attacker.c_str(), 0755);
    if (chown(attacker.c_str(), kNobody, kNobody) != 0) ADD_FAILURE() << "chown: " << strerror(errno);
    mkdir(secret.c_str(), 0755);
    std::ofstream(secret + "/marker") << "host-secret-dir\n";
  }
  // As the attacker: a directory with the marker and a symlink to the secret.
  void plant(const std::string& dir, const std::string& link) const {
    as_attacker([&] {
      if (mkdir((attacker + "/" + dir).c_str(), 0755) != 0) _exit(1);
      std::ofstream(attacker + "/" + dir + "/marker") << "inside\n";
      if (!link.empty() && symlink(secret.c_str(), (attacker + "/" + link).c_str()) != 0) _exit(1);
      _exit(0);
    });
  }
  template <class F>
  static void as_attacker(F f) {
    pid_t c = fork();
    if (c == 0) {
      if (setresgid(kNobody, kNobody, kNobody) < 0 || setresuid(kNobody, kNobody, kNobody) < 0) _exit(1);
      f();
      _exit(0);
    }
    int st = 0;
    waitpid(c, &st, 0);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) ADD_FAILURE() << "attacker set-up failed";
  }
};

// Why `a` and `b` cannot be swapped with RENAME_EXCHANGE here (the file
// system under the test's temporary directory lacks it), or "": without it
// the flipper below would never flip, and the race tests would race nothing.
std::string cannot_exchange(const std::string& a, const std::string& b) {
  for (int i = 0; i < 2; ++i)  // there and back
    if (syscall(SYS_renameat2, AT_FDCWD, a.c_str(), AT_FDCWD, b.c_str(), RENAME_EXCHANGE) != 0)
      return "renameat2(RENAME_EXCHANGE) in " + a.substr(0, a.rfind('/')) + ": " + strerror(errno);
  return "";
}

// The attacker's flipper: swaps `a` and `b` (a directory and a symlink) as
// fast as it can until killed.
struct Flipper {
  pid_t pid = -1;
  Flipper(const std::string& a, const std::string& b) {
    pid = fork();
    if (pid == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (setresgid(kNobody, kNobody, kNobody) < 0 || setresuid(kNobody, kNobody, kNobody) < 0) _exit(1);
      for (;;) syscall(SYS_renameat2, AT_FDCWD, a.c_str(), AT_FDCWD, b.c_str(), RENAME_EXCHANGE);
    }
  }
  ~Flipper() {
    if (pid > 0) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
  }
};

RunResult cat_in_jail(const std::vector<std::string>& binds, const std::vector<std::string>& paths) {
  std::vector<std::string> a = {"--profile", "base-service"};
  a.insert(a.end(), binds.begin(), binds.end());
  a.insert(a.end(), {"--", kProbe, "cat"});
  a.insert(a.end(), paths.begin(), paths.end());
  return run(a);
}

std::string host_mounts() { return read_file("/proc/self/mountinfo"); }

// Where the jail mounted host directory `root` (its mountinfo "root" field).
std::vector<std::string> mounted_at(const RunResult& r, const std::string& root) {
  std::vector<std::string> out;
  for (const auto& l : r.lines()) {
    std::istringstream in(l);
    std::string tag, file, id, parent, dev, fsroot, point;
    if (in >> tag >> file >> id >> parent >> dev >> fsroot >> point && tag == "CONTENT" &&
        file == "/proc/self/mountinfo" && fsroot == root)
      out.push_back(point);
  }
  return out;
}

struct Tally {
  int inside = 0;
  std::map<std::string, int> refused;  // zjail's error line -> count
  std::string str() const {
    std::string s = std::to_string(inside) + " mounted inside";
    for (const auto& [e, n] : refused) s += "; " + std::to_string(n) + " refused: " + e;
    return s;
  }
};

// A launch either mounts where it should or fails closed with zjail's own
// error (exit 125) naming the symlink; the secret must never show.
void expect_inside_or_refused(const RunResult& r, bool (*inside)(const RunResult&), Tally& t) {
  EXPECT_THAT(r.out, Not(HasSubstr("host-secret"))) << "the host directory was mounted\n" << r.dump();
  if (r.code == 0) {
    EXPECT_TRUE(inside(r)) << r.dump();
    ++t.inside;
    return;
  }
  EXPECT_EQ(r.code, 125) << r.dump();
  EXPECT_THAT(r.err, HasSubstr("Too many levels of symbolic links")) << r.dump();
  std::string e = r.err_lines().empty() ? "" : r.err_lines().front();
  // Group by the error without the run's temporary paths.
  size_t step = e.find("(step:");
  ++t.refused[step == std::string::npos ? e : e.substr(step)];
}

// Not raced: the attacker replaced a bound directory with a symlink to a
// host directory before the launch. zjail must not follow it.
TEST_F(MountRace, PlantedSymlinkInBindSourceIsNotFollowed) {
  AttackerTree t;
  t.plant("real", "src");
  auto r = cat_in_jail({"--ro-bind", t.attacker + "/src:/data"}, {"/data/marker"});
  EXPECT_THAT(r.out, Not(HasSubstr("host-secret"))) << "the planted symlink was followed\n" << r.dump();
  EXPECT_EQ(r.code, 125) << r.dump();
  EXPECT_THAT(r.err, HasSubstr("Too many levels of symbolic links")) << r.dump();
}

// The same symlink planted where a nested mount's target lies, inside a
// writable bind: the target is resolved without following symlinks.
TEST_F(MountRace, PlantedSymlinkAtNestedTargetIsNotFollowed) {
  AttackerTree t;
  t.plant("real", "sub");
  TempDir src;
  src.write("marker", "inside\n");
  std::string before = host_mounts();
  auto r = cat_in_jail({"--bind", t.attacker + ":/data", "--ro-bind", src.path() + ":/data/sub"}, {"/data/sub/marker"});
  EXPECT_THAT(r.out, Not(HasSubstr("host-secret"))) << r.dump();
  EXPECT_EQ(r.code, 125) << r.dump();
  EXPECT_THAT(r.err, HasSubstr("Too many levels of symbolic links")) << r.dump();
  EXPECT_EQ(host_mounts(), before) << "the host's mount table changed";
  EXPECT_EQ(read_file(t.secret + "/marker"), "host-secret-dir\n");
}

// RootDirectory= is resolved by the same rule.
TEST_F(MountRace, PlantedSymlinkInRootDirectoryIsNotFollowed) {
  AttackerTree t;
  t.plant("real", "root");
  TempDir prof;
  prof.write("planted-root.profile", "[Jail]\nInclude=base-service\nRootDirectory=" + t.attacker + "/root\n");
  auto r = run({"--profile", prof / "planted-root.profile", "--", kProbe, "cat", "/marker"});
  EXPECT_THAT(r.out, Not(HasSubstr("host-secret"))) << "the planted symlink was followed\n" << r.dump();
  EXPECT_EQ(r.code, 125) << r.dump();
  EXPECT_THAT(r.err, HasSubstr("Too many levels of symbolic links")) << r.dump();
}

// Raced: the bind source flips between the real directory and the symlink.
TEST_F(MountRace, BindSourceFlippedDuringLaunch) {
  AttackerTree t;
  t.plant("src", "link");
  if (auto why = cannot_exchange(t.attacker + "/src", t.attacker + "/link"); !why.empty())
    GTEST_SKIP() << "\n*** no race to run: " << why << " ***";
  Tally tally;
  {
    Flipper f(t.attacker + "/src", t.attacker + "/link");
    for (int i = 0; i < kRuns; ++i)
      expect_inside_or_refused(cat_in_jail({"--ro-bind", t.attacker + "/src:/data"}, {"/data/marker"}),
                               [](const RunResult& r) {
                                 return r.line("CONTENT").value_or("") == "CONTENT /data/marker inside";
                               },
                               tally);
  }
  std::cout << "launches: " << tally.str() << "\n";
}

// Raced: a nested mount's target inside a writable bind flips between a
// directory and a symlink to the host directory. The mount lands on the
// directory zjail opened, which by then may be called "link": still inside
// /data, never on the host directory and never outside the jail's root.
TEST_F(MountRace, NestedTargetFlippedDuringLaunch) {
  AttackerTree t;
  t.plant("sub", "link");
  if (auto why = cannot_exchange(t.attacker + "/sub", t.attacker + "/link"); !why.empty())
    GTEST_SKIP() << "\n*** no race to run: " << why << " ***";
  static TempDir src;
  src.write("marker", "inside\n");
  std::string before = host_mounts();
  Tally tally;
  {
    Flipper f(t.attacker + "/sub", t.attacker + "/link");
    for (int i = 0; i < kRuns; ++i)
      expect_inside_or_refused(
          cat_in_jail({"--bind", t.attacker + ":/data", "--ro-bind", src.path() + ":/data/sub"},
                      {"/proc/self/mountinfo"}),
          [](const RunResult& r) {
            auto at = mounted_at(r, src.path());
            return at.size() == 1 && (at[0] == "/data/sub" || at[0] == "/data/link");
          },
          tally);
  }
  std::cout << "launches: " << tally.str() << "\n";
  EXPECT_EQ(host_mounts(), before) << "the host's mount table changed";
  EXPECT_EQ(read_file(t.secret + "/marker"), "host-secret-dir\n");
}

}  // namespace
}  // namespace zjail_test
