// Which returns of a classic BPF seccomp filter a native call can reach.
#pragma once

#include <linux/filter.h>

#include <vector>

namespace zjail {

// Whether `prog` can kill (SECCOMP_RET_KILL_PROCESS, KILL_THREAD, TRAP, an
// action the kernel does not know, which it treats as a kill, or a division
// by zero, which returns 0: KILL_THREAD) a call of the native ABI:
// seccomp_data.arch the native one, and the call number below the x32 bit
// or -1, which is all that gets past the merged filter's prologue
// (denials.cpp). The answer errs towards "can": every path is followed
// unless the arch or the call number rules it out.
bool may_kill_native(const std::vector<sock_filter>& prog);

}  // namespace zjail
