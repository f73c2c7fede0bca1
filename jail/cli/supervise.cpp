#include "supervise.hpp"

#include <sys/prctl.h>

#include <cstdio>
#include <cstdlib>

#include "launch.hpp"
#include "log.hpp"
#include "zjail/handover.hpp"
#include "zjail/supervise_env.hpp"

namespace zjail::cli {

int resume_supervision(const char* spec, char** argv) {
  std::string value = spec;
  // Nothing this process starts may take it for a handover of its own.
  unsetenv(kSuperviseEnv);
  // An exec by fd names the process after the fd's number.
  prctl(PR_SET_NAME, "zjail", 0, 0, 0);
  // The reporter needs the log, and the log the carried verbosity.
  Log* log = nullptr;
  auto resumed = resume_jail(value.c_str(), argv, [&log](const Denial& d) { denial_reporter(*log)(d); });
  if (!resumed) {
    // The fds named may not be the jail's: nothing is touched but this line.
    std::fprintf(stderr, "zjail: %s\n", resumed.error().message().c_str());
    return exit_code(resumed.error().step, resumed.error().err);
  }
  Log journal = Log::setup(resumed->ticket.verbosity, std::getenv("JOURNAL_STREAM"));
  log = &journal;
  if (!resumed->ticket.profile_name.empty()) journal.set_field("ZJAIL_PROFILE", resumed->ticket.profile_name);
  if (journal.to_journal()) {
    std::string unit = current_unit();
    if (!unit.empty()) journal.set_field("ZJAIL_UNIT", unit);
  }
  auto status = resumed->jail.wait(&resumed->signals, &resumed->relay, /*shed_when_idle=*/true, -1,
                                   resumed->ticket.ready() ? &resumed->ticket : nullptr);
  JailCgroup::remove_leaf(resumed->ticket.cgroup_leaf);
  if (!status) {
    journal.set_field("ZJAIL_STEP", step_name(status.error().step));
    spdlog::error("{}", status.error().message());
    return exit_code(status.error().step, status.error().err);
  }
  report_end(*status, resumed->ticket.notified);
  return status->shell_code();
}

}  // namespace zjail::cli
