// /etc/zjail/pam.conf: which login users pam_zjail confines, and how.
//
//   # SUBJECT   PROFILE
//   @jailed     ssh-restricted
//   alice       sftp-only
//   *           -
//
// SUBJECT is a user name, @group or *; PROFILE is a profile name, an
// absolute profile path, or "-" (leave the user alone). The first matching
// line wins; a user no line matches is left alone.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "zjail/result.hpp"

namespace zjail {

struct PamRule {
  enum class Kind { User, Group, Everyone };
  Kind kind = Kind::User;
  std::string name;     // user or group name; empty for Everyone
  std::string profile;  // "" for "-"
  int line = 0;
};

struct PamConfig {
  std::string file;
  std::vector<PamRule> rules;
};

// Parses pam.conf text as if read from `file`. Strict, like profiles: every
// problem is an error reading "file:line: message" (Step::PamConfig).
Result<PamConfig> parse_pam_config(std::string_view text, const std::string& file);

// Reads and parses `path`, refusing a file that is not a root-owned regular
// file writable only by root (it decides who gets confined).
Result<PamConfig> load_pam_config(const std::string& path);

// The rule for a user with these group names (primary and supplementary),
// or nullopt when no rule matches.
std::optional<PamRule> match_pam_rule(const PamConfig& conf, const std::string& user,
                                      const std::vector<std::string>& groups);

}  // namespace zjail
