// Internal to the profile loader: reading profile files and listing drop-in
// directories under a ProfileTrust, so that the parser never opens a path
// itself. Each file is checked through an O_PATH fd (owner, mode and type)
// and read from that fd, so what was checked is what is read.
#pragma once

#include <map>
#include <string>

#include "zjail/parser.hpp"
#include "zjail/result.hpp"

namespace zjail {

// The text of a profile, include or drop-in (`what` names it in errors:
// "profile", "drop-in", ...). /dev/null reads as empty (a masked drop-in);
// anything but a regular file is refused without being opened for reading.
Result<std::string> read_profile_file(const std::string& path, const char* what, const ProfileTrust& trust);

// Adds "NAME.conf" -> "DIR/NAME.conf" for the drop-ins in `dir` whose name
// is not in `chosen` yet. A missing `dir` holds none; one that `trust`
// refuses (or that cannot be read) is an error.
Status add_dropins(const std::string& dir, const ProfileTrust& trust, std::map<std::string, std::string>& chosen);

}  // namespace zjail
