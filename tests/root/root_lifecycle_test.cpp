// The jail as a process tree: exit statuses, signal forwarding, reaping,
// nothing left behind, and how the command is found and executed.
#include <dirent.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "harness.hpp"

namespace zjail_test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

using Exit = RootTest;
using Signals = RootTest;
using Reaping = RootTest;
using Exec = RootTest;

std::string unique_marker() {
  std::random_device rd;
  return "zjail-marker-" + std::to_string(getpid()) + "-" + std::to_string(rd());
}

std::string read_all(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

// Live (non-zombie) processes whose argv contains `marker`.
std::vector<pid_t> marked(const std::string& marker) {
  std::vector<pid_t> out;
  DIR* d = opendir("/proc");
  if (!d) return out;
  while (dirent* e = readdir(d)) {
    char* end;
    long pid = std::strtol(e->d_name, &end, 10);
    if (*end || pid <= 0 || pid == getpid()) continue;
    std::string base = std::string("/proc/") + e->d_name;
    std::string stat = read_all(base + "/stat");
    size_t rp = stat.rfind(')');
    if (rp == std::string::npos || rp + 2 >= stat.size() || stat[rp + 2] == 'Z') continue;
    if (read_all(base + "/cmdline").find(marker) != std::string::npos) out.push_back(static_cast<pid_t>(pid));
  }
  closedir(d);
  return out;
}

bool in_other_pid_ns(pid_t pid) {
  char a[64] = {}, b[64] = {};
  if (readlink(("/proc/" + std::to_string(pid) + "/ns/pid").c_str(), a, sizeof a - 1) < 0) return false;
  if (readlink("/proc/self/ns/pid", b, sizeof b - 1) < 0) return false;
  return std::string(a) != b;
}

// Polls until no marked process is left; reaps whatever was reparented to us.
std::vector<pid_t> wait_all_gone(const std::string& marker, int timeout_ms) {
  std::vector<pid_t> left;
  for (int waited = 0; waited <= timeout_ms; waited += 50) {
    while (waitpid(-1, nullptr, WNOHANG) > 0) {}
    left = marked(marker);
    if (left.empty()) return left;
    usleep(50000);
  }
  return left;
}

std::string pids_str(const std::vector<pid_t>& v) {
  std::string s;
  for (pid_t p : v) s += " " + std::to_string(p);
  return s;
}

// --- exit statuses -------------------------------------------------------------

TEST_F(Exit, PayloadExitCodePropagates) {
  for (int code : {0, 1, 3, 42, 255}) {
    auto r = jail({}, {"exit", std::to_string(code)});
    EXPECT_EQ(r.code, code) << r.dump();
  }
}

TEST_F(Exit, SignalDeathIs128PlusN) {
  auto k = jail({}, {"kill-self", std::to_string(SIGKILL)});
  EXPECT_EQ(k.code, 137) << k.dump();
  auto t = jail({}, {"kill-self", std::to_string(SIGTERM)});
  EXPECT_EQ(t.code, 128 + SIGTERM) << t.dump();
  EXPECT_TRUE(WIFEXITED(k.status)) << "zjail itself must exit, not die of the signal";
}

// --- signals -----------------------------------------------------------------------

TEST_F(Signals, SigtermToZjailReachesPayload) {
  Spawned z({"--profile", kProfile, "--", kProbe, "sigterm-wait", "42"});
  ASSERT_GT(z.pid(), 0);
  ASSERT_NE(z.wait_line("READY"), "") << "the payload never started";
  ASSERT_EQ(kill(z.pid(), SIGTERM), 0);
  auto r = z.wait();
  EXPECT_TRUE(r.line("GOT")) << r.dump();
  EXPECT_EQ(r.code, 42) << r.dump();
}

TEST_F(Signals, SigkillToZjailLeavesNoJailedProcess) {
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  std::string marker = unique_marker();
  Spawned z({"--profile", kProfile, "--", kProbe, "hang", marker});
  ASSERT_GT(z.pid(), 0);
  ASSERT_NE(z.wait_line("READY"), "") << "the payload never started";
  usleep(200000);  // let the detached grandchild settle
  auto before = marked(marker);
  int jailed = 0;
  for (pid_t p : before) jailed += in_other_pid_ns(p);
  // The probe, its child and its detached grandchild; the init shows
  // "zjail-init", not zjail's arguments, and is zjail's only child.
  ASSERT_EQ(jailed, 3) << "marked processes:" << pids_str(before);
  auto init = children_of(z.pid());
  ASSERT_EQ(init.size(), 1u);

  ASSERT_EQ(kill(z.pid(), SIGKILL), 0);
  auto left = wait_all_gone(marker, 5000);
  EXPECT_TRUE(left.empty()) << "still alive 5 s after SIGKILL to zjail:" << pids_str(left);
  for (pid_t p : left) kill(p, SIGKILL);
  // The init dies of its parent-death signal, as fast as the machine lets it
  // (an ASan build takes its time): it gets the same 5 s.
  std::string stat;
  for (int waited = 0; waited <= 5000; waited += 50) {
    stat = read_all("/proc/" + std::to_string(init[0]) + "/stat");
    if (stat.empty() || stat.find(") Z ") != std::string::npos) break;
    usleep(50000);
  }
  EXPECT_TRUE(stat.empty() || stat.find(") Z ") != std::string::npos) << "the jail's init outlived zjail: " << stat;
}

// Whoever kills the jail's init kills the jail: zjail reports it and
// nothing is left.
TEST_F(Signals, KillingTheJailInitTearsDownTheJail) {
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  std::string marker = unique_marker();
  Spawned z({"--profile", kProfile, "--", kProbe, "hang", marker});
  ASSERT_NE(z.wait_line("READY"), "") << "the payload never started";
  auto inits = children_of(z.pid());
  ASSERT_EQ(inits.size(), 1u);
  ASSERT_EQ(kill(inits[0], SIGKILL), 0);
  auto r = z.wait(10000);
  EXPECT_FALSE(r.timed_out) << r.dump();
  EXPECT_NE(r.code, 0) << r.dump();
  auto left = wait_all_gone(marker, 5000);
  EXPECT_TRUE(left.empty()) << "outlived the jail's init:" << pids_str(left);
  for (pid_t p : left) kill(p, SIGKILL);
}

// "When the payload exits, it kills whatever is left in the jail."
TEST_F(Signals, PayloadExitKillsLeftovers) {
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  std::string marker = unique_marker();
  // The leftover holds zjail's stdout open: if it survived, this times out.
  auto r = run({"--profile", kProfile, "--", kProbe, "orphan", marker}, with_timeout(10000));
  EXPECT_FALSE(r.timed_out) << r.dump();
  EXPECT_EQ(r.code, 0) << r.dump();
  EXPECT_TRUE(r.line("LEFT")) << r.dump();
  auto left = wait_all_gone(marker, 3000);
  EXPECT_TRUE(left.empty()) << "outlived the payload:" << pids_str(left);
  for (pid_t p : left) kill(p, SIGKILL);
}

// --- reaping -------------------------------------------------------------------------

TEST_F(Reaping, OrphanedZombiesAreReaped) {
  auto r = jail({}, {"zombies"});
  EXPECT_EQ(r.code, 0) << r.dump();
  EXPECT_EQ(outcome(r, "zombies"), "PASS") << r.dump();
}

// --- the command: 126, 127, paths -----------------------------------------------------

TEST_F(Exec, NonExecutableFileIs126) {
  TempDir d;
  d.write("data", "not a program\n", 0644);
  auto r = run({"--profile", kProfile, "--", d / "data"});
  EXPECT_EQ(r.code, 126) << r.dump();
  EXPECT_EQ(r.err_lines().size(), 1u) << r.dump();
}

TEST_F(Exec, DirectoryIs126) {
  TempDir d;
  auto r = run({"--profile", kProfile, "--", d.path()});
  EXPECT_EQ(r.code, 126) << r.dump();
}

TEST_F(Exec, ExecutableInUnknownFormatIs126) {
  TempDir d;
  d.write("garbage", std::string(64, '\x01'), 0755);
  auto r = run({"--profile", kProfile, "--", d / "garbage"});
  EXPECT_EQ(r.code, 126) << r.dump();
}

TEST_F(Exec, MissingPathIs127) {
  auto r = run({"--profile", kProfile, "--", "/nonexistent/zjail-no-such-command"});
  EXPECT_EQ(r.code, 127) << r.dump();
  EXPECT_EQ(r.err_lines().size(), 1u) << r.dump();
}

TEST_F(Exec, MissingBareNameIs127) {
  auto r = run({"--profile", kProfile, "--", "zjail-no-such-command"});
  EXPECT_EQ(r.code, 127) << r.dump();
}

TEST_F(Exec, BareNameIsFoundInTheJailPath) {
  auto r = run({"--profile", kProfile, "--", "true"});
  EXPECT_EQ(r.code, 0) << r.dump();
}

// The probe is copied into a host temp directory, which the jail never
// binds (its /tmp is private): zjail must execute what it resolved before
// the jail existed.
TEST_F(Exec, RelativePathRunsThoughItsDirectoryIsNotBound) {
  TempDir d;
  mkdir((d / "bin").c_str(), 0755);
  std::filesystem::copy_file(kProbe, d / "bin/probe");
  chmod((d / "bin/probe").c_str(), 0755);
  for (const char* cmd : {"bin/probe", "./bin/probe"}) {
    auto r = run({"--profile", kProfile, "--", cmd, "hostname"}, in_dir(d.path()));
    EXPECT_EQ(r.code, 0) << cmd << "\n" << r.dump();
    EXPECT_EQ(r.line("HOSTNAME").value_or(""), "HOSTNAME zjail-root-test") << r.dump();
  }
  // And the directory really is invisible inside.
  auto look = jail({}, {"open-write", d / "bin/probe"});
  EXPECT_EQ(outcome(look, "open-write"), "ENOENT") << look.dump();
}

TEST_F(Exec, RelativeScriptRuns) {
  TempDir d;
  d.write("script.sh", "#!/bin/sh\necho script-ran \"$1\"\n", 0755);
  auto r = run({"--profile", kProfile, "--", "./script.sh", "arg1"}, in_dir(d.path()));
  EXPECT_EQ(r.code, 0) << r.dump();
  EXPECT_EQ(r.out, "script-ran arg1\n") << r.dump();
}

// A script given by path must not hand the payload a handle on its host
// file: the script below belongs to the payload's user, so any writable path
// to it (an inherited fd reopened through /proc/self/fd, or $0) would let the
// jail rewrite a host file it cannot otherwise see.
TEST_F(Exec, ScriptCannotWriteItsHostFile) {
  TempDir d;
  const std::string body =
      "#!/bin/sh\n"
      "for f in /proc/self/fd/* /dev/fd/*; do\n"
      "  case ${f##*/} in 0|1|2) continue ;; esac\n"
      "  (echo tampered >>\"$f\") 2>/dev/null && echo \"wrote $f\"\n"
      "done\n"
      "(echo tampered >>\"$0\") 2>/dev/null && echo \"wrote $0\"\n"
      "sh -c 'for f in /proc/self/fd/*; do case ${f##*/} in 0|1|2) continue;; esac;"
      " (echo tampered >>\"$f\") 2>/dev/null && echo \"child wrote $f\"; done'\n"
      "echo \"zero=$0\"\n";
  d.write("script.sh", body, 0755);
  ASSERT_EQ(chown((d / "script.sh").c_str(), 65534, 65534), 0);
  auto r = run({"--profile", kProfile, "--", d / "script.sh"});
  EXPECT_EQ(r.code, 0) << r.dump();
  EXPECT_THAT(r.out, Not(HasSubstr("wrote"))) << r.dump();
  EXPECT_THAT(r.out, HasSubstr("zero=/run/host/command/script.sh\n")) << r.dump();
  EXPECT_EQ(read_file(d / "script.sh"), body) << "the jail rewrote the host's script";
}

}  // namespace
}  // namespace zjail_test
