// The sd_notify relay: what it forwards, what it drops, and a real round trip
// through unix datagram sockets.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>

#include "zjail/notify.hpp"

namespace zjail {
namespace {

namespace fs = std::filesystem;

TEST(NotifyRelay, FilterDropsWhatMeansNothingOutside) {
  EXPECT_EQ(NotifyRelay::filter("READY=1\nMAINPID=2\nSTATUS=up"), "READY=1\nSTATUS=up\n");
  EXPECT_EQ(NotifyRelay::filter("FDSTORE=1\nFDNAME=x\n"), "");
  EXPECT_EQ(NotifyRelay::filter("WATCHDOG=1"), "WATCHDOG=1\n");
  EXPECT_EQ(NotifyRelay::filter("RELOADING=1\nSTOPPING=1\n"), "RELOADING=1\nSTOPPING=1\n");
}

TEST(NotifyRelay, RelaysToUpstreamAndCleansUp) {
  fs::path dir = fs::temp_directory_path() / ("zjail-notify-" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::string upstream = (dir / "upstream").string();
  int up = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::strncpy(sa.sun_path, upstream.c_str(), sizeof sa.sun_path - 1);
  ASSERT_EQ(bind(up, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);

  std::string relay_path;
  {
    auto relay = NotifyRelay::create(dir.string(), upstream);
    ASSERT_TRUE(relay) << relay.error().message();
    relay_path = relay->socket_path();
    struct stat st{};
    ASSERT_EQ(stat(relay_path.c_str(), &st), 0);
    EXPECT_TRUE(S_ISSOCK(st.st_mode));

    int client = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un to{};
    to.sun_family = AF_UNIX;
    std::strncpy(to.sun_path, relay_path.c_str(), sizeof to.sun_path - 1);
    const char msg[] = "READY=1\nMAINPID=2\n";
    ASSERT_GT(sendto(client, msg, sizeof msg - 1, 0, reinterpret_cast<sockaddr*>(&to), sizeof to), 0);
    close(client);
    relay->relay();

    char buf[256];
    ssize_t n = recv(up, buf, sizeof buf, MSG_DONTWAIT);
    ASSERT_GT(n, 0);
    EXPECT_EQ(std::string(buf, static_cast<size_t>(n)), "READY=1\n");
  }
  // Nothing of the relay is left once it is gone.
  EXPECT_FALSE(fs::exists(relay_path));
  EXPECT_FALSE(fs::exists(fs::path(relay_path).parent_path()));
  close(up);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace zjail
