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
//
// Matching goes by what NSS says, never by the name typed at the prompt: a
// user line matches the login whose uid its name resolves to (or whose
// canonical name it is), a group line the logins whose group list holds the
// gid it resolves to (or whom its member list names). A line the login
// reaches that NSS cannot answer for refuses the login instead of being
// skipped: see match_pam_rule.
#pragma once

#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "zjail/result.hpp"
#include "zjail/users.hpp"

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

using PamLogin = Login;  // users.hpp

// The login behind the name typed at the prompt (Step::ResolveUser; err 0
// when NSS knows no such user).
Result<PamLogin> resolve_pam_login(const std::string& typed);

// What NSS answers for the user or group a rule names.
struct PamSubject {
  enum class State { Found, Missing, Failed };
  State state = State::Missing;
  unsigned id = 0;                   // uid or gid, when Found
  std::vector<std::string> members;  // a group's member list, when Found
  int err = 0;                       // the lookup's errno, when Failed
};
using PamResolver = std::function<PamSubject(const PamRule&)>;

// NSS's answer for a User or Group rule (buffers grown on ERANGE).
PamSubject resolve_pam_subject(const PamRule& rule);

// The first rule that matches `who`, or nullopt when none does. Each rule is
// resolved (once) only when reached, so a rule before it decides without
// asking NSS about the rest. A reached rule that cannot be decided is an
// error (Step::PamConfig, "file:line: ..."), and the caller refuses the
// login:
//   - a lookup that failed (an NSS outage, a backend error), whatever the
//     rule's profile: this login might be the one it names;
//   - a user or group NSS does not know on a line that confines (a profile):
//     it may have been meant for this login, spelled as NSS does not spell
//     it, or its backend may be down and answering "no such entry".
// An unknown subject on a "-" line matches no one: skipping it can only
// leave the login to a later line.
Result<std::optional<PamRule>> match_pam_rule(const PamConfig& conf, const PamLogin& who,
                                              const PamResolver& resolve = resolve_pam_subject);

}  // namespace zjail
