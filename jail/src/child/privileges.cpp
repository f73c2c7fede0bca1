#include "privileges.hpp"

#include <linux/seccomp.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

namespace zjail::child {

int apply_rlimits(const Plan& plan, int& detail) noexcept {
  for (size_t i = 0; i < plan.rlimits.size(); ++i) {
    const RlimitPlan& l = plan.rlimits[i];
    detail = static_cast<int>(i);
    rlimit r{l.soft, l.hard};
    if (setrlimit(static_cast<__rlimit_resource>(l.resource), &r) < 0) return errno;
  }
  detail = -1;
  return 0;
}

int drop_bounding_set(const Plan& plan, int& detail) noexcept {
  for (int c = 0; c <= plan.last_cap && c < 64; ++c) {
    if (plan.bounding & (1ULL << c)) continue;
    detail = c;
    if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL) return errno;
  }
  detail = -1;
  return prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 ? errno : 0;
}

int set_no_new_privs(const Plan&, int&) noexcept {
  return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ? errno : 0;
}

int set_personality(const Plan& plan, int&) noexcept {
  if (plan.security.personality < 0) return 0;
  return personality(static_cast<unsigned long>(plan.security.personality)) < 0 ? errno : 0;
}

int deny_write_execute(const Plan& plan, int&) noexcept {
  if (!plan.security.deny_write_execute) return 0;
  constexpr int kSetMdwe = 65;                    // PR_SET_MDWE (Linux 6.3)
  constexpr unsigned long kRefuseExecGain = 1;    // PR_MDWE_REFUSE_EXEC_GAIN
  return prctl(kSetMdwe, kRefuseExecGain, 0, 0, 0) < 0 ? errno : 0;
}

int install_seccomp(const Plan& plan, int&) noexcept {
  if (plan.seccomp.empty()) return EINVAL;  // a plan always carries a filter
  for (const auto& insns : plan.seccomp) {
    sock_fprog prog{static_cast<unsigned short>(insns.size()), const_cast<sock_filter*>(insns.data())};
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0) return errno;
  }
  return 0;
}

}  // namespace zjail::child
