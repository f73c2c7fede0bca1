#include "process_properties.hpp"

#include <fcntl.h>
#include <linux/ioprio.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "zjail/fd.hpp"

namespace zjail {
namespace {

int set_oom_score_adj(pid_t pid, int value) {
  std::string path = "/proc/" + std::to_string(pid) + "/oom_score_adj";
  UniqueFd fd(open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) return errno;
  std::string v = std::to_string(value);
  return write(fd.get(), v.data(), v.size()) == static_cast<ssize_t>(v.size()) ? 0 : errno;
}

int apply(const ProcessProperty& prop, pid_t pid) {
  using Kind = ProcessProperty::Kind;
  switch (prop.kind) {
    case Kind::Nice:
      return setpriority(PRIO_PROCESS, static_cast<id_t>(pid), prop.value) < 0 ? errno : 0;
    case Kind::OomScoreAdjust:
      return set_oom_score_adj(pid, prop.value);
    case Kind::Scheduler: {
      sched_param param{};
      param.sched_priority = prop.priority;
      return sched_setscheduler(pid, prop.value, &param) < 0 ? errno : 0;
    }
    case Kind::IoPriority:
      return syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, pid, prop.value) < 0 ? errno : 0;
    case Kind::CpuAffinity: {
      cpu_set_t set;
      CPU_ZERO(&set);
      std::memcpy(&set, prop.mask.data(), std::min(prop.mask.size(), sizeof set));
      return sched_setaffinity(pid, sizeof set, &set) < 0 ? errno : 0;
    }
  }
  return EINVAL;
}

}  // namespace

Status apply_process_properties(const Plan& plan, pid_t pid) {
  for (const auto& prop : plan.security.process)
    if (int err = apply(prop, pid)) return make_error(Step::ProcessProperties, err, prop.origin);
  // A Limit*= whose hard limit is above zjail's own: only the host's
  // CAP_SYS_RESOURCE can raise it, as systemd does for a unit, and the jail's
  // user namespace has none. The init gets the higher hard limit here; the
  // payload sets its limits from there (step rlimits). Without the
  // privilege, that step reports what could not be set.
  for (const auto& l : plan.rlimits) {
    auto res = static_cast<__rlimit_resource>(l.resource);
    rlimit now{};
    if (prlimit(pid, res, nullptr, &now) < 0) return make_error(Step::ProcessProperties, errno, l.origin);
    if (now.rlim_max == RLIM_INFINITY || (l.hard != RLIM_INFINITY && l.hard <= now.rlim_max)) continue;
    rlimit raised{std::min(now.rlim_cur, l.hard), l.hard};
    if (prlimit(pid, res, &raised, nullptr) < 0 && errno != EPERM)
      return make_error(Step::ProcessProperties, errno, l.origin);
  }
  return {};
}

}  // namespace zjail
