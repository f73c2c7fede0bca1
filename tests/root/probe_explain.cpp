// The probe's attacks on explain mode (zjail --explain): the supervisor
// looks at the payload's calls while they wait, and must neither tell the
// payload about the host nor stop answering it.
#include <fcntl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <string>
#include <vector>

#include "probe.hpp"

namespace zjail_probe {
namespace {

uint64_t now_ns() {
  timespec t{};
  clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<uint64_t>(t.tv_sec) * 1000000000ULL + static_cast<uint64_t>(t.tv_nsec);
}

// Red team: the latency of openat() on two paths the jail lacks, taken in
// turns, `rounds` times each: the median of each in ns. zjail looks a
// missing path up on the host; if how long that takes depends on the host
// having it, the payload learns of host files it could never open.
int time_paths(const std::string& a, const std::string& b, int rounds) {
  std::vector<uint64_t> ta, tb;
  for (int i = 0; i < rounds; ++i) {
    for (int k = 0; k < 2; ++k) {
      const std::string& p = (i + k) % 2 ? b : a;
      uint64_t t0 = now_ns();
      syscall(SYS_openat, AT_FDCWD, p.c_str(), O_RDONLY | O_CLOEXEC);
      ((i + k) % 2 ? tb : ta).push_back(now_ns() - t0);
    }
  }
  auto median = [](std::vector<uint64_t>& v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  uint64_t ma = median(ta), mb = median(tb);
  out("explain-time a=" + std::to_string(ma) + " b=" + std::to_string(mb));
  return 0;
}

}  // namespace

int run_explain_probe(const std::string& n, int argc, char** argv) {
  std::string a1 = argc > 2 ? argv[2] : "";
  if (n == "explain-time" && argc > 4) return time_paths(a1, argv[3], std::atoi(argv[4]));
  return -1;
}

}  // namespace zjail_probe
