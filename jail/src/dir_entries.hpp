// The names in a directory given by an open descriptor (dir_entries.cpp).
#pragma once

#include <string>
#include <vector>

namespace zjail {

// The names in the directory open at `dir`, but "." and "..", into `out`:
// 0, or the errno. Read through a descriptor of their own, so that `dir`
// stays open and its position untouched; the walkers that use it act on
// each name through `dir` with *at() calls that never follow a symlink.
int entry_names(int dir, std::vector<std::string>& out);

}  // namespace zjail
