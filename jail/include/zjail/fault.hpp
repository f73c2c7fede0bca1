// Fault injection for tests: makes one named setup step fail with a chosen
// errno, so that every error path (and its cleanup) can be exercised on a real
// host. The checks exist only when ZJAIL_FAULT_INJECTION is defined, which
// only the test binaries (zjail-faultinject, the unit tests) are built with;
// the release zjail carries the Fault field but never reads it.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "zjail/result.hpp"

namespace zjail {

// Plain data, so that the child can test it without allocating.
struct Fault {
  Step step = Step::Count_;  // Count_: no fault
  int err = 0;
};

#ifdef ZJAIL_FAULT_INJECTION
inline constexpr bool kFaultInjection = true;
// "STEP[:ERRNO]", STEP as step_name() spells it; ERRNO is a number (default
// EIO). "" is no fault.
Result<Fault> parse_fault(std::string_view spec);
// "list" (or "list:launch"), "list:session" and "list:fallback": the names
// of the steps a fault can be injected at on a command's launch, on
// pam_zjail's login session or on a launch without namespaces, one a line, in the order they run (step.hpp). nullopt for any
// other spec. The fault-injection tests take their lists from here.
std::optional<std::string> fault_list(std::string_view spec);
#else
inline constexpr bool kFaultInjection = false;
#endif

// The errno to fail `step` with, or 0. Safe after clone (no allocation).
inline int fault_at([[maybe_unused]] const Fault& f, [[maybe_unused]] Step step) noexcept {
#ifdef ZJAIL_FAULT_INJECTION
  if (f.step == step) return f.err;
#endif
  return 0;
}

// Parent side: the injected error for `step`, as a Status.
inline Status inject_fault(const Fault& f, Step step) {
  if (int e = fault_at(f, step)) return make_error(step, e, "injected fault");
  return {};
}

}  // namespace zjail
