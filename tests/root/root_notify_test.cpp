// The sd_notify relay attacked from inside a jail. The test plays systemd: it
// binds its own upstream socket, hands it to zjail as NOTIFY_SOCKET and reads
// what zjail (root, hence believed by systemd about anything) relays from a
// payload that forges MAINPID= and the fd-store messages every way it can.
// Then the supervisor's side: an upstream that stops reading must not stop
// zjail from passing SIGTERM on, and what dead zjails left in /run/zjail is
// removed at the next start while a live zjail's entry stays.
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <thread>

#include "harness.hpp"

namespace zjail_test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

namespace fs = std::filesystem;
using NotifyRelay = RootTest;

constexpr const char* kRunDir = "/run/zjail";

struct Received {
  std::string msg;
  pid_t pid = 0;  // the sender's, from SCM_CREDENTIALS
};

// The test's stand-in for systemd's notify socket.
class Upstream {
 public:
  explicit Upstream(const std::string& path) : path_(path) {
    fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::strncpy(sa.sun_path, path.c_str(), sizeof sa.sun_path - 1);
    int on = 1;
    if (bind(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0 ||
        setsockopt(fd_, SOL_SOCKET, SO_PASSCRED, &on, sizeof on) < 0) {
      close(fd_);
      fd_ = -1;
    }
  }
  ~Upstream() {
    stop_reading();
    if (fd_ >= 0) close(fd_);
  }
  bool ok() const { return fd_ >= 0; }
  const std::string& path() const { return path_; }

  // Everything pending, with the sender's pid.
  std::vector<Received> drain() {
    std::vector<Received> got;
    for (;;) {
      char buf[8192];
      iovec iov{buf, sizeof buf};
      alignas(cmsghdr) char control[CMSG_SPACE(sizeof(ucred))];
      msghdr mh{};
      mh.msg_iov = &iov;
      mh.msg_iovlen = 1;
      mh.msg_control = control;
      mh.msg_controllen = sizeof control;
      ssize_t n = recvmsg(fd_, &mh, MSG_DONTWAIT);
      if (n < 0) break;
      Received r{std::string(buf, static_cast<size_t>(n))};
      for (cmsghdr* c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
          ucred cred{};
          std::memcpy(&cred, CMSG_DATA(c), sizeof cred);
          r.pid = cred.pid;
        }
      got.push_back(std::move(r));
    }
    return got;
  }

  // Reads in the background, as systemd would, until stop_reading().
  void start_reading() {
    reader_ = std::thread([this] {
      while (!stop_) {
        auto got = drain();
        std::lock_guard<std::mutex> l(mu_);
        for (auto& r : got) received_.push_back(std::move(r));
        usleep(5000);
      }
    });
  }
  std::vector<Received> stop_reading() {
    if (reader_.joinable()) {
      stop_ = true;
      reader_.join();
    }
    std::lock_guard<std::mutex> l(mu_);
    auto got = drain();
    for (auto& r : got) received_.push_back(std::move(r));
    return received_;
  }

 private:
  std::string path_;
  int fd_ = -1;
  std::thread reader_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::vector<Received> received_;
};

// The notify directories of zjail `pid` in /run/zjail.
std::vector<std::string> notify_dirs_of(pid_t pid) {
  std::vector<std::string> out;
  std::error_code ec;
  std::string prefix = "notify-" + std::to_string(pid) + "-";
  for (const auto& e : fs::directory_iterator(kRunDir, ec))
    if (e.path().filename().string().starts_with(prefix)) out.push_back(e.path().string());
  return out;
}

std::string printable(const std::string& s) {
  std::string r;
  for (char c : s) {
    if (c == '\n') r += "\\n";
    else if (c == '\r') r += "\\r";
    else if (c == '\0') r += "\\0";
    else r += c;
  }
  return r.size() > 120 ? r.substr(0, 120) + "...(" + std::to_string(s.size()) + " bytes)" : r;
}

// Every way we know to slip MAINPID= (or the fd store) past a relay that
// splits lines on '\n' alone or cuts long messages, then one honest message.
TEST_F(NotifyRelay, ForgedMainPidAndFdStoreNeverReachUpstream) {
  TempDir dir;
  Upstream up(dir / "notify");
  ASSERT_TRUE(up.ok()) << "binding " << up.path() << ": " << std::strerror(errno);
  up.start_reading();
  std::string pid = std::to_string(getpid());  // a host process systemd would then signal
  std::string big(5000, 'x');
  std::vector<std::string> forged = {
      "READY=1\\rMAINPID=" + pid + "\\n",               // systemd splits on '\r' too
      "READY=1\\nMAINPID=" + pid,                       // the plain one
      "MAINPID=" + pid,
      " MAINPID=" + pid + "\\n\\tMAINPID=" + pid,       // leading blanks
      "READY=1\\n\\rMAINPID=" + pid,
      "READY=1\\r\\nMAINPID=" + pid + "\\r\\n",
      "READY=1\\nREADY=1\\nMAINPID=" + pid + "\\nREADY=1",  // duplicates around it
      "READY=1\\0\\nMAINPID=" + pid,                    // NUL: systemd refuses, we too
      "STATUS=" + big + "\\nMAINPID=" + pid,            // over 4 KiB
      "MAINPID=" + pid + "\\nSTATUS=" + big,            // over 4 KiB, MAINPID= in the first 4 KiB
      "FDSTORE=1\\nFDNAME=x\\nFDSTOREREMOVE=1\\nFDPOLL=0\\nBARRIER=1\\nNOTIFYACCESS=all\\nEXIT_STATUS=0",
      "WATCHDOG_USEC=1 MAINPID=" + pid + "\\nERRNO=1\\rMAINPID=" + pid,
      "STATUS=honest\\nREADY=1",
  };
  std::vector<std::string> args = {"--profile", kProfile, "--", kProbe, "notify"};
  args.insert(args.end(), forged.begin(), forged.end());
  Spawned z(args, with_env({"NOTIFY_SOCKET=" + up.path()}));
  pid_t zjail = z.pid();
  auto r = z.wait(20000);
  auto got = up.stop_reading();
  ASSERT_EQ(r.code, 0) << r.dump();
  ASSERT_TRUE(r.line("SENT 12")) << "the payload could not send everything:\n" << r.dump();

  std::vector<std::string> msgs;
  std::string dump;
  for (const auto& m : got) {
    msgs.push_back(m.msg);
    dump += "  [" + printable(m.msg) + "] from pid " + std::to_string(m.pid) + "\n";
    EXPECT_EQ(m.pid, zjail) << "not relayed from zjail's own pid (the unit's MainPID)";
  }
  // Exactly the allowed lines of each message, in order; nothing else.
  std::vector<std::string> expected = {"READY=1", "READY=1\nREADY=1\nREADY=1", "STATUS=honest\nREADY=1"};
  EXPECT_EQ(msgs, expected) << "upstream received:\n" << dump;
  for (const auto& m : msgs) {
    for (const char* bad : {"MAINPID", "FDSTORE", "FDNAME", "FDPOLL", "BARRIER", "NOTIFYACCESS", "EXIT_STATUS"})
      EXPECT_THAT(m, Not(HasSubstr(bad))) << bad << " relayed in [" << printable(m) << "]";
    EXPECT_EQ(m.find_first_of(std::string("\r\0", 2)), std::string::npos) << printable(m);
    EXPECT_LE(m.size(), 4096u);
  }
  EXPECT_TRUE(notify_dirs_of(zjail).empty());
}

// An upstream that never reads: it fills up, zjail's queue fills up, the
// jail's socket fills up (the payload's sends are refused), and still a
// SIGTERM to zjail reaches the payload at once and zjail ends with its status,
// leaving no notify directory behind. Before the relay was non-blocking,
// zjail slept in the kernel waiting for the upstream, and systemd's stop
// ended in SIGKILL.
TEST_F(NotifyRelay, WedgedUpstreamStillLetsSigtermThrough) {
  TempDir dir;
  Upstream up(dir / "notify");  // never read until the end
  ASSERT_TRUE(up.ok()) << "binding " << up.path() << ": " << std::strerror(errno);
  Spawned z({"--profile", kProfile, "--", kProbe, "notify-flood", "300", "42"},
            with_env({"NOTIFY_SOCKET=" + up.path()}));
  std::string flooded = z.wait_line("FLOODED", 15000);
  ASSERT_NE(flooded, "") << "the payload never finished flooding";
  ASSERT_NE(z.wait_line("READY"), "");
  // The jail's socket refused some: everything behind it is full.
  EXPECT_THAT(flooded, Not(HasSubstr("refused=0"))) << flooded;
  ASSERT_FALSE(notify_dirs_of(z.pid()).empty()) << "no notify directory while zjail runs";

  pid_t zjail = z.pid();
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_EQ(kill(zjail, SIGTERM), 0);
  auto r = z.wait(5000);
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
  ASSERT_FALSE(r.timed_out) << "zjail did not end within 5 s of SIGTERM\n" << r.dump();
  EXPECT_TRUE(r.line("GOT")) << r.dump();
  EXPECT_EQ(r.code, 42) << r.dump();
  EXPECT_LT(took.count(), 3000) << "SIGTERM took " << took.count() << " ms";
  EXPECT_TRUE(notify_dirs_of(zjail).empty());
  // What the upstream held came in the order it was sent, from flood-0 on.
  auto got = up.drain();
  ASSERT_FALSE(got.empty());
  EXPECT_EQ(got[0].msg, "STATUS=flood-0");
  int last = -1;
  for (const auto& m : got) {
    ASSERT_TRUE(m.msg.starts_with("STATUS=flood-")) << printable(m.msg);
    int i = std::atoi(m.msg.c_str() + 13);
    EXPECT_GT(i, last) << "out of order";
    last = i;
  }
}

// A zjail killed with SIGKILL (systemd's last word on stop) leaves its notify
// directory; the next start removes those of dead zjails and keeps a live one's.
TEST_F(NotifyRelay, StaleDirectoriesOfDeadZjailsAreRemovedAtTheNextStart) {
  TempDir dir;
  Upstream up(dir / "notify");
  ASSERT_TRUE(up.ok());
  // A real leftover: a zjail under Type=notify killed with SIGKILL.
  Spawned killed({"--profile", kProfile, "--", kProbe, "sigterm-wait", "0"},
                 with_env({"NOTIFY_SOCKET=" + up.path()}));
  ASSERT_NE(killed.wait_line("READY"), "");
  pid_t dead = killed.pid();
  auto left = notify_dirs_of(dead);
  ASSERT_EQ(left.size(), 1u);
  kill(dead, SIGKILL);
  killed.wait(5000);
  ASSERT_EQ(notify_dirs_of(dead), left) << "SIGKILL is expected to leave the directory";

  // A running zjail's entry, and one with the dead pid in its name that is a symlink.
  Spawned live({"--profile", kProfile, "--", kProbe, "sigterm-wait", "0"},
               with_env({"NOTIFY_SOCKET=" + up.path()}));
  ASSERT_NE(live.wait_line("READY"), "");
  auto live_dirs = notify_dirs_of(live.pid());
  ASSERT_EQ(live_dirs.size(), 1u);
  fs::create_directory(dir / "target");
  std::string link = std::string(kRunDir) + "/notify-" + std::to_string(dead) + "-1";
  fs::create_directory_symlink(dir / "target", link);

  auto r = jail({}, {"exit", "0"}, with_env({"NOTIFY_SOCKET=" + up.path()}));
  EXPECT_EQ(r.code, 0) << r.dump();
  EXPECT_FALSE(fs::exists(left[0])) << left[0] << " of dead zjail " << dead << " is still there";
  EXPECT_TRUE(fs::exists(live_dirs[0] + "/notify")) << "the running zjail's socket was removed";
  EXPECT_TRUE(fs::is_symlink(link));
  EXPECT_TRUE(fs::is_directory(dir / "target"));
  fs::remove(link);

  pid_t live_pid = live.pid();
  kill(live_pid, SIGTERM);
  auto lr = live.wait(5000);
  EXPECT_EQ(lr.code, 0) << lr.dump();
  EXPECT_TRUE(notify_dirs_of(live_pid).empty());
}

// Once the jail is idle its supervisor hands over (handover.hpp), and a
// message wakes zjail again: it still goes upstream from zjail's pid,
// filtered, and the end still removes the relay's directory.
TEST_F(NotifyRelay, MessagesAfterTheSupervisorsHandoverStillGoUpstream) {
  TempDir dir;
  Upstream up(dir / "notify");
  ASSERT_TRUE(up.ok());
  up.start_reading();
  Spawned z({"--profile", kProfile, "--", kProbe, "notify-on-usr1", "STATUS=idle\\nMAINPID=1"},
            with_env({"NOTIFY_SOCKET=" + up.path()}));
  ASSERT_NE(z.wait_line("READY"), "") << "the payload never started";
  ASSERT_EQ(notify_dirs_of(z.pid()).size(), 1u);
  for (int i = 1; i <= 2; ++i) {
    ASSERT_TRUE(wait_for_exe(z.pid(), "/zjail-init")) << "round " << i << ": no handover: " << exe_of(z.pid());
    ASSERT_EQ(kill(z.pid(), SIGUSR1), 0);
    ASSERT_NE(z.wait_line("SENT " + std::to_string(i)), "");
  }
  ASSERT_TRUE(wait_for_exe(z.pid(), "/zjail-init")) << exe_of(z.pid());
  pid_t zpid = z.pid();
  ASSERT_EQ(kill(zpid, SIGTERM), 0);
  auto r = z.wait();
  EXPECT_EQ(r.code, 0) << r.dump();
  auto got = up.stop_reading();
  ASSERT_EQ(got.size(), 2u) << r.dump();
  for (const auto& m : got) {
    EXPECT_EQ(m.msg, "STATUS=idle") << printable(m.msg);
    EXPECT_EQ(m.pid, zpid);
  }
  EXPECT_TRUE(notify_dirs_of(zpid).empty()) << "the relay's directory outlived its zjail";
}

}  // namespace
}  // namespace zjail_test
