// `zjail --check`: everything about a profile that would make it fail, or
// not do what it says, on this host, found without starting anything. The
// syntax and the plan (users, mounts, capabilities, seccomp) are checked by
// check_plan(); this adds what only shows at run time:
//  - bind sources that do not exist (unless optional, '-'), mount points
//    zjail could not make, and a WorkingDirectory= the jail lacks;
//  - resource limits that nothing on this host can enforce;
//  - capabilities that cannot take effect from the jail's user namespace;
//  - ExecPaths=/ReadWritePaths= the host's own mount flags keep from
//    working, and DeviceAllow= entries naming no device here (paths the
//    jail lacks fail check_plan(), as they fail the launch);
//  - a command (and its script interpreter or ELF loader) that the jail
//    cannot find, looked up through the jail's own mount table.
#pragma once

#include <string>
#include <vector>

#include "zjail/plan.hpp"
#include "zjail/profile.hpp"
#include "zjail/result.hpp"

namespace zjail {

struct CheckFinding {
  enum class Level { Error, Warning };
  Level level = Level::Error;
  std::string message;  // one line: "origin: what, why"
};

// `command` may be empty: then only the profile is checked. A profile that
// fails check_plan() is an error result, not a finding.
Result<std::vector<CheckFinding>> check_profile(const Profile& profile, const std::vector<std::string>& command,
                                                const PlanContext& ctx);

// Where `path` (absolute, in the jail) is on the host, following the jail's
// symlinks through the plan's mount table; "" when it is not in the jail.
// Exposed for tests.
std::string host_path_in_jail(const Plan& plan, const std::string& path);

}  // namespace zjail
