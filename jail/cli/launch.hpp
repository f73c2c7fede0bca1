// The launch as the CLI runs it, for `zjail COMMAND` and `zjail learn`:
// the context from the environment (systemd's sockets and notify socket,
// the caller), then plan, cgroup, jail and supervision.
#pragma once

#include <functional>
#include <string>

#include "log.hpp"
#include "verbose.hpp"
#include "options.hpp"
#include "zjail/denials.hpp"
#include "zjail/launch.hpp"
#include "zjail/plan.hpp"
#include "zjail/profile.hpp"
#include "zjail/result.hpp"

namespace zjail::cli {

// The jail's name: the last profile's, or the unit's when zjail is a
// service's command (DynamicUser= and /run/credentials/NAME then match).
// `name` gets the profile's, for the cgroup.
PlanContext plan_context(const Options& opt, std::string& name);

// What learn mode adds to a launch.
struct LaunchHooks {
  std::function<Status(Plan&)> planned;       // after build_plan
  std::function<NotificationSink*(const Plan&)> sink;  // takes the listener's notifications
  int stop_grace_ms = -1;                     // Jail::wait()
  uint64_t notify_messages = 0;               // out: what the payload sent to NOTIFY_SOCKET
};

// One line per denied call (rate-limited per call by the supervisor), with
// the call and the directive as journal fields.
DenialReporter denial_reporter(Log& log);

// Logs how the payload ended, where that is news: a signal.
void report_end(const ExitStatus& status, bool notified);

// Plans, starts and supervises the jail; logs what the payload's end was.
Result<ExitStatus> launch(const Profile& profile, const Options& opt, PlanContext& ctx, const std::string& name,
                          Log& log, Timings& timings, LaunchHooks* hooks = nullptr);

}  // namespace zjail::cli
