// Command-line options and how they override the profiles.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "zjail/profile.hpp"
#include "zjail/result.hpp"

namespace CLI {
class App;
}

namespace zjail::cli {

struct Options {
  std::vector<std::string> profiles;
  std::string user, group, chdir, hostname, network;
  std::vector<std::string> binds, ro_binds, tmpfs, setenv, syscall_filter, capabilities, rlimits;
  bool keep_tty = false;
  // --explain: name every denial, kills included (docs/denials.md).
  bool explain = false;
  bool check = false, show = false, list_profiles = false;
  // syscall-groups: print zjail's syscall groups (those named in `command`, or all).
  bool syscall_groups = false;
  // --analyze: score the profiles (and --unit) instead of running anything.
  bool analyze = false, json = false;
  std::string unit;
  std::optional<double> threshold;
  // learn: run COMMAND observed and write the profile it needs (docs/learn.md).
  bool learn = false;
  std::string output, merge, dropin;
  // export: write the profile for another engine instead of running
  // anything (docs/fleet.md).
  bool export_profile = false;
  std::string export_format;
  int systemd_version = 252;
  int verbosity = 0;
  std::vector<std::string> command;
  // zjail's own argv, kept across the supervisor's handover (handover.hpp).
  char** argv = nullptr;
};

void define_options(CLI::App& app, Options& opt);

// What parse_command_line() decided: run (exit < 0), or exit with `exit`
// after printing `out` (stdout: --help, --version) and `err` (stderr).
struct ParseOutcome {
  int exit = -1;
  std::string out, err;
};

// The verbs zjail takes as its first argument (`zjail check ...`), each the
// same as its flag (`--check`). Only the first argument can be a verb: a
// payload named like one runs as `zjail -- check` or after any option.
const std::vector<std::string>& verbs();

// Parses argv into `opt` without printing or exiting (the CLI prints the
// outcome; cli_fuzz feeds it arbitrary argv).
ParseOutcome parse_command_line(int argc, const char* const* argv, Options& opt);

// Applies the everyday overrides after the profiles, through the same
// directive parser, so they are validated exactly like profile lines.
Status apply_overrides(Profile& p, const Options& opt);

}  // namespace zjail::cli
