// The kernel-interface and process-property directives on the real
// pipeline: each test first shows the attack working in a jail without the
// directive (or the probe working unjailed), then failing with it, with the
// errno the directive's rule gives. Profiles are root-test plus a few lines.
#include <fcntl.h>
#include <linux/keyctl.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "harness.hpp"

namespace zjail_test {
namespace {

using ::testing::HasSubstr;

class Security : public RootTest {
 protected:
  TempDir dir_;
  int profiles_ = 0;

  // zjail --profile root-test --profile <lines> EXTRA -- probe PROBE...
  RunResult with(const std::string& lines, const std::vector<std::string>& probe,
                 const std::vector<std::string>& extra = {}) {
    std::string name = "p" + std::to_string(++profiles_) + ".profile";
    dir_.write(name, "[Jail]\n" + lines);
    std::vector<std::string> args = {"--profile", kProfile, "--profile", dir_ / name};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back("--");
    args.push_back(kProbe);
    args.insert(args.end(), probe.begin(), probe.end());
    return run(args);
  }

  // The probe's first line, which says what its one attempt did.
  static std::string said(const RunResult& r) { return r.lines().empty() ? "(nothing)\n" + r.dump() : r.lines()[0]; }
};

bool kernel_has_mdwe() { return prctl(66 /* PR_GET_MDWE */, 0, 0, 0, 0) >= 0; }

TEST_F(Security, MemoryDenyWriteExecuteRefusesWritableCode) {
  EXPECT_EQ(said(with("", {"wx-map"})), "PASS wx-map mmap PROT_WRITE|PROT_EXEC");
  EXPECT_EQ(said(with("", {"wx-protect"})), "PASS wx-protect mprotect a written page PROT_EXEC");
  // PR_SET_MDWE answers EACCES; the rules older kernels get answer EPERM.
  std::string err = kernel_has_mdwe() ? "EACCES" : "EPERM";
  EXPECT_EQ(said(with("MemoryDenyWriteExecute=yes\n", {"wx-map"})),
            "FAIL wx-map errno=" + err + " mmap PROT_WRITE|PROT_EXEC");
  EXPECT_EQ(said(with("MemoryDenyWriteExecute=yes\n", {"wx-protect"})),
            "FAIL wx-protect errno=" + err + " mprotect a written page PROT_EXEC");
  if (kernel_has_mdwe()) {
    auto props = with("MemoryDenyWriteExecute=yes\n", {"props"});
    EXPECT_EQ(props.line("mdwe"), "mdwe 1") << props.dump();  // PR_MDWE_REFUSE_EXEC_GAIN, for good
  }
}

TEST_F(Security, RestrictAddressFamiliesRefusesOtherFamilies) {
  // Unfiltered, AF_PACKET meets the kernel's own check (no CAP_NET_RAW).
  EXPECT_EQ(said(with("", {"socket", "17"})), "FAIL socket errno=EPERM family 17");
  const std::string allow = "RestrictAddressFamilies=AF_UNIX AF_INET\n";
  EXPECT_EQ(said(with(allow, {"socket", "17"})), "FAIL socket errno=EAFNOSUPPORT family 17");
  EXPECT_EQ(said(with(allow, {"socket", "10"})), "FAIL socket errno=EAFNOSUPPORT family 10");
  EXPECT_EQ(said(with(allow, {"socket", "2"})), "PASS socket family 2");
  const std::string deny = "RestrictAddressFamilies=~AF_PACKET AF_NETLINK\n";
  EXPECT_EQ(said(with(deny, {"socket", "17"})), "FAIL socket errno=EAFNOSUPPORT family 17");
  EXPECT_EQ(said(with(deny, {"socket", "16"})), "FAIL socket errno=EAFNOSUPPORT family 16");
  EXPECT_EQ(said(with(deny, {"socket", "10"})), "PASS socket family 10");
  EXPECT_EQ(said(with("RestrictAddressFamilies=none\n", {"socket", "1"})), "FAIL socket errno=EAFNOSUPPORT family 1");
}

// The jail inherits this process's RLIMIT_RTPRIO: raised, real-time
// scheduling works in a jail without the directive.
class RtprioRaised {
 public:
  RtprioRaised() {
    getrlimit(RLIMIT_RTPRIO, &old_);
    rlimit five{5, 5};
    ok_ = setrlimit(RLIMIT_RTPRIO, &five) == 0;
  }
  ~RtprioRaised() { setrlimit(RLIMIT_RTPRIO, &old_); }
  bool ok() const { return ok_; }

