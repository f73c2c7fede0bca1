// A watch section: chosen system calls routed to zjail's seccomp listener
// ahead of the launch's merged filter (denials.hpp), so that zjail sees
// them while the caller waits and lets them go on
// (SECCOMP_USER_NOTIF_FLAG_CONTINUE). Learn mode (learn_watch.cpp),
// explain mode (explain.cpp) and ListenViaBind= (listen_via_bind.cpp:
// bind(), answered with zjail's socket where it matches) each choose their
// calls; the section is built here once. Sections stack: each goes in
// front of the ones before it. The calls it does not choose depend on their number alone, so
// the kernel's action cache still answers them without running any BPF.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "zjail/plan.hpp"
#include "zjail/result.hpp"

namespace zjail {

// A call watched only for some argument values: one bit of one argument
// (its low word) must be set, or clear.
struct WatchArgRule {
  int nr;
  unsigned arg;
  uint32_t bit;
  bool set;
};

// Native call numbers of `names` (those this libseccomp knows), sorted,
// without duplicates.
std::vector<int> call_numbers(const std::vector<const char*>& names);

// Puts the section in front of plan.seccomp_notify, after its ABI check
// (the merged filter's first instructions): `nrs` (sorted) go to the
// listener, those with a rule only when it holds. `mode` names the mode in
// errors ("learning", "explaining").
Status add_watch_section(Plan& plan, const std::vector<int>& nrs, const std::vector<WatchArgRule>& rules,
                         const std::string& mode);

}  // namespace zjail
