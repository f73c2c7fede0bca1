// Learn mode's watch filter (learn_observe.hpp): the calls learning needs
// to see go to zjail's listener ahead of the profile's own merged filter.
// Hot calls (read, write, poll, futex, ...) are not watched, and what the
// filter does for them depends on the call number alone, so the kernel's
// action cache still answers them without running any BPF.
#include <linux/audit.h>
#include <seccomp.h>
#include <fcntl.h>
#include <sys/mman.h>

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <map>
#include <set>

#include "zjail/denials.hpp"
#include "zjail/learn_observe.hpp"
#include "zjail/syscalls.hpp"

namespace zjail::learn {
namespace {

constexpr uint32_t kMaxInsns = 4096;  // BPF_MAXINSNS

// Calls whose arguments learning reads (learn_observe.cpp decodes each).
constexpr const char* kArgumentCalls[] = {
    // paths
    "open", "openat", "openat2", "creat", "execve", "execveat", "stat", "lstat", "newfstatat", "statx",
    "access", "faccessat", "faccessat2", "readlink", "readlinkat", "mkdir", "mkdirat", "rmdir", "unlink",
    "unlinkat", "rename", "renameat", "renameat2", "link", "linkat", "symlink", "symlinkat", "chmod",
    "fchmodat", "fchmodat2", "chown", "lchown", "fchownat", "fchown", "fchmod", "truncate", "mknod",
    "mknodat", "chdir", "chroot", "utimensat", "inotify_add_watch", "statfs", "mount", "umount2",
    "pivot_root", "swapon", "swapoff", "acct",
    // sockets
    "socket", "socketpair", "bind", "connect", "listen", "accept", "accept4", "getsockname",
    // processes, identity, namespaces, limits
    "clone", "clone3", "fork", "vfork", "unshare", "setns", "setuid", "setgid", "setreuid", "setregid",
    "setresuid", "setresgid", "setgroups", "setfsuid", "setfsgid", "setrlimit", "prlimit64",
    // memory that becomes executable (PROT_EXEC only), io_uring (its ops are invisible)
    "mmap", "mprotect", "pkey_mprotect", "io_uring_setup",
};

// Calls watched only for some argument values: one bit of one argument (its
// low word) must be set, or clear. mmap and friends with PROT_EXEC only, so
// every other mapping stays off the listener; fstat() is newfstatat() and
// statx() with AT_EMPTY_PATH on an fd, which learning does not need.
struct ArgRule {
  const char* name;
  unsigned arg;
  uint32_t bit;
  bool set;
};
constexpr ArgRule kArgRules[] = {
    {"mmap", 2, PROT_EXEC, true},
    {"mprotect", 2, PROT_EXEC, true},
    {"pkey_mprotect", 2, PROT_EXEC, true},
    {"newfstatat", 3, AT_EMPTY_PATH, false},
    {"statx", 2, AT_EMPTY_PATH, false},
};

int native_nr(const std::string& name) {
  int nr = seccomp_syscall_resolve_name(name.c_str());
  return nr == __NR_SCMP_ERROR ? -1 : nr;
}

// A forward jump to a label resolved when the section is complete.
enum class Label { None, Pass };
struct Insn {
  sock_filter f;
  Label ja = Label::None;  // a BPF_JA whose offset is the label's
};

struct Section {
  std::vector<Insn> code;
  void add(sock_filter f) { code.push_back({f, Label::None}); }
  void pass() { code.push_back({BPF_JUMP(BPF_JMP | BPF_JA, 0, 0, 0), Label::Pass}); }
};

// A binary search over the sorted call numbers: JGE nodes, each leaf a
// short run of JEQs with their returns. `a` holds the call number.
void emit(const std::vector<int>& nrs, const std::map<int, ArgRule>& rules, size_t lo, size_t hi, Section& s) {
  constexpr size_t kLeaf = 4;
  if (hi - lo <= kLeaf) {
    for (size_t i = lo; i < hi; ++i) {
      auto nr = static_cast<uint32_t>(nrs[i]);
      auto rule = rules.find(nrs[i]);
      if (rule == rules.end()) {
        s.add(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, nr, 0, 1));
        s.add(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF));
        continue;
      }
      // The argument's low word on a little-endian ABI (every flag here
      // lives there); then `a` is reloaded for the next comparison.
      const ArgRule& r = rule->second;
      s.add(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, nr, 0, 5));
      s.add(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, static_cast<uint32_t>(offsetof(seccomp_data, args) + 8 * r.arg)));
      const __u8 to_notify = r.set ? 0 : 1, to_next = r.set ? 1 : 0;
      s.add(BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, r.bit, to_notify, to_next));
      s.add(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF));
      s.add(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)));
      s.pass();
    }
    s.pass();
    return;
  }
  size_t mid = lo + (hi - lo) / 2;
  Section left, right;
  emit(nrs, rules, lo, mid, left);
  emit(nrs, rules, mid, hi, right);
  // a >= nrs[mid]: skip the left half (one JA, whose offset may exceed 255).
  s.add(BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, static_cast<uint32_t>(nrs[mid]), 0, 1));
  s.add(BPF_JUMP(BPF_JMP | BPF_JA, static_cast<uint32_t>(left.code.size()), 0, 0));
  s.code.insert(s.code.end(), left.code.begin(), left.code.end());
  s.code.insert(s.code.end(), right.code.begin(), right.code.end());
}

}  // namespace