 private:
  rlimit old_{};
  bool ok_ = false;
};

// Whether this host lets a process of this cgroup run SCHED_FIFO at all
// (a kernel with RT group scheduling gives cgroups no real-time budget).
std::string realtime_unavailable() {
  pid_t pid = fork();
  if (pid == 0) {
    sched_param p{};
    p.sched_priority = 1;
    _exit(sched_setscheduler(0, SCHED_FIFO, &p) == 0 ? 0 : 1);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? "" : "this host refuses SCHED_FIFO even to root here";
}

TEST_F(Security, RestrictRealtimeRefusesBothWaysIn) {
  if (auto why = realtime_unavailable(); !why.empty()) GTEST_SKIP() << why;
  RtprioRaised raised;
  // root-test (base-service) denies @resources: the scheduler calls are let back in.
  const std::string calls = "SystemCallFilter=@resources\n";
  if (raised.ok()) {
    EXPECT_EQ(said(with(calls, {"sched-fifo"})), "PASS sched-fifo sched_setscheduler SCHED_FIFO 1");
    EXPECT_EQ(said(with(calls, {"sched-setattr-fifo"})), "PASS sched-setattr-fifo sched_setattr SCHED_FIFO 1");
  }
  const std::string restricted = calls + "RestrictRealtime=yes\n";
  EXPECT_EQ(said(with(restricted, {"sched-fifo"})), "FAIL sched-fifo errno=EPERM sched_setscheduler SCHED_FIFO 1");
  // The filter cannot read sched_setattr's struct; the zeroed RLIMIT_RTPRIO refuses it.
  EXPECT_EQ(said(with(restricted, {"sched-setattr-fifo"})),
            "FAIL sched-setattr-fifo errno=EPERM sched_setattr SCHED_FIFO 1");
  auto props = with(restricted, {"props"});
  EXPECT_EQ(props.line("rtprio"), "rtprio 0 0") << props.dump();
  // Without the baseline the refusals above could be the host's own.
  if (!raised.ok())
    GTEST_SKIP() << "this host denies CAP_SYS_RESOURCE: RLIMIT_RTPRIO stays 0, so no jail could run "
                    "SCHED_FIFO without RestrictRealtime= either (the refusals were checked, the baseline not)";
}

TEST_F(Security, RestrictSUIDSGIDKeepsSetIdFilesOffTheHost) {
  TempDir rw;
  chmod(rw.path().c_str(), 0777);
  std::vector<std::string> bind = {"--bind", rw.path() + ":/w"};
  EXPECT_EQ(said(with("", {"chmod-suid", "/w/open"}, bind)), "PASS chmod-suid chmod u+s /w/open");
  struct stat st {};
  ASSERT_EQ(stat((rw / "open").c_str(), &st), 0);
  EXPECT_TRUE(st.st_mode & S_ISUID) << "the baseline should leave a set-uid file on the host";
  EXPECT_EQ(said(with("RestrictSUIDSGID=yes\n", {"chmod-suid", "/w/closed"}, bind)),
            "FAIL chmod-suid errno=EPERM chmod u+s /w/closed");
  ASSERT_EQ(stat((rw / "closed").c_str(), &st), 0);
  EXPECT_FALSE(st.st_mode & (S_ISUID | S_ISGID)) << std::oct << st.st_mode;
}

TEST_F(Security, LockPersonalityAndPersonality) {
  EXPECT_EQ(said(with("", {"personality"})), "PASS personality personality(PER_LINUX32)");
  EXPECT_EQ(said(with("LockPersonality=yes\n", {"personality"})), "FAIL personality errno=EPERM personality(PER_LINUX32)");
#if defined(__x86_64__)
  auto r = with("Personality=x86\nLockPersonality=yes\n", {"props"});
  EXPECT_EQ(r.line("machine"), "machine i686") << r.dump();
#endif
}

TEST_F(Security, ProtectClockDeniesTheClockCalls) {
  // root-test denies @privileged, and @clock with it: let them back in first.
  EXPECT_EQ(said(with("SystemCallFilter=@clock\n", {"adjtimex"})), "PASS adjtimex adjtimex(modes=0), a read");
  EXPECT_EQ(said(with("SystemCallFilter=@clock\nProtectClock=yes\n", {"adjtimex"})),
            "FAIL adjtimex errno=EPERM adjtimex(modes=0), a read");
}

TEST_F(Security, ProtectHostname) {
  // CAP_SYS_ADMIN in the jail's namespace may rename the jail's UTS namespace...
  std::vector<std::string> cap = {"--capability", "CAP_SYS_ADMIN"};
  const std::string calls = "SystemCallFilter=sethostname\n";
  EXPECT_EQ(said(with(calls, {"sethostname"}, cap)).substr(0, 16), "PASS sethostname");
  EXPECT_EQ(said(with(calls + "ProtectHostname=private\n", {"sethostname"}, cap)).substr(0, 16), "PASS sethostname");
  // ...unless ProtectHostname=yes.
  EXPECT_EQ(said(with(calls + "ProtectHostname=yes\n", {"sethostname"}, cap)).substr(0, 28),
            "FAIL sethostname errno=EPERM");
  // The name: the host's, as systemd leaves it, or the one given.
  utsname u{};
  uname(&u);
  EXPECT_EQ(said(with("Hostname=\nProtectHostname=yes\n", {"hostname"})), std::string("HOSTNAME ") + u.nodename);
  EXPECT_EQ(said(with("Hostname=\nProtectHostname=private:boxed\n", {"hostname"})), "HOSTNAME boxed");
}

// Whether this process may lower its OOM score adjustment (CAP_SYS_RESOURCE;
// some containers run root without it).
bool can_lower_oom_score() {
  pid_t pid = fork();
  if (pid == 0) {
    int fd = open("/proc/self/oom_score_adj", O_WRONLY);
    _exit(fd >= 0 && write(fd, "-100", 4) == 4 ? 0 : 1);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

TEST_F(Security, ProcessPropertiesReachThePayload) {
  // A lower OOMScoreAdjust= needs the host's CAP_SYS_RESOURCE: the parent
  // sets it. Where the host lacks it, a raised one shows the same path.
  const std::string oom = can_lower_oom_score() ? "-100" : "100";
  auto r = with("Nice=5\nOOMScoreAdjust=" + oom + "\nCPUSchedulingPolicy=batch\nIOSchedulingClass=idle\n"
                "CPUAffinity=0\nSecureBits=noroot\n",
                {"props"});
  ASSERT_EQ(r.code, 0) << r.dump();
  EXPECT_EQ(r.line("nice"), "nice 5") << r.dump();
  EXPECT_EQ(r.line("oom_score_adj"), "oom_score_adj " + oom) << r.dump();
  EXPECT_EQ(r.line("sched"), "sched 3 0") << r.dump();  // SCHED_BATCH
  EXPECT_EQ(r.line("ioprio"), "ioprio " + std::to_string((3 << 13) | 4)) << r.dump();  // IOPRIO_CLASS_IDLE, level 4 as systemd keeps it
  EXPECT_EQ(r.line("affinity"), "affinity 0") << r.dump();
  EXPECT_EQ(r.line("securebits"), "securebits 1") << r.dump();  // SECBIT_NOROOT
}

TEST_F(Security, RealtimeSchedulingFromThePlan) {
  if (auto why = realtime_unavailable(); !why.empty()) GTEST_SKIP() << why;
  // The payload has no CAP_SYS_NICE on the host: the parent sets the policy
  // on the init, the payload adds SCHED_RESET_ON_FORK for itself.
  auto r = with("CPUSchedulingPolicy=fifo\nCPUSchedulingPriority=5\nCPUSchedulingResetOnFork=yes\nNice=-5\n",
                {"props"});
  ASSERT_EQ(r.code, 0) << r.dump();
  EXPECT_EQ(r.line("sched"), "sched " + std::to_string(SCHED_FIFO | SCHED_RESET_ON_FORK) + " 5") << r.dump();
  EXPECT_EQ(r.line("nice"), "nice -5") << r.dump();
}

TEST_F(Security, KeyringModeKeepsTheCallersKeysOut) {
  // A session keyring of this test's own, which the jail inherits.
  long ours = syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, "zjail-root-test", 0, 0, 0);
  ASSERT_GT(ours, 0) << "keyctl: " << strerror(errno);
  const std::string calls = "SystemCallFilter=@keyring\n";  // root-test denies it
  auto fresh = with(calls, {"props"});
  ASSERT_TRUE(fresh.line("keyring")) << fresh.dump();
  EXPECT_NE(*fresh.line("keyring"), "keyring " + std::to_string(ours)) << "the payload holds the caller's keyring";
  EXPECT_NE(*fresh.line("keyring"), "keyring -1") << fresh.dump();
  auto inherited = with(calls + "KeyringMode=inherit\n", {"props"});
  EXPECT_EQ(inherited.line("keyring"), "keyring " + std::to_string(ours)) << inherited.dump();
}

TEST_F(Security, RestrictNamespacesNoStillGetsNone) {
  // zjail refuses every namespace from inside, whatever the profile allows.
  dir_.write("ns.profile", "[Jail]\nRestrictNamespaces=no\n");
  auto r = run({"--profile", kProfile, "--profile", dir_ / "ns.profile", "--", "/bin/sh", "-c",
                "unshare -U true 2>/dev/null; echo $?"});
  EXPECT_EQ(r.code, 0) << r.dump();
  EXPECT_EQ(r.lines(), (std::vector<std::string>{"1"})) << r.dump();
}

TEST_F(Security, HostNetworkFiltersRefuseTheLaunch) {
  // On the host's network systemd's cgroup BPF on the jail's scope holds
  // them (docs/network.md), and this host's systemd is not the service
  // manager (the VM's t-network-filter runs them): each of them alone, the
  // payload never runs, and the one line says why.
  if (access("/run/systemd/system", F_OK) == 0) GTEST_SKIP() << "systemd manages this host: t-network-filter's case";
  const std::pair<const char*, const char*> lines[] = {
      {"IPAddressDeny", "any"},
      {"IPAddressAllow", "localhost"},
      {"RestrictNetworkInterfaces", "lo"},
  };
  for (const auto& [key, value] : lines) {
    auto r = with("PrivateNetwork=no\n" + std::string(key) + "=" + value + "\n", {"hostname"});
    EXPECT_EQ(r.code, kExitFailure) << r.dump();
    EXPECT_TRUE(r.lines().empty()) << "the payload ran\n" << r.dump();
    EXPECT_THAT(r.err, HasSubstr("the filters of a jail on the host's network are systemd's cgroup BPF on a "
                                 "transient scope, and systemd is not the service manager here (step: cgroup)"))
        << r.dump();
  }
  auto check = run({"--profile", kProfile, "--profile", dir_ / "p1.profile", "--check"});
  EXPECT_NE(check.code, 0) << check.dump();
  EXPECT_THAT(check.err, HasSubstr("the launch would fail at step cgroup")) << check.dump();
  auto missing = with("PrivateNetwork=no\nNetworkNamespacePath=/run/netns/zjail-none\n", {"hostname"});
  EXPECT_EQ(missing.code, kExitFailure) << missing.dump();
  EXPECT_TRUE(missing.lines().empty()) << "the payload ran\n" << missing.dump();
  EXPECT_THAT(missing.err, HasSubstr("NetworkNamespacePath=/run/netns/zjail-none")) << missing.dump();
}

}  // namespace
}  // namespace zjail_test
