// Profile files: systemd unit-file syntax, systemd directive names and
// semantics. See docs/profile.md for every directive.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "zjail/profile.hpp"
#include "zjail/result.hpp"
#include "zjail/trust.hpp"

namespace zjail {

// Whose files the loader may read. With `check`, the profile, each Include=
// target, each drop-in directory and each drop-in, with every directory
// above them, must pass open_trusted() under `rule`, and each file is read
// from the fd that was checked. Without it (an unprivileged caller's own
// jail) any readable file is read. Either way only regular files are read,
// and /dev/null (a masked drop-in): a FIFO or a device is refused rather than
// left to block the loader.
struct ProfileTrust {
  bool check = false;
  TrustRule rule;
  std::string hint;  // appended to a refusal: what the caller can do about it

  static ProfileTrust any() { return {}; }
  // Root's files alone, on a path root alone can change (pam_zjail).
  static ProfileTrust root_only() { return {true, {}, {}}; }
};

// The CLI's policy for a caller whose effective uid is `euid`: for an
// unprivileged caller, what root or the caller alone can write (no other
// local user may loosen the caller's jail); for root, as sudo treats
// sudoers, only what root alone can write, and also what belongs to `owner`
// (ZJAIL_PROFILE_OWNER: a user name or uid; unset or empty: no one), the
// opt-out for running a developer's tree as root. Both cross a sticky /tmp
// only on the way to a directory of their own.
Result<ProfileTrust> caller_profile_trust(uid_t euid, const char* owner);

// Directories searched for a profile NAME, in order: /etc/zjail/profiles,
// /usr/share/zjail/profiles, then each ':'-separated entry of `env_path`
// (the value of $ZJAIL_PROFILE_PATH, or nullptr).
std::vector<std::string> profile_search_path(const char* env_path);

// NAME -> first "<dir>/NAME.profile" that exists; an argument containing '/'
// is a path and is returned as is if it exists.
Result<std::string> find_profile(const std::string& name_or_path,
                                 const std::vector<std::string>& search_path);

// Parses one profile (following Include= and NAME.profile.d/*.conf drop-ins)
// and layers it onto `into`, reading only files `trust` allows. Errors carry
// Step::Profile and read "file:line: message", or name the refused file and
// why.
Status load_profile(Profile& into, const std::string& name_or_path,
                    const std::vector<std::string>& search_path, const ProfileTrust& trust);

// Parses a whole profile text as if read from `file`. Include= is resolved
// against `search_path` and the including file's directory, under `trust`.
Status load_profile_text(Profile& into, std::string_view text, const std::string& file,
                         const std::vector<std::string>& search_path, const ProfileTrust& trust);

// Applies one `Key=value` assignment. Used by the parser and by the CLI's
// overrides (with Origin{"<command line>", N}).
Status apply_directive(Profile& into, std::string_view key, std::string_view value,
                       const Origin& origin);

// The fully resolved profile in profile syntax; each value is preceded by a
// "# file:line" comment naming what set it.
std::string show_profile(const Profile& p);

// (name, path) of every profile on the search path; /etc shadows /usr/share.
std::vector<std::pair<std::string, std::string>> list_profiles(
    const std::vector<std::string>& search_path);

}  // namespace zjail