std::string native_profile() {
  // systemd's defaults for a unit that sets none of these are the host's;
  // zjail's defaults are a jail's. Each line gives back the host's.
  return "[Jail]\n"
         "RootDirectory=/\n"
         "PrivateNetwork=no\n"
         "PrivateTmp=no\n"
         "KeyringMode=private\n";
}

Result<std::vector<int>> watched_calls() {
  std::set<int> out;
  for (const char* name : kArgumentCalls)
    if (int nr = native_nr(name); nr >= 0) out.insert(nr);
  // Everything outside @system-service: rare by definition, and each a line
  // a learned profile must write.
  ZJAIL_TRY_ASSIGN(auto service, expand_syscalls({"@system-service"}));
  for (int nr = 0; nr < 1024; ++nr) {
    char* name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
    if (!name) continue;
    if (!service.count(name)) out.insert(nr);
    free(name);
  }
  return std::vector<int>(out.begin(), out.end());
}

std::set<std::string> watched_service_calls() {
  auto service = expand_syscalls({"@system-service"});
  auto always = expand_syscalls({"@default"});
  std::set<std::string> out;
  if (!service || !always) return out;
  // Watched for some arguments only (mmap with PROT_EXEC): unseen says
  // nothing about the call. @default stays in every allow list.
  auto partly = [](const char* name) {
    for (const ArgRule& r : kArgRules)
      if (std::string(r.name) == name) return true;
    return false;
  };
  for (const char* name : kArgumentCalls)
    if (service->count(name) && !always->count(name) && !partly(name)) out.insert(name);
  return out;
}

std::set<std::string> unwatched_calls() {
  auto service = expand_syscalls({"@system-service"});
  std::set<std::string> out;
  if (!service) return out;
  auto watched = watched_service_calls();
  for (const auto& name : *service)
    if (!watched.count(name)) out.insert(name);
  return out;
}

Status plan_watch(Plan& plan) {
  if (plan.seccomp_notify.empty())
    return make_error(Step::CompileSeccomp, EINVAL, "learn mode needs a launch with namespaces");
  ZJAIL_TRY_ASSIGN(auto nrs, watched_calls());
  std::map<int, ArgRule> rules;
  for (const ArgRule& r : kArgRules)
    if (int nr = native_nr(r.name); nr >= 0) rules.emplace(nr, r);
  Section s;
  s.add(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)));
  emit(nrs, rules, 0, nrs.size(), s);
  // The merged filter starts with its ABI check (notify_filter(): the arch,
  // and on x86-64 the x32 bit), which must stay first: a call of another
  // ABI has other numbers. Every filter after it loads what it needs
  // itself, so the watch section may leave anything in `a`.
  const auto& merged = plan.seccomp_notify;
  const auto prologue = abi_prologue();
  const size_t abi = prologue.size();
  if (merged.size() <= abi || !std::equal(prologue.begin(), prologue.end(), merged.begin(), [](const auto& x, const auto& y) {
        return x.code == y.code && x.jt == y.jt && x.jf == y.jf && x.k == y.k;
      }))
    return make_error(Step::CompileSeccomp, EPROTO, "the merged filter does not start with its ABI check");
  if (merged.size() + s.code.size() > kMaxInsns)
    return make_error(Step::CompileSeccomp, E2BIG,
                      "the learning filter would have " + std::to_string(merged.size() + s.code.size()) +
                          " instructions (at most " + std::to_string(kMaxInsns) + ")");
  std::vector<sock_filter> out(merged.begin(), merged.begin() + static_cast<std::ptrdiff_t>(abi));
  const size_t pass = out.size() + s.code.size();
  for (const Insn& i : s.code) {
    sock_filter f = i.f;
    if (i.ja == Label::Pass) f.k = static_cast<uint32_t>(pass - out.size() - 1);
    out.push_back(f);
  }
  out.insert(out.end(), merged.begin() + static_cast<std::ptrdiff_t>(abi), merged.end());
  plan.seccomp_notify = std::move(out);
  return {};
}

}  // namespace zjail::learn
