// The small supervisor (handover.hpp): zjail's role on the host once a jail
// has been idle, in zjail-init's few pages.
#pragma once

namespace zjail::small {

// Serves the jail described by `spec` (kSuperviseEnv's value); never returns.
[[noreturn]] void supervise(const char* spec, char** argv, char** envp);

}  // namespace zjail::small
