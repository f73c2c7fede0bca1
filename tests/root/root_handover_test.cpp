// The supervisor's handover (include/zjail/handover.hpp): once a jail has been
// idle, zjail's own process execs the small supervisor, and execs zjail
// again for whatever the small one cannot do. Everything the supervisor owes
// must hold across both: signals passed on, denials answered and explained
// with their counts, the exact status and how it is reported, the jail's
// death with zjail, and no fd or memfd piling up over the rounds.
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "harness.hpp"

namespace zjail_test {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr const char* kSmall = "/zjail-init";

class SupervisorHandover : public RootTest {
 protected:
  // The jail's init once the payload runs and the supervisor has handed
  // over; -1 if either never happens.
  static pid_t handed_over(Spawned& z) {
    if (z.wait_line("READY").empty() || !wait_for_exe(z.pid(), kSmall)) return -1;
    auto init = children_of(z.pid());
    return init.size() == 1 ? init[0] : -1;
  }
};

size_t fd_count(pid_t pid) {
  size_t n = 0;
  for ([[maybe_unused]] const auto& e :
       std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd"))
    ++n;
  return n;
}

std::vector<std::string> denials(const RunResult& r) {
  std::vector<std::string> out;
  for (const auto& l : r.err_lines())
    if (l.starts_with("zjail: denied ")) out.push_back(l);
  return out;
}

TEST_F(SupervisorHandover, AnIdleSupervisorBecomesTheSmallOneAndPassesSignalsOn) {
  Spawned z({"--profile", kProfile, "--", kProbe, "sigterm-wait", "42"});
  ASSERT_NE(z.wait_line("READY"), "") << "the payload never started";
  ASSERT_TRUE(wait_for_exe(z.pid(), kSmall)) << "the idle jail's supervisor never handed over: " << exe_of(z.pid());
  // Same pid, same name and arguments: what systemd and ps show stays (the
  // name once the small supervisor has set it, right after its exec).
  std::string comm;
  for (int waited = 0; waited <= 2000 && comm != "zjail\n"; waited += 20) {
    comm = read_file("/proc/" + std::to_string(z.pid()) + "/comm");
    if (comm != "zjail\n") usleep(20000);
  }
  EXPECT_EQ(comm, "zjail\n");
  EXPECT_THAT(read_file("/proc/" + std::to_string(z.pid()) + "/cmdline"), HasSubstr("sigterm-wait"));
  ASSERT_EQ(kill(z.pid(), SIGTERM), 0);
  auto r = z.wait();
  EXPECT_TRUE(r.line("GOT")) << r.dump();
  EXPECT_EQ(r.code, 42) << r.dump();
  EXPECT_TRUE(r.err_lines().empty()) << r.dump();
}

TEST_F(SupervisorHandover, APayloadKilledByASignalIsReportedAsBefore) {
  std::string marker = "handover-killed-" + std::to_string(getpid());
  Spawned z({"--profile", kProfile, "--", kProbe, "hang", marker});
  pid_t init = handed_over(z);
  ASSERT_GT(init, 0) << "no payload, or no handover: " << exe_of(z.pid());
  auto payload = children_of(init);
  ASSERT_FALSE(payload.empty());
  ASSERT_EQ(kill(payload[0], SIGKILL), 0);
  auto r = z.wait();
  EXPECT_EQ(r.code, 128 + SIGKILL) << r.dump();
  EXPECT_THAT(r.err, HasSubstr("zjail: payload killed by SIGKILL")) << r.dump();
}

// Each denial wakes zjail, which answers it, explains it and hands over
// again: the payload sees its errno every time, and the counts carry, so
// the lines stop at kDenialsShown and the rest are summed up at the end.
TEST_F(SupervisorHandover, DenialsAfterTheHandoverAreAnsweredExplainedAndCounted) {
  Spawned z({"--profile", kProfile, "--", kProbe, "traceme-on-usr1", "5", "7"});
  ASSERT_NE(z.wait_line("READY"), "") << "the payload never started";
  size_t fds = 0;
  for (int i = 1; i <= 5; ++i) {
    // The idle time before each handover doubles (SupervisorTicket::backoff).
    ASSERT_TRUE(wait_for_exe(z.pid(), kSmall, 10000)) << "round " << i << ": no handover: " << exe_of(z.pid());
    if (i == 1) fds = fd_count(z.pid());
    EXPECT_EQ(fd_count(z.pid()), fds) << "round " << i << ": the supervisor's fds grew";
    ASSERT_EQ(kill(z.pid(), SIGUSR1), 0);
    std::string line = z.wait_line("TRACEME " + std::to_string(i));
    EXPECT_EQ(line, "TRACEME " + std::to_string(i) + " EPERM");
  }
  ASSERT_TRUE(wait_for_exe(z.pid(), kSmall, 10000)) << exe_of(z.pid());
  ASSERT_EQ(kill(z.pid(), SIGTERM), 0);
  auto r = z.wait();
  EXPECT_EQ(r.code, 7) << r.dump();
  auto d = denials(r);
  ASSERT_EQ(d.size(), 4u) << r.dump();
  for (int i = 0; i < 3; ++i) EXPECT_THAT(d[i], StartsWith("zjail: denied ptrace(PTRACE_TRACEME) in pid 2 ")) << r.dump();
  EXPECT_THAT(d[3], StartsWith("zjail: denied ptrace 2 more times (not shown): not in SystemCallFilter= ("));
}

TEST_F(SupervisorHandover, KillingTheSmallSupervisorEndsTheJail) {
  std::string marker = "handover-dies-" + std::to_string(getpid());
  Spawned z({"--profile", kProfile, "--", kProbe, "hang", marker});
  pid_t init = handed_over(z);
  ASSERT_GT(init, 0) << "no payload, or no handover: " << exe_of(z.pid());
  ASSERT_EQ(kill(z.pid(), SIGKILL), 0);
  z.wait();
  bool gone = false;
  for (int waited = 0; waited <= 5000 && !gone; waited += 50) {
    std::string stat = read_file("/proc/" + std::to_string(init) + "/stat");
    gone = stat.empty() || stat.find(") Z ") != std::string::npos;
    if (!gone) usleep(50000);
  }
  EXPECT_TRUE(gone) << "the jail's init outlived its supervisor";
}

// The small supervisor cannot answer a denied call; if zjail cannot be
// exec'd back (here: an address-space limit it cannot load in; the kernel
// kills a process whose exec fails that late), the jail must end, its call
// still denied, not run on with nobody to answer it or pass signals on.
TEST_F(SupervisorHandover, AJailWhoseSupervisorCannotComeBackEnds) {
  Spawned z({"--profile", kProfile, "--", kProbe, "traceme-on-usr1", "1", "7"});
  pid_t init = handed_over(z);
  ASSERT_GT(init, 0) << "no payload, or no handover: " << exe_of(z.pid());
  auto payload = children_of(init);
  ASSERT_FALSE(payload.empty());
  rlimit as{4 << 20, 4 << 20};
  ASSERT_EQ(prlimit(z.pid(), RLIMIT_AS, &as, nullptr), 0);
  ASSERT_EQ(kill(z.pid(), SIGUSR1), 0);
  auto r = z.wait(10000);
  EXPECT_FALSE(r.timed_out) << r.dump();
  EXPECT_NE(r.code, 7) << r.dump();
  // Still denied, whoever fails it: a listener closed by its dying holder
  // fails the waiting call with ENOSYS.
  if (auto line = r.line("TRACEME")) {
    EXPECT_NE(*line, "TRACEME 1 allowed") << r.dump();
  }
  bool gone = false;
  for (int waited = 0; waited <= 5000 && !gone; waited += 50) {
    gone = exe_of(payload[0]).empty();
    if (!gone) usleep(50000);
  }
  EXPECT_TRUE(gone) << "the payload outlived its supervisor";
}

// zjail-init picks its role by its variables. One the caller of zjail left
// in the environment (an init's, or a handover's) must neither turn the
// supervisor into something else nor reach the host's processes.
TEST_F(SupervisorHandover, TheCallersEnvironmentCannotChooseTheRole) {
  for (std::string stray : {"ZJAIL_INIT=x", "ZJAIL_INIT=999,0"}) {
    Spawned z({"--profile", kProfile, "--", kProbe, "sigterm-wait", "42"}, with_env({stray}));
    ASSERT_NE(z.wait_line("READY"), "") << stray << ": the payload never started";
    ASSERT_TRUE(wait_for_exe(z.pid(), kSmall)) << stray << ": " << exe_of(z.pid());
    std::string comm;
    for (int waited = 0; waited <= 2000 && comm != "zjail\n"; waited += 20) {
      comm = read_file("/proc/" + std::to_string(z.pid()) + "/comm");
      if (comm != "zjail\n") usleep(20000);
    }
    EXPECT_EQ(comm, "zjail\n") << stray << ": the supervisor took another role";
    ASSERT_EQ(kill(z.pid(), SIGTERM), 0);
    auto r = z.wait();
    EXPECT_EQ(r.code, 42) << stray << "\n" << r.dump();
    EXPECT_TRUE(r.line("GOT")) << stray << "\n" << r.dump();
  }
}

// The variable that carries a handover is zjail's to set: one that names
// no sealed state of zjail's runs nothing and says so on one line.
TEST_F(SupervisorHandover, AForgedHandoverVariableRunsNothing) {
  TempDir d;
  std::string target = d / "ran";
  for (std::string value : {"garbage", "3,4,5,6,7,8,9,10,0,-1", "0,0,0,0,0,0,-1,-1,0,-1"}) {
    auto r = run({"--profile", kProfile, "--", kProbe, "touch", target},
                 with_env({"ZJAIL_SUPERVISE=" + value}));
    EXPECT_EQ(r.code, 125) << value << "\n" << r.dump();
    EXPECT_EQ(r.err_lines().size(), 1u) << value << "\n" << r.dump();
    EXPECT_FALSE(exists(target)) << value << ": the command ran";
  }
}

}  // namespace
}  // namespace zjail_test
