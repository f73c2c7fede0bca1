// Giving back the memory a launch touched but a running jail never needs.
//
// zjail's supervisor and the jail's init live as long as the payload, yet
// almost all the code and stack they used to build the jail is dead after the
// payload's execve. Dropping their mappings of it takes it out of their RSS
// and PSS; whatever they still run faults back in.
#pragma once

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

}  // namespace zjail
