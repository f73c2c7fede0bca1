// Asking systemd which files make a loaded unit (unit_file.cpp's first
// choice for a unit given by name).
#pragma once

#include <string>
#include <vector>

#include "zjail/result.hpp"

namespace zjail {

// The unit's fragment and then its drop-ins, in the order systemd applies
// them, loading the unit if systemd has dropped it. An error when there is
// no system bus, no such unit, or it changed on disk since systemd read it
// (NeedDaemonReload): then the caller reads the unit directories itself.
Result<std::vector<std::string>> unit_files_from_bus(const std::string& name);

}  // namespace zjail
