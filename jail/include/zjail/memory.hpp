// Giving back the memory a launch touched but a running jail never needs.
//
// zjail's supervisor and the jail's init live as long as the payload, yet
// almost all the code and stack they used to build the jail is dead after the
// payload's execve. Dropping their mappings of it takes it out of their RSS
// and PSS; whatever they still run faults back in.
#pragma once

#include <cstdint>

#include "zjail/fd.hpp"

namespace zjail {

// How long a jail must run without events before its supervisor and init
// shed: a short-lived payload is gone by then and never pays for the pages
// that fault back in.
inline constexpr int kShedAfterMs = 100;

// Drops this process's mappings of the read-only and executable segments of
// every loaded object (clean page-cache pages, which dropping cannot change)
// and of the main stack below the caller (dead). Only dl_iterate_phdr and
// madvise: safe in a cloned child that has not exec'd. Returns 0 or the first
// errno; nothing depends on it succeeding.
int shed_startup_memory() noexcept;

// The small init (jail/init/) that the jail's init execs once the jail has
// been idle for kShedAfterMs: the same loop in a few pages instead of a copy
// of zjail. Looked for next to zjail's own binary, then in zjail's libexec
// directory; used only if root owns it and only root may change it. Without
// it the init stays as it is and only sheds (shed_startup_memory): an invalid
// fd, never an error.
//
// Not for a payload that may hold CAP_SYS_PTRACE (small_init_allowed): the
// cloned init's memory belongs to the host's user namespace, but an exec'd
// one's belongs to the jail's, where that capability reaches it.
UniqueFd open_small_init();

// Whether a jail whose payload has this capability bounding set may hand its
// init over to the small init.
bool small_init_allowed(uint64_t bounding) noexcept;

// The environment variable that tells the small init its payload and status
// pipe: "<pid>,<fd>".
inline constexpr const char kSmallInitEnv[] = "ZJAIL_INIT";

}  // namespace zjail
