// The cgroup resource directives: systemd's value syntax, resets, errors,
// and --show round trips.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>

#include "directive_lines.hpp"
#include "zjail/parser.hpp"

namespace zjail {
namespace {

constexpr DirectiveLines kLines{"r.profile"};

Status apply(Profile& p, std::string_view key, std::string_view value, int line = 1) {
  return kLines.apply(p, key, value, line);
}

Profile profile_of(std::initializer_list<std::pair<const char*, const char*>> lines) { return kLines.profile(lines); }

TEST(ResourceDirectives, ValuesFollowSystemd) {
  Profile p = profile_of({{"MemoryMax", "64M"},
                          {"MemoryHigh", "infinity"},
                          {"MemorySwapMax", "0"},
                          {"TasksMax", "32"},
                          {"CPUQuota", "150%"},
                          {"CPUWeight", "20"},
                          {"AllowedCPUs", "0-1 3"},
                          {"IOWeight", "100"},
                          {"IOReadBandwidthMax", "/var/lib 10M"},
                          {"IOWriteBandwidthMax", "/ 1G"},
                          {"Slice", "system-zjail.slice"},
                          {"EnforceLimits", "best-effort"}});
  if (HasFailure()) return;
  const Resources& r = p.resources;
  EXPECT_EQ(*r.memory_max.value, 64ULL << 20);
  EXPECT_EQ(*r.memory_high.value, kLimitInfinity);
  EXPECT_EQ(*r.memory_swap_max.value, 0u);
  EXPECT_EQ(*r.tasks_max.value, 32u);
  EXPECT_EQ(*r.cpu_quota_per_sec_usec.value, 1500000u);
  EXPECT_EQ(*r.allowed_cpus.value, "0-1,3");
  ASSERT_EQ(r.io_read_bandwidth_max.size(), 1u);
  EXPECT_EQ(r.io_read_bandwidth_max[0].value.bytes_per_sec, 10000000u);  // powers of 1000 here
  EXPECT_FALSE(*r.enforce_strict.value);
  EXPECT_TRUE(r.any_limit());
  EXPECT_EQ(r.memory_max.origin.str(), "r.profile:1");

  ASSERT_TRUE(apply(p, "IOReadBandwidthMax", ""));
  EXPECT_TRUE(p.resources.io_read_bandwidth_max.empty());
  ASSERT_TRUE(apply(p, "MemoryMax", ""));
  EXPECT_FALSE(p.resources.memory_max.is_set());
}

// systemd.resource-control(5)'s forms: percentages of the memory and of the
// system's task limit, fractions, sums of units, shares over 100%.
TEST(ResourceDirectives, PercentagesFractionsAndSums) {
  uint64_t memory = static_cast<uint64_t>(sysconf(_SC_PHYS_PAGES)) * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  uint64_t threads = 0, pid_max = 0;
  std::ifstream("/proc/sys/kernel/threads-max") >> threads;
  std::ifstream("/proc/sys/kernel/pid_max") >> pid_max;
  uint64_t tasks = std::min<uint64_t>({4194303, threads, pid_max - 1});
  Profile p = profile_of({{"MemoryMax", "10%"},
                          {"MemoryHigh", "1.5G"},
                          {"MemorySwapMax", "1G 512M"},
                          {"TasksMax", "50%"},
                          {"CPUQuota", "12.5%"},
                          {"IOReadBandwidthMax", "/ 1.5K"}});
  if (HasFailure()) return;
  const Resources& r = p.resources;
  EXPECT_EQ(*r.memory_max.value, static_cast<uint64_t>(static_cast<unsigned __int128>(memory) * 1000 / 10000));
  EXPECT_EQ(*r.memory_high.value, 3ULL << 29);
  EXPECT_EQ(*r.memory_swap_max.value, (1ULL << 30) + (512ULL << 20));
  EXPECT_EQ(*r.tasks_max.value, tasks / 2);
  EXPECT_EQ(*r.cpu_quota_per_sec_usec.value, 125000u);
  EXPECT_EQ(r.io_read_bandwidth_max[0].value.bytes_per_sec, 1500u);
  Profile q = profile_of({{"MemoryMax", "5\u2030"}, {"TasksMax", "1\u2031"}, {"MemorySwapMax", "0"}});
  EXPECT_EQ(*q.resources.memory_max.value, static_cast<uint64_t>(static_cast<unsigned __int128>(memory) * 50 / 10000));
  EXPECT_EQ(*q.resources.memory_swap_max.value, 0u);
}

TEST(ResourceDirectives, BadValuesNameFileLineAndExpectation) {
  struct Case {
    const char* key;
    const char* value;
  } cases[] = {{"MemoryMax", "lots"},     {"TasksMax", "0"},        {"CPUQuota", "50"},
               {"MemoryMax", "0"},        {"MemoryHigh", "101%"},   {"MemorySwapMax", "10%"},
               {"MemoryMax", "512M 1G"},  {"MemoryMax", "1.5X"},     {"MemoryMax", "-1G"},
               {"TasksMax", "0%"},        {"TasksMax", "1.5"},      {"CPUQuota", "1.234%"},
               {"CPUQuota", "0%"},        {"CPUWeight", "0"},       {"IOWeight", "10001"},
               {"AllowedCPUs", "3-1"},    {"IOReadBandwidthMax", "/dev/sda"},
               {"IOWriteBandwidthMax", "relative 1M"}, {"Slice", "foo.service"},
               {"EnforceLimits", "maybe"}};
  for (const auto& c : cases) {
    Profile p;
    auto st = apply(p, c.key, c.value, 7);
    ASSERT_FALSE(st) << c.key << "=" << c.value;
    EXPECT_EQ(st.error().context.rfind("r.profile:7: invalid value '", 0), 0u) << st.error().context;
  }
}

// A share of the host ("50%") is resolved for this host and kept as
// written, so that --show and an export for other hosts say the share.
TEST(ResourceDirectives, SharesOfTheHostAreKeptAsWritten) {
  Profile p = profile_of({{"MemoryMax", "50%"}, {"MemoryHigh", "10%"}, {"TasksMax", "5%"}});
  EXPECT_GT(*p.resources.memory_max.value, 0u);
  std::string shown = show_profile(p);
  EXPECT_NE(shown.find("MemoryMax=50%"), std::string::npos) << shown;
  EXPECT_NE(shown.find("MemoryHigh=10%"), std::string::npos) << shown;
  EXPECT_NE(shown.find("TasksMax=5%"), std::string::npos) << shown;
  // A later amount, or a reset, replaces the share.
  Profile q = profile_of({{"MemoryMax", "50%"}, {"MemoryMax", "1G"}, {"TasksMax", "5%"}, {"TasksMax", ""}});
  EXPECT_TRUE(q.resources.as_share.empty());
  EXPECT_NE(show_profile(q).find("MemoryMax=1073741824"), std::string::npos);
}

TEST(ResourceDirectives, ShowRoundTrips) {
  Profile p = profile_of({{"MemoryMax", "1G"},
                          {"CPUQuota", "20%"},
                          {"IOWriteBandwidthMax", "/ 5M"},
                          {"EnforceLimits", "strict"},
                          {"MemoryHigh", "10%"},
                          {"TasksMax", "5%"}});
  Profile decimal = profile_of({{"CPUQuota", "12.05%"}});
  Profile back;
  ASSERT_TRUE(load_profile_text(back, show_profile(decimal), "shown.profile", {}, ProfileTrust::any()));
  EXPECT_EQ(*back.resources.cpu_quota_per_sec_usec.value, 120500u);
  std::string shown = show_profile(p);
  Profile q;
  auto st = load_profile_text(q, shown, "shown.profile", {}, ProfileTrust::any());
  ASSERT_TRUE(st) << st.error().message() << "\n" << shown;
  EXPECT_EQ(*q.resources.memory_max.value, 1ULL << 30);
  EXPECT_EQ(*q.resources.cpu_quota_per_sec_usec.value, 200000u);
  ASSERT_EQ(q.resources.io_write_bandwidth_max.size(), 1u);
  EXPECT_EQ(q.resources.io_write_bandwidth_max[0].value.bytes_per_sec, 5000000u);
  EXPECT_TRUE(*q.resources.enforce_strict.value);
  // Percentages are resolved when read, shown as written, and read back
  // to the same values.
  EXPECT_EQ(*q.resources.memory_high.value, *p.resources.memory_high.value);
  EXPECT_EQ(*q.resources.tasks_max.value, *p.resources.tasks_max.value);
}

}  // namespace
}  // namespace zjail
