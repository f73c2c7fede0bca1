// The privilege steps that both a payload (steps.cpp) and a login session's
// own process (session.cpp) take, written once. They read only the plan:
// no allocation, no exceptions, no logging. Each returns 0 or an errno and
// leaves in `detail` what failed (an index into Plan::rlimits, or a
// capability number), -1 when that says nothing more.
#pragma once

#include "zjail/plan.hpp"

namespace zjail::child {

using PrivilegeStep = int (*)(const Plan& plan, int& detail) noexcept;

// Limit*=, in plan order.
int apply_rlimits(const Plan& plan, int& detail) noexcept;

// Drops every capability outside plan.bounding from the bounding set and
// clears the ambient set: whatever runs afterwards, a setuid-root or
// file-capability binary included, can never gain more.
int drop_bounding_set(const Plan& plan, int& detail) noexcept;

int set_no_new_privs(const Plan& plan, int& detail) noexcept;

// Personality=, when set: the execution domain uname(2) reports.
int set_personality(const Plan& plan, int& detail) noexcept;

// MemoryDenyWriteExecute= on a kernel with PR_SET_MDWE: no mapping may be
// writable and executable, or become executable, in this process and all it
// runs. The flag cannot be cleared. (Older kernels get seccomp rules.)
int deny_write_execute(const Plan& plan, int& detail) noexcept;

// The plan's filters, in order: the always-on filter first, since the
// profile's own may not allow seccomp() itself.
int install_seccomp(const Plan& plan, int& detail) noexcept;

}  // namespace zjail::child
