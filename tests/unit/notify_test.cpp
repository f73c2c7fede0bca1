// The sd_notify relay: the allow-list it rebuilds each message from, the
// tricks that must not get a MAINPID= through, a real round trip through unix
// datagram sockets, an upstream that stops reading, and the removal of what
// dead zjails left behind.
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <string>

#include "zjail/notify.hpp"

namespace zjail {
namespace {

namespace fs = std::filesystem;
using namespace std::string_literals;

std::string f(const std::string& msg) { return NotifyRelay::filter(msg); }

TEST(NotifyFilter, KeepsTheAllowListInOrder) {
  EXPECT_EQ(f("READY=1\nMAINPID=2\nSTATUS=up"), "READY=1\nSTATUS=up");
  EXPECT_EQ(f("WATCHDOG=1\n"), "WATCHDOG=1");
  EXPECT_EQ(f("WATCHDOG=trigger"), "WATCHDOG=trigger");
  EXPECT_EQ(f("RELOADING=1\nMONOTONIC_USEC=123456\nSTOPPING=1\n"),
            "RELOADING=1\nMONOTONIC_USEC=123456\nSTOPPING=1");
  EXPECT_EQ(f("ERRNO=2\nBUSERROR=org.freedesktop.DBus.Error.Failed"),
            "ERRNO=2\nBUSERROR=org.freedesktop.DBus.Error.Failed");
  EXPECT_EQ(f("WATCHDOG_USEC=20000000\nEXTEND_TIMEOUT_USEC=5000000"),
            "WATCHDOG_USEC=20000000\nEXTEND_TIMEOUT_USEC=5000000");
  // An empty STATUS= clears the text in systemd; duplicates are harmless.
  EXPECT_EQ(f("STATUS=\nREADY=1\nREADY=1"), "STATUS=\nREADY=1\nREADY=1");
  EXPECT_EQ(f("STATUS=d\xc3\xa9j\xc3\xa0 vu\t"), "");  // a tab is a control character too
  EXPECT_EQ(f("STATUS=d\xc3\xa9j\xc3\xa0 vu"), "STATUS=d\xc3\xa9j\xc3\xa0 vu");
}

TEST(NotifyFilter, DropsEveryAssignmentNotOnTheList) {
  for (const char* line :
       {"MAINPID=4242", "FDSTORE=1", "FDSTOREREMOVE=1", "FDNAME=x", "FDPOLL=0", "BARRIER=1",
        "NOTIFYACCESS=all", "EXIT_STATUS=0", "X_CUSTOM=1", "READY=0", "READY=1 ", " READY=1",
        "\tMAINPID=4242", " MAINPID=4242", "MAINPID =4242", "mainpid=4242", "MAINPID", "=", "READY"})
    EXPECT_EQ(f(line), "") << line;
  EXPECT_EQ(f("\n\n\n"), "");
  EXPECT_EQ(f(""), "");
}

TEST(NotifyFilter, ChecksValuesWhereSystemdParsesThem) {
  for (const char* bad :
       {"WATCHDOG_USEC=", "WATCHDOG_USEC=abc", "WATCHDOG_USEC=-1", "WATCHDOG_USEC=+5", "WATCHDOG_USEC= 5",
        "WATCHDOG_USEC=5 ", "WATCHDOG_USEC=18446744073709551616", "WATCHDOG_USEC=0x10",
        "EXTEND_TIMEOUT_USEC=1e9", "MONOTONIC_USEC=1.5", "ERRNO=4096", "ERRNO=-1", "ERRNO=", "BUSERROR=",
        "BUSERROR=org.x/y", "BUSERROR=a b", "WATCHDOG=0", "WATCHDOG=trigger2"})
    EXPECT_EQ(f(bad), "") << bad;
  EXPECT_EQ(f("WATCHDOG_USEC=18446744073709551615"), "WATCHDOG_USEC=18446744073709551615");
  EXPECT_EQ(f("ERRNO=4095"), "ERRNO=4095");
  // Terminal escapes, C0 and C1, never reach `systemctl status`.
  EXPECT_EQ(f("STATUS=\x1b]0;owned\x07"), "");
  EXPECT_EQ(f("STATUS=a\x7f"), "");
  EXPECT_EQ(f("STATUS=\xc2\x9b" "2J"), "");
  EXPECT_EQ(f("READY=1\nSTATUS=\x1b[2J"), "READY=1");
}

// systemd splits on '\r' as well as '\n': with '\r' anywhere, the lines we
// would see are not the ones systemd sees, so nothing is relayed.
TEST(NotifyFilter, CarriageReturnDropsTheWholeMessage) {
  EXPECT_EQ(f("READY=1\rMAINPID=4242\n"), "");
  EXPECT_EQ(f("STATUS=x\rMAINPID=4242"), "");
  EXPECT_EQ(f("READY=1\r\nSTATUS=up\r\n"), "");
  EXPECT_EQ(f("\rMAINPID=4242"), "");
}

TEST(NotifyFilter, NulDropsTheWholeMessageBarOneTrailing) {
  EXPECT_EQ(f("READY=1\0MAINPID=4242"s), "");
  EXPECT_EQ(f("STATUS=a\0\nMAINPID=4242"s), "");
  EXPECT_EQ(f("\0READY=1"s), "");
  EXPECT_EQ(f("READY=1\0\0"s), "");
  // What systemd itself accepts: one NUL at the very end.
  EXPECT_EQ(f("READY=1\0"s), "READY=1");
}

TEST(NotifyFilter, SystemdsSizeLimit) {
  std::string big = "READY=1\nSTATUS=" + std::string(NotifyRelay::kMaxMessage - 15, 'x');
  ASSERT_EQ(big.size(), NotifyRelay::kMaxMessage);
  EXPECT_EQ(f(big), big);
  EXPECT_EQ(f(big + "\n"), "");
  EXPECT_EQ(f(big + "\nMAINPID=4242"), "");
}

// --- Sockets ---------------------------------------------------------------------

struct Dir {
  fs::path path;
  explicit Dir(const std::string& tag) {
    path = fs::temp_directory_path() / ("zjail-notify-" + tag + "-" + std::to_string(getpid()));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~Dir() { fs::remove_all(path); }
};

sockaddr_un address(const std::string& path) {
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::strncpy(sa.sun_path, path.c_str(), sizeof sa.sun_path - 1);
  return sa;
}

int bound_socket(const std::string& path) {
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_un sa = address(path);
  if (bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0) {
    close(fd);
    return -1;
  }
  return fd;
}

ssize_t send_to(const std::string& path, const std::string& msg) {
  int client = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_un to = address(path);
  ssize_t n = sendto(client, msg.data(), msg.size(), MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&to), sizeof to);
  close(client);
  return n;
}

std::string receive(int fd) {
  char buf[8192];
  ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
  return n < 0 ? "<none>" : std::string(buf, static_cast<size_t>(n));
}

TEST(NotifyRelay, RelaysToUpstreamAndCleansUp) {
  Dir dir("relay");
  std::string upstream = (dir.path / "upstream").string();
  int up = bound_socket(upstream);
  ASSERT_GE(up, 0);

  std::string relay_path;
  {
    auto relay = NotifyRelay::create(dir.path.string(), upstream);
    ASSERT_TRUE(relay) << relay.error().message();
    relay_path = relay->socket_path();
    struct stat st{};
    ASSERT_EQ(stat(relay_path.c_str(), &st), 0);
    EXPECT_TRUE(S_ISSOCK(st.st_mode));
    EXPECT_EQ(fcntl(relay->fd(), F_GETFL) & O_NONBLOCK, O_NONBLOCK);

    ASSERT_GT(send_to(relay_path, "READY=1\nMAINPID=2\n"), 0);
    ASSERT_GT(send_to(relay_path, "READY=1\rMAINPID=4242\n"), 0);
    // Longer than systemd takes: dropped whole, not cut to a prefix.
    ASSERT_GT(send_to(relay_path, "STATUS=" + std::string(5000, 'x')), 0);
    ASSERT_GT(send_to(relay_path, "STATUS=last"), 0);
    relay->relay();
    EXPECT_EQ(fcntl(relay->upstream_fd(), F_GETFL) & O_NONBLOCK, O_NONBLOCK);
    EXPECT_EQ(receive(up), "READY=1");
    EXPECT_EQ(receive(up), "STATUS=last");
    EXPECT_EQ(receive(up), "<none>");
  }
  // Nothing of the relay is left once it is gone.
  EXPECT_FALSE(fs::exists(relay_path));
  EXPECT_FALSE(fs::exists(fs::path(relay_path).parent_path()));
  close(up);
}

// Learn mode's native jail: a payload that becomes another user reaches
// the relay by a path no one can list: the run dir and the relay's own are
// 0711 (enter, not read), and the name holds 64 random bits. A run dir of
// another mode is refused, not loosened.
TEST(NotifyRelay, AnyUserRelayIsReachableOnlyByItsSecretPath) {
  Dir dir("anyuser");
  std::string upstream = (dir.path / "upstream").string();
  int up = bound_socket(upstream);
  ASSERT_GE(up, 0);
  std::string run = (dir.path / "learn").string();
  {
    auto relay = NotifyRelay::create(run, upstream, true);
    ASSERT_TRUE(relay) << relay.error().message();
    struct stat st{};
    ASSERT_EQ(stat(run.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0711u);
    fs::path own = fs::path(relay->socket_path()).parent_path();
    ASSERT_EQ(stat(own.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0711u);
    EXPECT_GE(own.filename().string().size(), std::string("notify-1-").size() + 12);
    ASSERT_EQ(stat(relay->socket_path().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0666u);
    ASSERT_GT(send_to(relay->socket_path(), "READY=1"), 0);
    relay->relay();
    EXPECT_EQ(receive(up), "READY=1");
  }
  fs::permissions(run, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                           fs::perms::others_read | fs::perms::others_exec);
  auto listable = NotifyRelay::create(run, upstream, true);
  EXPECT_FALSE(listable);
  close(up);
}

// An upstream that stops reading: relay() returns at once every time, holds at
// most kMaxQueued messages, then leaves the jail's socket unread; once the
// upstream reads again, what was held arrives, in order.
TEST(NotifyRelay, WedgedUpstreamNeverBlocks) {
  Dir dir("wedge");
  std::string upstream = (dir.path / "upstream").string();
  int up = bound_socket(upstream);
  ASSERT_GE(up, 0);
  auto relay = NotifyRelay::create(dir.path.string(), upstream);
  ASSERT_TRUE(relay) << relay.error().message();

  int sent = 0;
  auto start = std::chrono::steady_clock::now();
  // The jail's socket takes only so many before its senders would wait too.
  for (int round = 0; round < 200 && relay->wants_input(); ++round) {
    for (int i = 0; i < 4; ++i)
      if (send_to(relay->socket_path(), "STATUS=" + std::to_string(sent)) > 0) ++sent;
    relay->relay();
  }
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_LT(took, std::chrono::seconds(2));
  EXPECT_FALSE(relay->wants_input()) << "the upstream never filled up after " << sent << " messages";
  EXPECT_TRUE(relay->pending());
  // A full queue leaves the jail's datagrams where they are.
  ASSERT_GT(send_to(relay->socket_path(), "STATUS=waiting"), 0);
  relay->relay();
  EXPECT_FALSE(relay->wants_input());

  // The upstream reads again: everything arrives in the order it was sent.
  std::vector<std::string> got;
  for (int round = 0; round < 1000; ++round) {
    std::string m = receive(up);
    if (m == "<none>") {
      relay->relay();
      m = receive(up);
      if (m == "<none>") break;
    }
    got.push_back(m);
  }
  ASSERT_EQ(got.size(), static_cast<size_t>(sent) + 1);
  for (int i = 0; i < sent; ++i) EXPECT_EQ(got[i], "STATUS=" + std::to_string(i));
  EXPECT_EQ(got.back(), "STATUS=waiting");
  EXPECT_FALSE(relay->pending());
  close(up);
}

TEST(NotifyRelay, UpstreamGoneDropsInsteadOfWaiting) {
  Dir dir("gone");
  auto relay = NotifyRelay::create(dir.path.string(), (dir.path / "nobody").string());
  ASSERT_TRUE(relay) << relay.error().message();
  ASSERT_GT(send_to(relay->socket_path(), "READY=1"), 0);
  relay->relay();
  EXPECT_FALSE(relay->pending());
  EXPECT_TRUE(relay->wants_input());
}

// --- Stale run-directory entries ------------------------------------------------

pid_t dead_pid() {
  pid_t pid = fork();
  if (pid == 0) _exit(0);
  waitpid(pid, nullptr, 0);
  return pid;
}

void stale_entry(const fs::path& dir, bool with_socket = true) {
  fs::create_directory(dir);
  if (with_socket) close(bound_socket((dir / "notify").string()));
}

TEST(NotifyRelay, RemovesOnlyWhatDeadZjailsLeft) {
  Dir dir("stale");
  pid_t dead = dead_pid();
  std::string d = std::to_string(dead);
  fs::path gone = dir.path / ("notify-" + d + "-1");
  stale_entry(gone);
  fs::path gone_empty = dir.path / ("notify-" + d + "-2");
  stale_entry(gone_empty, false);
  // The pid lives (our own child): kept, whatever it is.
  pid_t live = fork();
  if (live == 0) {
    pause();
    _exit(0);
  }
  fs::path alive = dir.path / ("notify-" + std::to_string(live) + "-3");
  stale_entry(alive);
  // Dead pid, but locked: a zjail in another pid namespace.
  fs::path locked = dir.path / ("notify-" + d + "-4");
  stale_entry(locked);
  int lock = open(locked.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ASSERT_EQ(flock(lock, LOCK_EX | LOCK_NB), 0);
  // A symlink with our name: removed neither it nor what it points to.
  fs::path target = dir.path / "target";
  stale_entry(target);
  fs::path link = dir.path / ("notify-" + d + "-5");
  fs::create_directory_symlink(target, link);
  // Something that is not zjail's socket keeps its directory.
  fs::path foreign = dir.path / ("notify-" + d + "-6");
  fs::create_directory(foreign);
  close(open((foreign / "notify").c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
  // Not our names.
  fs::path other = dir.path / ("notify-" + d);
  stale_entry(other);
  fs::path other2 = dir.path / ("notify-x" + d + "-7");
  stale_entry(other2);

  NotifyRelay::remove_stale(dir.path.string());
  EXPECT_FALSE(fs::exists(gone));
  EXPECT_FALSE(fs::exists(gone_empty));
  EXPECT_TRUE(fs::exists(alive / "notify"));
  EXPECT_TRUE(fs::exists(locked / "notify"));
  EXPECT_TRUE(fs::is_symlink(link));
  EXPECT_TRUE(fs::exists(target / "notify"));
  EXPECT_TRUE(fs::exists(foreign / "notify"));
  EXPECT_TRUE(fs::exists(other / "notify"));
  EXPECT_TRUE(fs::exists(other2 / "notify"));

  // Once the lock is let go, the next start cleans that one up too.
  close(lock);
  auto relay = NotifyRelay::create(dir.path.string(), (dir.path / "nobody").string());
  ASSERT_TRUE(relay) << relay.error().message();
  EXPECT_FALSE(fs::exists(locked));
  kill(live, SIGKILL);
  waitpid(live, nullptr, 0);
  NotifyRelay::remove_stale(dir.path.string());
  EXPECT_FALSE(fs::exists(alive));
  EXPECT_TRUE(fs::exists(relay->socket_path()));
}

}  // namespace
}  // namespace zjail
