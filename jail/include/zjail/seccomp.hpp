// Compiles a profile's SystemCall*= directives into a classic BPF program in
// the parent, so that the child only has to attach it (seccomp(2)) right
// before execve.
#pragma once

#include <linux/filter.h>

#include <vector>

#include "zjail/profile.hpp"
#include "zjail/result.hpp"

namespace zjail {

struct BpfProgram {
  std::vector<sock_filter> insns;
};

// Always present in the result, whatever the profile says:
//  - TIOCSTI and TIOCLINUX ioctls fail with EPERM, matched with a 32-bit
//    masked compare so that high bits in the request cannot bypass the rule;
//  - non-native architectures (i386 via int $0x80, x32) are refused when
//    SystemCallArchitectures=native, which is the default.
// Allow lists always also permit what the payload needs to be exec'd
// (execve, execveat) since the filter is installed before execve.
Result<BpfProgram> compile_seccomp(const Profile& p);

}  // namespace zjail
