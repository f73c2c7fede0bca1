// Profile files: systemd unit-file syntax, systemd directive names and
// semantics. See docs/profile.md for every directive.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "zjail/profile.hpp"
#include "zjail/result.hpp"

namespace zjail {

// Directories searched for a profile NAME, in order: /etc/zjail/profiles,
// /usr/share/zjail/profiles, then each ':'-separated entry of `env_path`
// (the value of $ZJAIL_PROFILE_PATH, or nullptr).
std::vector<std::string> profile_search_path(const char* env_path);

// NAME -> first "<dir>/NAME.profile" that exists; an argument containing '/'
// is a path and is returned as is if it exists.
Result<std::string> find_profile(const std::string& name_or_path,
                                 const std::vector<std::string>& search_path);

// Parses one profile (following Include= and NAME.profile.d/*.conf drop-ins)
// and layers it onto `into`. Errors carry Step::Profile and read
// "file:line: message".
Status load_profile(Profile& into, const std::string& name_or_path,
                    const std::vector<std::string>& search_path);

// Parses a whole profile text as if read from `file`. Include= is resolved
// against `search_path` and the including file's directory.
Status load_profile_text(Profile& into, std::string_view text, const std::string& file,
                         const std::vector<std::string>& search_path);

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
