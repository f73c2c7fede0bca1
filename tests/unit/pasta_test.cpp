// pasta's argv from a spec, the binary search and the failure line.
// Running pasta against namespaces is tests/root/root_pasta_test.cpp.
#include "pasta.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>

#include <string>
#include <vector>

namespace zjail {
namespace {

using ::testing::ElementsAreArray;

PortForward fwd(int proto, uint16_t host, uint16_t jail) { return PortForward{proto, host, jail, ""}; }

TEST(PastaArgs, NoForwardsCloseEveryDirection) {
  PastaSpec spec;
  spec.binary = "/usr/bin/pasta";
  spec.target = 42;
  std::vector<std::string> want = {
      "/usr/bin/pasta", "--config-net", "--foreground", "--quiet", "--runas", "1000:1000",
      "--ns-ifname", "host0", "--no-map-gw", "--dns", "none", "--search", "none",
      "--no-dhcp", "--no-dhcpv6", "--no-netns-quit",
      "--tcp-ports", "none", "--udp-ports", "none", "--tcp-ns", "none", "--udp-ns", "none",
      "--pid", "/proc/self/fd/5", "--userns", "/proc/self/fd/3", "--netns", "/proc/self/fd/4"};
  EXPECT_THAT(pasta_args(spec, 1000, 1000), ElementsAreArray(want));
}

TEST(PastaArgs, ForwardsAreListedPerProtocolAndDirection) {
  PastaSpec spec;
  spec.binary = "/usr/sbin/pasta";
  spec.ifname = "eth0";
  spec.ports = {fwd(IPPROTO_TCP, 8080, 80), fwd(IPPROTO_UDP, 5353, 53), fwd(IPPROTO_TCP, 8443, 443)};
  spec.loopback_ports = {fwd(IPPROTO_TCP, 5433, 5432)};  // the jail's 5432 -> the host's 5433
  std::vector<std::string> want = {
      "/usr/sbin/pasta", "--config-net", "--foreground", "--quiet", "--runas", "0:0",
      "--ns-ifname", "eth0", "--no-map-gw", "--dns", "none", "--search", "none",
      "--no-dhcp", "--no-dhcpv6", "--no-netns-quit",
      "--tcp-ports", "8080:80", "--tcp-ports", "8443:443", "--udp-ports", "5353:53",
      "--tcp-ns", "5432:5433", "--udp-ns", "none",
      "--pid", "/proc/self/fd/9", "--userns", "/proc/self/fd/7", "--netns", "/proc/self/fd/8"};
  EXPECT_THAT(pasta_args(spec, 0, 0, PastaFds{7, 8, 9}), ElementsAreArray(want));
}

TEST(PastaArgs, NeverOpensWhatPastaOpensByDefault) {
  PastaSpec spec;
  spec.binary = "pasta";
  auto a = pasta_args(spec, 1, 1);
  for (const char* wide : {"auto", "--dns-forward", "--dhcp-dns", "--log-file", "--pcap", "--stderr", "--debug"})
    EXPECT_THAT(a, ::testing::Not(::testing::Contains(std::string(wide)))) << wide;
}

TEST(FindPasta, SearchesOnlyTheGivenDirs) {
  // /bin/sh exists everywhere, a "pasta" in /proc nowhere.
  auto missing = find_pasta_in({"/proc", "/nonexistent"});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().err, ENOENT);
  EXPECT_EQ(missing.error().step, Step::Network);
  EXPECT_THAT(missing.error().message(), ::testing::HasSubstr("install Debian's passt"));
  EXPECT_THAT(missing.error().message(), ::testing::HasSubstr("/proc, /nonexistent"));
}

TEST(PastaFailure, LastLineWithoutSyslogNoise) {
  EXPECT_EQ(pasta_failure("Failed to send 51 bytes to syslog\nDon't run as root. Changing to nobody...\n"
                          "Failed to send 80 bytes to syslog\n"
                          "Couldn't open user namespace /proc/self/fd/3: Permission denied\n"),
            "Couldn't open user namespace /proc/self/fd/3: Permission denied");
  EXPECT_EQ(pasta_failure("Failed to send 51 bytes to syslog\n"), "");
  EXPECT_EQ(pasta_failure("no newline at the end"), "no newline at the end");
}

}  // namespace
}  // namespace zjail
