// The BPF cache: a hit returns exactly what compiling returns, a key mismatch
// or an untrustworthy directory falls back to compiling.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "zjail/seccomp_cache.hpp"

namespace zjail {
namespace {

namespace fs = std::filesystem;

struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() / ("zjail-cache-" + std::to_string(getpid()));
    fs::remove_all(path);
    fs::create_directories(path);
    chmod(path.c_str(), 0700);
  }
  ~TempDir() { fs::remove_all(path); }
};

Profile filtered(const char* name) {
  Profile p;
  p.system_call_filter.is_set = true;
  p.system_call_filter.names.push_back({name, Origin{"t", 1}});
  return p;
}

bool same(const BpfProgram& a, const BpfProgram& b) {
  if (a.filters.size() != b.filters.size()) return false;
  for (size_t i = 0; i < a.filters.size(); ++i)
    if (a.filters[i].size() != b.filters[i].size() ||
        std::memcmp(a.filters[i].data(), b.filters[i].data(), a.filters[i].size() * sizeof(sock_filter)) != 0)
      return false;
  return true;
}

size_t entries(const fs::path& dir) {
  size_t n = 0;
  for (auto& e : fs::directory_iterator(dir)) n += e.path().extension() == ".bpf";
  return n;
}

TEST(SeccompCache, KeyCoversEveryFilterDirective) {
  Profile a = filtered("@system-service");
  Profile b = filtered("@basic-io");
  EXPECT_NE(seccomp_cache_key(a), seccomp_cache_key(b));
  Profile c = a;
  c.system_call_filter.invert = true;
  EXPECT_NE(seccomp_cache_key(a), seccomp_cache_key(c));
  Profile d = a;
  d.system_call_error_number.value = SyscallAction{SyscallAction::Errno, EPERM};
  EXPECT_NE(seccomp_cache_key(a), seccomp_cache_key(d));
  Profile e = a;
  e.system_call_architectures.push_back({"native", Origin{"t", 2}});
  EXPECT_NE(seccomp_cache_key(a), seccomp_cache_key(e));
  EXPECT_EQ(seccomp_cache_key(a), seccomp_cache_key(filtered("@system-service")));
}

TEST(SeccompCache, HitEqualsCompile) {
  TempDir dir;
  Profile p = filtered("@system-service");
  auto fresh = compile_seccomp(p);
  ASSERT_TRUE(fresh) << fresh.error().message();
  auto first = cached_seccomp(p, {}, dir.path.string());
  ASSERT_TRUE(first);
  EXPECT_EQ(entries(dir.path), 1u);
  auto second = cached_seccomp(p, {}, dir.path.string());
  ASSERT_TRUE(second);
  EXPECT_TRUE(same(*fresh, *first));
  EXPECT_TRUE(same(*fresh, *second));
}

TEST(SeccompCache, TamperedEntryIsNotUsed) {
  TempDir dir;
  Profile p = filtered("@system-service");
  ASSERT_TRUE(cached_seccomp(p, {}, dir.path.string()));
  fs::path entry;
  for (auto& e : fs::directory_iterator(dir.path)) entry = e.path();
  // Truncate the program: a short or mismatching entry must be ignored.
  fs::resize_file(entry, fs::file_size(entry) - sizeof(sock_filter));
  auto again = cached_seccomp(p, {}, dir.path.string());
  ASSERT_TRUE(again);
  EXPECT_TRUE(same(*again, *compile_seccomp(p)));
}

TEST(SeccompCache, OpenDirectoryIsRefused) {
  TempDir dir;
  chmod(dir.path.c_str(), 0777);
  Profile p = filtered("@system-service");
  ASSERT_TRUE(cached_seccomp(p, {}, dir.path.string()));
  EXPECT_EQ(entries(dir.path), 0u);  // nothing written where others could swap it
}

TEST(SeccompCache, DefaultDirectories) {
  EXPECT_EQ(default_seccomp_cache_dir(0, nullptr), "/run/zjail/seccomp");
  EXPECT_EQ(default_seccomp_cache_dir(1000, "/run/user/1000"), "/run/user/1000/zjail/seccomp");
  EXPECT_EQ(default_seccomp_cache_dir(1000, nullptr), "");
  EXPECT_EQ(default_seccomp_cache_dir(1000, "relative"), "");
}

}  // namespace
}  // namespace zjail
