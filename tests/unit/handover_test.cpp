// The supervisor's handover variable and the checks zjail makes before it
// takes anything named there as its own (handover.hpp, supervise_env.hpp).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <string>

#include "zjail/handover.hpp"
#include "zjail/supervise_env.hpp"

namespace zjail {
namespace {

TEST(SuperviseEnv, NumbersRoundTrip) {
  long v[kSuperviseFields] = {12, 13, 14, 15, 16, 17, -1, 1073741823, 1, 65535};
  char buf[32 + 12 * kSuperviseFields];
  std::string entry = format_numbers(buf, kSuperviseEnv, v, kSuperviseFields);
  EXPECT_EQ(entry, "ZJAIL_SUPERVISE=12,13,14,15,16,17,-1,1073741823,1,65535");
  char* env[] = {const_cast<char*>("A=b"), buf, nullptr};
  const char* value = env_value(env, kSuperviseEnv);
  ASSERT_NE(value, nullptr);
  long back[kSuperviseFields];
  ASSERT_TRUE(parse_numbers(value, back, kSuperviseFields));
  for (int i = 0; i < kSuperviseFields; ++i) EXPECT_EQ(back[i], v[i]) << i;
}

TEST(SuperviseEnv, AnythingButTheExactListIsRefused) {
  long v[3];
  for (const char* bad : {"", "1,2", "1,2,3,4", "1,,3", "1,2,3,", "-2,1,1", "-,1,1", "1,2,x", " 1,2,3",
                          "1,2,99999999999", "+1,2,3"})
    EXPECT_FALSE(parse_numbers(bad, v, 3)) << '"' << bad << '"';
  EXPECT_TRUE(parse_numbers("-1,0,7", v, 3));
  EXPECT_EQ(v[0], -1);
}

TEST(SuperviseEnv, OnlyTheNamedVariableMatches) {
  char* env[] = {const_cast<char*>("ZJAIL_SUPERVISEX=1"), const_cast<char*>("ZJAIL_SUPERVIS=2"), nullptr};
  EXPECT_EQ(env_value(env, kSuperviseEnv), nullptr);
  EXPECT_TRUE(env_entry_is("ZJAIL_SUPERVISE=", kSuperviseEnv));
  EXPECT_FALSE(env_entry_is("ZJAIL_SUPERVISE", kSuperviseEnv));
}

std::string spec_with_state(int state_fd) {
  return std::to_string(state_fd) + ",900,901,902,903,904,-1,-1,0,-1";
}

// Nothing a forged variable names is closed or read unless the state is a
// sealed memfd: not the standard streams, not a plain file, not a memfd
// anyone could still write.
TEST(ResumeJail, RefusesWhatNoHandoverLeft) {
  EXPECT_FALSE(resume_jail("1,2,3,4,5,6,7,8,0,-1", nullptr, {}));
  EXPECT_FALSE(resume_jail("garbage", nullptr, {}));
  EXPECT_FALSE(resume_jail(nullptr, nullptr, {}));
  EXPECT_EQ(fcntl(1, F_GETFD), 0) << "stdout was taken";

  int plain = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(plain, 3);
  auto r = resume_jail(spec_with_state(plain).c_str(), nullptr, {});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("not a sealed memfd"), std::string::npos) << r.error().message();
  EXPECT_GE(fcntl(plain, F_GETFD), 0) << "the named fd was closed";
  close(plain);

  int unsealed = memfd_create("zjail-test", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  ASSERT_GE(unsealed, 3);
  ASSERT_EQ(write(unsealed, "zjail-supervision-1", 19), 19);
  EXPECT_FALSE(resume_jail(spec_with_state(unsealed).c_str(), nullptr, {}));
  EXPECT_GE(fcntl(unsealed, F_GETFD), 0);

  // Sealed, but not a handover's: refused once read.
  ASSERT_EQ(fcntl(unsealed, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE), 0);
  auto forged = resume_jail(spec_with_state(unsealed).c_str(), nullptr, {});
  ASSERT_FALSE(forged);
  EXPECT_NE(forged.error().message().find("supervisor's state"), std::string::npos) << forged.error().message();
}

}  // namespace
}  // namespace zjail
