// Learn mode (docs/learn.md) on the real pipeline: `zjail learn` runs a
// multi-process daemon (learn_daemon.cpp) observed, from its first
// instruction, and writes what it saw; the evidence block is read back with
// the writer's own parser, so these tests check what was observed, not how
// the writer words it.
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "harness.hpp"
#include "zjail/learn.hpp"

namespace zjail_test {
namespace {

using zjail::learn::Observations;
using ::testing::HasSubstr;
using ::testing::Not;

// A TCP port nothing listens on now.
int free_port() {
  int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
  getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  close(s);
  return ntohs(a.sin_port);
}

class Learn : public RootTest {
 protected:
  TempDir dir_;
  int port_ = free_port();
  std::string out_ = dir_ / "learned.profile";

  void SetUp() override {
    RootTest::SetUp();
    dir_.write("config", "workers 2\n");
  }

  std::vector<std::string> daemon(std::vector<std::string> extra = {}) const {
    std::vector<std::string> argv = {ZJAIL_LEARN_DAEMON, "--port", std::to_string(port_), "--dir", dir_.path()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return argv;
  }

  RunResult learn(const std::vector<std::string>& options, const std::vector<std::string>& command) {
    std::vector<std::string> args = {"learn"};
    args.insert(args.end(), options.begin(), options.end());
    args.push_back("--");
    args.insert(args.end(), command.begin(), command.end());
    return run(args);
  }

  // The daemon's --try run without any jail: what a native run may do.
  RunResult unjailed_daemon(int target) {
    std::string dir = dir_ / "native";
    mkdir(dir.c_str(), 0755);
    std::vector<std::string> argv = {ZJAIL_LEARN_DAEMON, "--port", std::to_string(free_port()), "--dir", dir,
                                     "--try", std::to_string(target)};
    return run_command(argv);
  }

  Observations evidence(const std::string& file) const {
    auto o = zjail::learn::parse_evidence(read_file(file), file);
    EXPECT_TRUE(static_cast<bool>(o)) << (o ? "" : o.error().message());
    return o ? *o : Observations{};
  }

  bool saw_path(const Observations& o, const std::string& path, unsigned access) const {
    auto it = o.paths.find(path);
    return it != o.paths.end() && (it->second.access & access) == access;
  }
};

TEST_F(Learn, ObservesTheWholeDaemon) {
  auto r = learn({"--output", out_}, daemon());
  ASSERT_EQ(r.code, 0) << r.dump();
  ASSERT_TRUE(exists(out_)) << r.dump();
  Observations o = evidence(out_);
  // Its files, by each of its processes and its thread.
  EXPECT_TRUE(saw_path(o, "/etc/hostname", zjail::learn::kRead)) << read_file(out_);
  EXPECT_TRUE(saw_path(o, dir_ / "config", zjail::learn::kRead)) << read_file(out_);
  EXPECT_TRUE(saw_path(o, dir_ / "thread.out", zjail::learn::kWrite | zjail::learn::kCreate)) << read_file(out_);
  EXPECT_TRUE(saw_path(o, dir_ / "worker-1.log", zjail::learn::kCreate)) << read_file(out_);
  EXPECT_TRUE(saw_path(o, dir_ / "worker-2.log", zjail::learn::kCreate)) << read_file(out_);
  EXPECT_TRUE(saw_path(o, dir_ / "helper.out", zjail::learn::kCreate)) << read_file(out_);
  // Its socket, bind and exec.
  EXPECT_TRUE(o.tcp_binds.count(static_cast<uint16_t>(port_))) << read_file(out_);
  EXPECT_TRUE(o.families.count("AF_INET")) << read_file(out_);
  EXPECT_TRUE(o.syscalls.count("execve")) << read_file(out_);
  EXPECT_TRUE(o.syscalls.count("bind")) << read_file(out_);
  // Itself, two workers and the helper: four processes (the first, three forks).
  EXPECT_GE(o.processes, 4u) << read_file(out_);
  // Learned as root, natively: nothing was denied, and nothing was missing
  // that the daemon needed.
  EXPECT_EQ(r.err.find("denied"), std::string::npos) << r.dump();
  EXPECT_FALSE(o.paths[dir_ / "config"].missing);
}

TEST_F(Learn, ObservesFromTheFirstInstructionOnly) {
  auto r = learn({"--output", out_}, {"/bin/true"});
  ASSERT_EQ(r.code, 0) << r.dump();
  Observations o = evidence(out_);
  EXPECT_EQ(o.processes, 1u) << read_file(out_);
  // zjail's own start-up (its profile search, the jail's mounts, the seccomp
  // cache) never shows: the first observed call is the payload's execve.
  for (const auto& [path, use] : o.paths) {
    EXPECT_FALSE(path.starts_with("/etc/zjail") || path.starts_with("/usr/share/zjail")) << path;
    EXPECT_FALSE(path.find("seccomp") != std::string::npos) << path;
  }
  EXPECT_FALSE(o.syscalls.count("mount")) << read_file(out_);
  EXPECT_FALSE(o.syscalls.count("pivot_root")) << read_file(out_);
}

TEST_F(Learn, MergeWidensWithAnotherWorkload) {
  std::string first = dir_ / "first.profile";
  auto r1 = learn({"--output", first}, daemon());
  ASSERT_EQ(r1.code, 0) << r1.dump();
  auto r2 = learn({"--merge", first, "--output", out_}, daemon({"--extra"}));
  ASSERT_EQ(r2.code, 0) << r2.dump();
  Observations one = evidence(first), both = evidence(out_);
  EXPECT_FALSE(one.paths.count("/etc/services")) << read_file(first);
  EXPECT_TRUE(saw_path(both, "/etc/services", zjail::learn::kRead)) << read_file(out_);
  EXPECT_TRUE(saw_path(both, dir_ / "config", zjail::learn::kRead)) << read_file(out_);
  EXPECT_TRUE(both.connects.count("udp:127.0.0.1:53")) << read_file(out_);
  EXPECT_GT(both.syscalls["execve"].count, one.syscalls["execve"].count);
}

TEST_F(Learn, SigtermEndsLearningAndWritesTheProfile) {
  std::string marker = dir_ / "stopped";
  std::vector<std::string> args = {kZjail, "learn", "--output", out_, "--"};
  for (const auto& a : daemon({"--serve"})) args.push_back(a);
  Spawned z(std::vector<std::string>(args.begin() + 1, args.end()));
  ASSERT_EQ(z.wait_line("READY"), "READY");
  EXPECT_FALSE(exists(out_));
  std::vector<pid_t> jail = children_of(z.pid());
  ASSERT_FALSE(jail.empty());
  kill(z.pid(), SIGTERM);
  auto r = z.wait();
  EXPECT_EQ(r.code, 0) << r.dump();
  ASSERT_TRUE(exists(out_)) << r.dump();
  // The payload got SIGTERM and stopped on its own.
  EXPECT_TRUE(exists(marker)) << r.dump();
  for (pid_t p : jail) EXPECT_FALSE(exists("/proc/" + std::to_string(p))) << "jail process " << p << " survived";
  EXPECT_TRUE(evidence(out_).tcp_binds.count(static_cast<uint16_t>(port_)));
}

TEST_F(Learn, BadArgumentsWriteNothing) {
  std::string bad = dir_ / "bad.profile";
  dir_.write("bad.profile", "[Jail]\nNoSuchDirective=1\n");
  dir_.write("plain.profile", "[Jail]\nPrivateNetwork=yes\n");
  struct Case {
    const char* what;
    std::vector<std::string> args;
  } cases[] = {
      {"no --output", {"learn", "--", "/bin/true"}},
      {"unknown option", {"learn", "--output", out_, "--no-such-option", "--", "/bin/true"}},
      {"no command", {"learn", "--output", out_}},
      {"BASE with an error", {"learn", "--profile", bad, "--output", out_, "--", "/bin/true"}},
      {"--merge unreadable", {"learn", "--merge", dir_ / "nonexistent", "--output", out_, "--", "/bin/true"}},
      {"--merge not learned", {"learn", "--merge", dir_ / "plain.profile", "--output", out_, "--", "/bin/true"}},
      {"--output in no directory", {"learn", "--output", dir_ / "no/such/dir/x.profile", "--", "/bin/true"}},
      {"--user unknown", {"learn", "--user", "zjail-no-such-user", "--output", out_, "--", "/bin/true"}},
      {"--output -", {"learn", "--output", "-", "--", "/bin/true"}},
  };
  for (const auto& c : cases) {
    auto r = run(c.args);
    EXPECT_EQ(r.code, kExitFailure) << c.what << "\n" << r.dump();
    EXPECT_FALSE(exists(out_)) << c.what;
  }
  EXPECT_FALSE(exists("-")) << "--output - made a file named '-'";
}

// A daemon that refuses root (the postmaster) is learned as its own user:
// root starts it as that user, with the host's ids, so that root's files
// stay root's to it (a user namespace would show them as nobody's), and
// with no capability at all.
TEST_F(Learn, UserRunsThePayloadAsThatUserNativelyWithoutCapabilities) {
  auto r = learn({"--user", "nobody", "--output", out_},
                 {"/bin/sh", "-c", "id -u; stat -c %u /etc/passwd; grep -E '^Cap(Prm|Eff)' /proc/self/status"});
  ASSERT_EQ(r.code, 0) << r.dump();
  EXPECT_THAT(r.out, HasSubstr("65534\n0\nCapPrm:\t0000000000000000\nCapEff:\t0000000000000000\n")) << r.dump();
  std::string text = read_file(out_);
  EXPECT_THAT(text, HasSubstr("\nUser=nobody\n")) << text;
  EXPECT_EQ(evidence(out_).user, "nobody");
}

// HAProxy sets RLIMIT_NPROC to 0 once its threads run: a limit the
// workload lowers is its own hardening, and as a starting limit it would
// keep the daemon from starting at all.
TEST_F(Learn, ALimitTheWorkloadLowersIsNotAStartingLimit) {
  auto r = learn({"--output", out_}, {"/bin/sh", "-c", "ulimit -n 64 && ulimit -Hn 64 && exec /bin/true"});
  ASSERT_EQ(r.code, 0) << r.dump();
  std::string text = read_file(out_);
  EXPECT_THAT(text, Not(HasSubstr("\nLimitNOFILE=64\n"))) << text;
  EXPECT_EQ(evidence(out_).rlimit_values.count("NOFILE"), 0u) << text;
}

TEST_F(Learn, WithBaseRecordsOnlyWhatTheBaseRefused) {
  // root-test's jail shows no /etc/hostname.
  std::string nowhere = dir_ / "nowhere";
  auto r = learn({"--profile", kProfile, "--output", out_}, {"/bin/cat", "/etc/hostname", nowhere});
  ASSERT_EQ(r.code, 0) << r.dump();
  Observations o = evidence(out_);
  // Missing in the base's jail, there on the host: a bind to add.
  ASSERT_TRUE(o.paths.count("/etc/hostname")) << read_file(out_);
  EXPECT_FALSE(o.paths["/etc/hostname"].missing) << read_file(out_);
  // Missing everywhere: nothing to bind.
  ASSERT_TRUE(o.paths.count(nowhere)) << read_file(out_);
  EXPECT_TRUE(o.paths[nowhere].missing) << read_file(out_);
}

// The point of it all: the learned profile is valid, the daemon runs under
// it, and what it never did during learning is denied.
TEST_F(Learn, LearnedProfileRunsTheDaemonAndDeniesTheRest) {
  TempDir profiles;  // root's alone, as zjail reads profiles as root
  std::string learned = profiles / "daemon.profile";
  auto r = learn({"--output", learned}, daemon());
  ASSERT_EQ(r.code, 0) << r.dump();
  // The jail's user writes its files there now: the learning run's (as
  // root) go, and the directory becomes the user's.
  for (const char* f : {"thread.out", "worker-1.log", "worker-2.log", "helper.out"}) unlink((dir_ / f).c_str());
  ASSERT_EQ(chown(dir_.path().c_str(), nobody_uid(), static_cast<gid_t>(-1)), 0);

  auto check = run({"--check", "--profile", learned});
  EXPECT_EQ(check.code, 0) << check.dump() << read_file(learned);

  // Something to connect to on the host, which a native run reaches.
  int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int target = free_port();
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(target));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(listen(listener, 4), 0);
  auto baseline = unjailed_daemon(target);
  ASSERT_EQ(baseline.line("connect").value_or(""), "connect OK") << baseline.dump();

  std::vector<std::string> args = {"--profile", learned, "--"};
  for (const auto& x : daemon({"--try", std::to_string(target)})) args.push_back(x);
  auto jailed = run(args);
  close(listener);
  EXPECT_EQ(jailed.code, 0) << jailed.dump() << read_file(learned);
  EXPECT_TRUE(jailed.line("READY")) << jailed.dump();
  EXPECT_TRUE(exists(dir_ / "worker-2.log")) << jailed.dump();
  EXPECT_TRUE(exists(dir_ / "helper.out")) << jailed.dump();
  EXPECT_TRUE(exists(dir_ / "thread.out")) << jailed.dump();
  // Never done while learning: each refused.
  EXPECT_NE(jailed.line("shadow").value_or("shadow OK"), "shadow OK") << jailed.dump();
  EXPECT_NE(jailed.line("exec-sh").value_or("exec-sh OK"), "exec-sh OK") << jailed.dump();
  EXPECT_NE(jailed.line("connect").value_or("connect OK"), "connect OK") << jailed.dump();
}

}  // namespace
}  // namespace zjail_test
