// zjail's syscall group tables.
#include <gtest/gtest.h>

#include <set>

#include "zjail/syscalls.hpp"

namespace zjail {
namespace {

TEST(SyscallGroups, EveryMemberResolvesOrIsAGroup) {
  // Names libseccomp 2.5 may not know on every kernel; skipped, never fatal.
  const std::set<std::string> newer = {"futex_waitv", "set_mempolicy_home_node", "landlock_add_rule",
                                       "landlock_create_ruleset", "landlock_restrict_self",
                                       "quotactl_fd", "epoll_pwait2", "mount_setattr", "vm86", "vm86old"};
  for (const auto& g : syscall_groups()) {
    for (const char* m : g.members) {
      std::string name = m;
      if (name[0] == '@') {
        EXPECT_NE(find_syscall_group(name), nullptr) << g.name << " -> " << name;
      } else if (!newer.count(name)) {
        EXPECT_TRUE(syscall_known(name)) << g.name << " lists unknown " << name;
      }
    }
  }
}

TEST(SyscallGroups, SystemServiceLeavesOutTheDangerousCalls) {
  auto s = expand_syscalls({"@system-service"});
  ASSERT_TRUE(s) << s.error().message();
  EXPECT_TRUE(s->count("read") && s->count("openat") && s->count("socket") && s->count("execve"));
  for (const char* bad : {"mount", "umount2", "pivot_root", "bpf", "perf_event_open", "io_uring_setup",
                          "io_uring_enter", "userfaultfd", "open_by_handle_at", "kexec_load", "init_module",
                          "finit_module", "keyctl", "add_key", "request_key", "ptrace", "process_vm_readv",
                          "process_vm_writev", "unshare", "setns", "fsopen", "fsmount", "move_mount",
                          "open_tree", "swapon", "reboot", "settimeofday", "chroot", "iopl", "ioperm"})
    EXPECT_FALSE(s->count(bad)) << bad << " must not be in @system-service";
}

TEST(SyscallGroups, NestingAndKnown) {
  auto priv = expand_syscalls({"@privileged"});
  ASSERT_TRUE(priv);
  EXPECT_TRUE(priv->count("chown") && priv->count("setuid") && priv->count("reboot"));
  auto known = expand_syscalls({"@known"});
  ASSERT_TRUE(known);
  for (const auto& g : syscall_groups()) {
    auto members = expand_syscalls({g.name});
    ASSERT_TRUE(members) << g.name;
    for (const auto& m : *members) EXPECT_TRUE(known->count(m)) << m << " of " << g.name;
  }
  EXPECT_GT(known->size(), 300u);
}

TEST(SyscallGroups, UnknownNamesAreErrorsWithSuggestions) {
  auto r = expand_syscalls({"@sytem-service"});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().context.find("did you mean '@system-service'"), std::string::npos) << r.error().context;
  auto s = expand_syscalls({"opne"});
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().context.find("unknown system call 'opne'"), std::string::npos);
  EXPECT_FALSE(syscall_known("@basic-io"));
  EXPECT_TRUE(syscall_known("openat"));
}

}  // namespace
}  // namespace zjail
