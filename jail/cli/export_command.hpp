// `zjail export`: the profiles written for another engine (export.hpp),
// docs/fleet.md.
#pragma once

#include <string>
#include <vector>

#include "options.hpp"
#include "zjail/result.hpp"
#include "zjail/parser.hpp"

namespace zjail::cli {

// Loads the profiles (--profile, or those of --unit's zjail command line),
// applies the unit's and the command line's overrides, and writes the export
// to --output (atomically) or stdout. 0 once written; an error, with
// nothing written, otherwise.
Result<int> export_command(const Options& opt, const std::vector<std::string>& search, const ProfileTrust& trust);

}  // namespace zjail::cli
