// `zjail syscall-groups [GROUP...]`: what each of zjail's system call groups
// holds, as systemd-analyze syscall-filter shows systemd's.
#pragma once

#include <string>
#include <vector>

#include "zjail/result.hpp"

namespace zjail::cli {

// The groups named (all of them when none is), as text for stdout; an
// unknown name is an error with a did-you-mean.
Result<std::string> describe_syscall_groups(const std::vector<std::string>& names);

}  // namespace zjail::cli
