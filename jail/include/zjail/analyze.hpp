// `zjail --analyze`: an exposure score from 0.0 (nothing a compromised payload
// could reach) to 10.0 (everything root can), over the same ground as
// `systemd-analyze security`, for what would really apply to the payload: a
// zjail profile, a service unit's own sandboxing, or both stacked (the unit
// runs zjail, which runs the payload). docs/analyze.md explains the scoring.
//
// The core returns data; the front end prints it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "zjail/profile.hpp"
#include "zjail/result.hpp"
#include "zjail/unit_file.hpp"

namespace zjail {

struct AnalysisItem {
  std::string item;     // what is judged, named after the systemd directive: "PrivateNetwork="
  std::string setting;  // what applies: "yes", "~@mount", ...
  std::string source;   // who set it: "profile", "unit", "zjail" (built in)
  int weight = 0;       // how much the item matters, relative to the others
  double exposure = 0;  // 0 (protected) .. 1 (fully exposed)
  double score = 0;     // share of the overall score: 10 * weight * exposure / total weight
  std::string reason;   // one line
};

struct Analysis {
  double score = 0;       // 0.0 .. 10.0, one decimal
  std::string rating;     // "SAFE", "OK", "MEDIUM", "EXPOSED", "UNSAFE"
  std::vector<AnalysisItem> items;  // in a fixed order (docs/analyze.md)
  std::vector<std::string> notes;   // things the score could not take into account
};

// Scores a payload confined by `profile` (zjail), by `unit` (systemd), or by
// both; each item takes the better of the two, since both apply. With neither,
// scores an unconfined root process (10.0). Errors: a profile whose
// system call or capability names do not resolve.
// `without_namespaces`: the profile as zjail runs it where the host refuses
// it user namespaces (plan_fallback.cpp): Landlock, seccomp and limits
// only; a profile that needs namespaces is noted as refused.
Result<Analysis> analyze(const Profile* profile, const UnitFile* unit, bool without_namespaces = false);

}  // namespace zjail
