#include "zjail/memory.hpp"

#include <gtest/gtest.h>
#include <linux/capability.h>
#include <pthread.h>
#include <sys/mman.h>

#include <array>
#include <cstdint>
#include <fstream>
#include <numeric>
#include <string>

namespace {

// A field of /proc/self/status in KiB ("RssAnon", "RssFile").
long status_kib(const std::string& field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(field + ":", 0) == 0) return std::stol(line.substr(field.size() + 1));
  return -1;
}

// Read-only data the shed must leave readable and unchanged.
constexpr std::array<uint32_t, 64 * 1024> make_table() {
  std::array<uint32_t, 64 * 1024> t{};
  for (uint32_t i = 0; i < t.size(); ++i) t[i] = i * 2654435761u;
  return t;
}
constexpr auto kTable = make_table();

uint64_t table_sum() {
  uint64_t sum = 0;
  for (uint32_t v : kTable) sum += v;
  return sum;
}

// Dirties `kib` of stack below the caller, then returns: those pages are dead.
[[gnu::noinline]] uint64_t dirty_stack(size_t kib) {
  volatile char buf[512 * 1024];
  for (size_t i = 0; i < kib * 1024 && i < sizeof buf; i += 512) buf[i] = static_cast<char>(i);
  return buf[0];
}

TEST(Memory, DropsReadOnlyPagesAndTheyReadBackUnchanged) {
  const uint64_t before_sum = table_sum();  // faults the 256 KiB table in
  long before = status_kib("RssFile");
  ASSERT_EQ(zjail::shed_startup_memory(), 0);
  long after = status_kib("RssFile");
  EXPECT_LT(after, before - 200) << "RssFile " << before << " -> " << after << " KiB";
  EXPECT_EQ(table_sum(), before_sum);
}

TEST(Memory, DropsTheDeadStackAndKeepsTheLiveOne) {
  std::array<uint64_t, 1024> live;  // 8 KiB of this frame, above the shed
  std::iota(live.begin(), live.end(), 7);
  dirty_stack(400);
  long before = status_kib("RssAnon");
  ASSERT_EQ(zjail::shed_startup_memory(), 0);
  long after = status_kib("RssAnon");
  EXPECT_LT(after, before - 256) << "RssAnon " << before << " -> " << after << " KiB";
  for (size_t i = 0; i < live.size(); ++i) ASSERT_EQ(live[i], i + 7);
}

// A thread's stack is an ordinary mapping, possibly with another right below
// it: here a neighbour holding data, which must survive a shed called on the
// thread's stack.
struct Neighbour {
  char* data;
  size_t size;
  int result = -1;
};

void* shed_on_thread(void* arg) {
  static_cast<Neighbour*>(arg)->result = zjail::shed_startup_memory();
  return nullptr;
}

TEST(Memory, LeavesWhatLiesBelowAThreadsStackAlone) {
  const size_t neighbour = 256 * 1024, stack = 256 * 1024;
  void* map = mmap(nullptr, neighbour + stack, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(map, MAP_FAILED);
  Neighbour n{static_cast<char*>(map), neighbour};
  for (size_t i = 0; i < n.size; ++i) n.data[i] = static_cast<char>(i % 251 + 1);
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  ASSERT_EQ(pthread_attr_setstack(&attr, n.data + neighbour, stack), 0);
  pthread_t t;
  ASSERT_EQ(pthread_create(&t, &attr, shed_on_thread, &n), 0);
  pthread_join(t, nullptr);
  pthread_attr_destroy(&attr);
  EXPECT_EQ(n.result, 0);
  size_t bad = 0;
  for (size_t i = 0; i < n.size; ++i) bad += n.data[i] != static_cast<char>(i % 251 + 1);
  EXPECT_EQ(bad, 0u);
  munmap(map, neighbour + stack);
}

// An exec'd init's memory belongs to the jail's user namespace: a payload
// that may hold CAP_SYS_PTRACE there keeps the cloned init.
TEST(SmallInit, NeverWhereThePayloadMayHoldCapSysPtrace) {
  EXPECT_TRUE(zjail::small_init_allowed(0));
  EXPECT_TRUE(zjail::small_init_allowed(1ULL << CAP_NET_BIND_SERVICE));
  EXPECT_FALSE(zjail::small_init_allowed(1ULL << CAP_SYS_PTRACE));
  EXPECT_FALSE(zjail::small_init_allowed(~0ULL));
}

}  // namespace
