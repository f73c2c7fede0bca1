// What -v, -vv and -vvv add to zjail's output, each level on top of the one
// before: -v the plan in a few lines (identity, namespaces, cgroup,
// Landlock, the jail's init), -vv the whole mount table, the capabilities
// and the seccomp filters, -vvv how long each phase of the launch took.
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "zjail/cgroup.hpp"
#include "zjail/plan.hpp"
#include "zjail/profile.hpp"

namespace zjail::cli {

void log_plan(const Plan& plan, const Profile& profile, int verbosity);
void log_cgroup(const JailCgroup& cgroup, int verbosity);

// Phase timings for -vvv, from the start of the process.
class Timings {
 public:
  explicit Timings(int verbosity) : on_(verbosity >= 3), start_(std::chrono::steady_clock::now()), last_(start_) {}
  void mark(const char* phase);
  void log() const;

 private:
  bool on_;
  std::chrono::steady_clock::time_point start_, last_;
  std::vector<std::pair<const char*, double>> phases_;  // name, milliseconds
};

}  // namespace zjail::cli
