// Files the CLI writes for the admin: learned profiles, drop-ins, exports.
#pragma once

#include <string>

#include "zjail/result.hpp"

namespace zjail::cli {

// The file must be writable where it goes: checked before a long run, so
// that it does not end in a directory it cannot write.
Status check_destination(const std::string& path, const char* option);

// Temp file in the same directory, then rename: a reader sees the old file
// or the whole new one, never a part. A path that is not a regular file (a
// symlink, a FIFO, a terminal, a character device) is written through.
Status write_atomically(const std::string& path, const std::string& text);

}  // namespace zjail::cli
