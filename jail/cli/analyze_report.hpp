// `zjail --analyze`: which profile and unit to score, and printing the score
// as a table or as JSON. The scoring itself is the core's (zjail/analyze.hpp).
#pragma once

#include <string>
#include <vector>

#include "options.hpp"
#include "zjail/analyze.hpp"
#include "zjail/parser.hpp"
#include "zjail/result.hpp"

namespace zjail::cli {

// Loads the unit (--unit) and the profiles (--profile, or those the unit's
// ExecStart= passes to zjail) plus the command-line overrides, scores them
// and prints the result. Returns the exit status: 0, or 1 when the score is
// above --threshold. Profiles are read under `trust`, as for a launch.
Result<int> analyze_command(const Options& opt, const std::vector<std::string>& search,
                            const ProfileTrust& trust);

std::string analysis_table(const Analysis& a, const std::string& subject);
std::string analysis_json(const Analysis& a, const std::string& profile, const std::string& unit);

}  // namespace zjail::cli
