// The payload's surroundings beyond identity: the private network, resource
// limits and the working directory.
#include <algorithm>
#include <set>

#include "harness.hpp"

namespace zjail_test {
namespace {

using ::testing::HasSubstr;

using Network = RootTest;
using Limits = RootTest;
using WorkingDirectory = RootTest;

std::set<std::string> iface_lines(const RunResult& r) {
  std::set<std::string> out;
  for (const auto& l : r.lines())
    if (l.rfind("IFACE ", 0) == 0) out.insert(l);
  return out;
}

// PrivateNetwork=yes (base-service): a fresh network namespace with only
// the loopback interface, and that one up.
TEST_F(Network, PrivateNetworkHasOnlyLoopbackUp) {
  auto r = jail({}, {"ifaces"});
  ASSERT_EQ(r.code, 0) << r.dump();
  EXPECT_EQ(iface_lines(r), (std::set<std::string>{"IFACE lo UP"})) << r.dump();
  auto l = jail({}, {"loopback"});
  EXPECT_EQ(outcome(l, "loopback"), "PASS") << l.dump();
}

TEST_F(Network, HostNetworkOverrideSharesTheHostInterfaces) {
  auto r = jail({"--network", "host"}, {"ifaces"});
  ASSERT_EQ(r.code, 0) << r.dump();
  auto host = unjailed({"ifaces"});
  EXPECT_EQ(iface_lines(r), iface_lines(host)) << r.dump();
}

// base-service: LimitNOFILE=4096 and LimitCORE=0, soft and hard alike.
TEST_F(Limits, ProfileLimitsApply) {
  auto r = jail({}, {"limits"});
  ASSERT_EQ(r.code, 0) << r.dump();
  EXPECT_EQ(r.line("RLIMIT NOFILE").value_or(""), "RLIMIT NOFILE 4096 4096") << r.dump();
  EXPECT_EQ(r.line("RLIMIT CORE").value_or(""), "RLIMIT CORE 0 0") << r.dump();
}

TEST_F(Limits, CommandLineOverridesTheProfile) {
  auto r = jail({"--rlimit", "nofile=64:128"}, {"limits"});
  ASSERT_EQ(r.code, 0) << r.dump();
  EXPECT_EQ(r.line("RLIMIT NOFILE").value_or(""), "RLIMIT NOFILE 64 128") << r.dump();
}

TEST_F(WorkingDirectory, RootByDefaultAndOverridable) {
  auto r = jail({}, {"cwd"});
  EXPECT_EQ(r.line("CWD").value_or(""), "CWD /") << r.dump();
  auto t = jail({"--chdir", "/tmp"}, {"cwd"});
  EXPECT_EQ(t.line("CWD").value_or(""), "CWD /tmp") << t.dump();
}

TEST_F(WorkingDirectory, MissingDirectoryFailsNamingTheStep) {
  auto r = jail({"--chdir", "/zjail-no-such-dir"}, {"cwd"});
  EXPECT_EQ(r.code, kExitFailure) << r.dump();
  EXPECT_EQ(r.err_lines().size(), 1u) << r.dump();
  EXPECT_THAT(r.err, HasSubstr("/zjail-no-such-dir")) << r.dump();
  EXPECT_THAT(r.err, HasSubstr("(step: chdir)")) << r.dump();
  EXPECT_FALSE(r.line("CWD")) << "the payload ran\n" << r.dump();
}

}  // namespace
}  // namespace zjail_test
