// Compiles a profile's SystemCall*= directives into classic BPF in the
// parent, so that the child only has to attach it (seccomp(2)) right before
// execve.
#pragma once

#include <linux/filter.h>

#include <cerrno>
#include <cstdint>
#include <string>
#include <vector>

#include "zjail/profile.hpp"
#include "zjail/result.hpp"

namespace zjail {

// One or two filters, attached in order; the kernel applies the strictest
// verdict of all of them.
struct BpfProgram {
  std::vector<std::vector<sock_filter>> filters;
  size_t instructions() const {
    size_t n = 0;
    for (const auto& f : filters) n += f.size();
    return n;
  }
};

// What directives outside SystemCall*= add to the filter, the way systemd
// implies them: ProtectClock= denies @clock, ProtectKernelModules= @module,
// and so on. The planner fills this in (each family's plan_*.cpp) before it
// compiles; the rules go into the always-present first filter, so they hold
// whatever SystemCallFilter= allows.
struct SeccompExtras {
  struct Deny {
    std::string name;  // a system call or a @group
    int err = EPERM;   // what the call fails with
    std::string why;   // the directive that asked: "ProtectClock="
  };
  std::vector<Deny> deny;

  // RestrictAddressFamilies=: socket() with a family outside the allow list
  // (or in the deny list) fails with EAFNOSUPPORT. An allow list of nothing
  // ("none") closes socket() altogether.
  struct Families {
    bool set = false;
    bool allow = false;     // allow list (else deny list)
    std::vector<int> list;  // AF_* numbers
  } families;
  // MemoryDenyWriteExecute= on a kernel without PR_SET_MDWE: mmap with
  // PROT_WRITE|PROT_EXEC, mprotect/pkey_mprotect with PROT_EXEC and shmat
  // with SHM_EXEC fail with EPERM.
  bool deny_write_execute = false;
  // RestrictRealtime=: sched_setscheduler to SCHED_FIFO, SCHED_RR or
  // anything above SCHED_IDLE fails with EPERM.
  bool restrict_realtime = false;
  // RestrictSUIDSGID=: chmod, mkdir, mknod, open and creat with a set-uid or
  // set-gid bit fail with EPERM; openat2 (whose mode BPF cannot see) with
  // ENOSYS, so that libc falls back to openat.
  bool restrict_suid_sgid = false;
  // LockPersonality=: personality() with any other value fails with EPERM.
  long lock_personality = -1;
  // SocketBind*= and SocketConnect*=, which Landlock enforces on TCP alone:
  // the other ways to a port-bound stream, socket(AF_INET/AF_INET6) with
  // IPPROTO_MPTCP, IPPROTO_SCTP or IPPROTO_SMC, or of type SOCK_SEQPACKET
  // (SCTP by default), fail with EPROTONOSUPPORT (as
  // on a kernel without them: programs fall back to TCP), and
  // socket(AF_SMC) with EAFNOSUPPORT.
  bool plain_tcp_only = false;
  // SocketBind*= that leaves no TCP port open: listen() fails with EACCES.
  // listen() on an unbound socket binds an ephemeral port without bind(),
  // which neither Landlock nor systemd's cgroup hook sees.
  bool deny_listen = false;
  // Without namespaces (plan_fallback.cpp), what the host's files and the
  // caller's own objects would otherwise be open to, Landlock having no
  // right for it: socket(AF_UNIX) of type SOCK_STREAM or SOCK_SEQPACKET
  // fails with EACCES (datagrams and socketpair() stay); changing a file's
  // mode, owner, extended attributes or times by path, and inotify and
  // fanotify marks, fail with EPERM (fchmod() and friends on an fd the
  // payload could open stay); so do the keyring calls (the caller's own
  // user and persistent keyrings).
  bool without_namespaces = false;

  // Everything here, as text, for the filter cache's key.
  std::string cache_key() const;
};

// The first filter is always present, whatever the profile says:
//  - only the native ABI: i386 (int $0x80) and x32 calls kill the process;
//  - TIOCSTI and TIOCLINUX ioctls, and the virtual console's KD* and VT_*
//    ioctls, fail with EPERM, matched on the low 32 bits so that high bits in
//    the request register cannot slip past;
//  - io_uring_setup/enter/register fail with EPERM unless RestrictIOUring=no;
//  - socket(AF_VSOCK) fails with EAFNOSUPPORT, unless on the host's network
//    RestrictAddressFamilies= allows it by name or RestrictIOUring=no;
//  - no namespaces: clone/unshare with any CLONE_NEW* flag and setns fail
//    with EPERM, and clone3 (whose flags BPF cannot see) fails with ENOSYS so
//    that libc falls back to clone;
//  - every call or group in `extras.deny` fails with its errno, and the
//    argument rules of `extras` hold (see SeccompExtras); argument rules on
//    hot calls (mmap, open) cost on every such call, so they are only there
//    when a directive asks for them.
// It has a default of "allow", so these rules hold even where the profile's
// own filter allows the call unconditionally. The second filter is the
// profile's SystemCallFilter=/SystemCallErrorNumber=/SystemCallLog=, present
// when any of them is set; allow lists always include execve, execveat, exit
// and exit_group, since the filter is installed before execve, and write,
// which reports a failed execve to zjail.
Result<BpfProgram> compile_seccomp(const Profile& p, const SeccompExtras& extras = {});

// The same filters as rules, before libseccomp compiles them: what
// compile_seccomp() compiles, and what `zjail export` writes for the
// engines that compile them again (export_seccomp.cpp).
struct SeccompArg {
  unsigned index = 0;  // the argument's position
  int op = 0;          // enum scmp_compare
  uint64_t a = 0, b = 0;  // libseccomp's datum_a, datum_b (MASKED_EQ: mask, value)
};
struct SeccompRule {
  int nr = 0;            // the native call number
  uint32_t action = 0;   // SCMP_ACT_*, the kernel's SECCOMP_RET_* value
  std::vector<SeccompArg> args;  // all must hold (none: the call, whatever its arguments)
};
struct SeccompRuleFilter {
  uint32_t default_action = 0;
  std::vector<SeccompRule> rules;  // in the order compile_seccomp() adds them
};
Result<std::vector<SeccompRuleFilter>> seccomp_rules(const Profile& p, const SeccompExtras& extras = {});
// One filter's rules as BPF, as compile_seccomp() compiles each.
Result<std::vector<sock_filter>> compile_seccomp_filter(const SeccompRuleFilter& f);

// A native call's name: libseccomp's, or the kernel's for the calls newer
// than this libseccomp that the rules name by number; "" if unknown.
std::string syscall_name(int nr);

}  // namespace zjail
