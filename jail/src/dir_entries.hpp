// The names in a directory given by an open descriptor (dir_entries.cpp).
#pragma once

#include <string>
#include <vector>

namespace zjail {

// The names in the directory open at `dir`, but "." and "..", into `out`:
// 0, or the errno. Read from the start through a duplicate, so that `dir`
// stays open (the duplicate shares its position, which nothing else uses);
// all names are read before the walkers act on any of them, each through
// `dir` with *at() calls that never follow a symlink.
int entry_names(int dir, std::vector<std::string>& out);

}  // namespace zjail
