// Nice=, OOMScoreAdjust=, CPU and I/O scheduling and CPUAffinity=, set by
// the parent on a process of the jail (plan.hpp's ProcessProperty): the
// parent keeps the host privileges that some of them need, and the payload,
// forked from the jail's init, inherits them all.
#pragma once

#include <sys/types.h>

#include "zjail/plan.hpp"
#include "zjail/result.hpp"

namespace zjail {

// Applies `plan.security.process` to `pid`, in order; the first failure is a
// Step::ProcessProperties error naming the directive and its line.
Status apply_process_properties(const Plan& plan, pid_t pid);

}  // namespace zjail
