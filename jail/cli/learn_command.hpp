// `zjail learn`: run a command observed (learn_observe.hpp) and write the
// profile it needs (learn.hpp), docs/learn.md.
#pragma once

#include <string>

#include "launch.hpp"
#include "log.hpp"
#include "options.hpp"
#include "verbose.hpp"
#include "zjail/plan.hpp"
#include "zjail/profile.hpp"
#include "zjail/result.hpp"

namespace zjail::cli {

// Runs opt.command under `profile` (the native jail, or --profile BASE),
// observed, until it exits or zjail gets SIGINT/SIGTERM; then writes
// --output (and --dropin) atomically. 0 once written; an error, with
// nothing written, for bad arguments or a launch that failed.
Result<int> learn_command(const Profile& profile, const Options& opt, PlanContext& ctx, const std::string& name,
                          Log& log, Timings& timings);

}  // namespace zjail::cli
