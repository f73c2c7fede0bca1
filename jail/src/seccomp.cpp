#include "zjail/seccomp.hpp"

#include <linux/sched.h>
#include <seccomp.h>
#include <sys/ioctl.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <set>

#include "zjail/fd.hpp"
#include "zjail/syscalls.hpp"

namespace zjail {
namespace {

struct CtxRelease {
  void operator()(void* ctx) const noexcept { seccomp_release(ctx); }
};
using UniqueCtx = std::unique_ptr<void, CtxRelease>;

Error fail(int rc, const std::string& what) { return make_error(Step::CompileSeccomp, -rc, what); }

Result<UniqueCtx> new_ctx(uint32_t default_action) {
  UniqueCtx ctx(seccomp_init(default_action));
  if (!ctx) return make_error(Step::CompileSeccomp, ENOMEM, "seccomp_init");
  // The child sets no_new_privs itself, as its own step.
  int rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_NNP, 0);
  if (rc == 0) rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
  // A binary search on the syscall number instead of libseccomp's default
  // linear chain: attaching the filter costs less (the kernel runs it for
  // every syscall number to fill its action cache), and so does every call
  // the cache cannot answer, such as the argument-checked ioctl.
  if (rc == 0) rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_OPTIMIZE, 2);
  if (rc != 0) return fail(rc, "seccomp_attr_set");
  return ctx;
}

Result<std::vector<sock_filter>> export_bpf(void* ctx) {
  UniqueFd fd(memfd_create("zjail-bpf", MFD_CLOEXEC));
  if (!fd) return make_error(Step::CompileSeccomp, errno, "memfd_create");
  int rc = seccomp_export_bpf(ctx, fd.get());
  if (rc != 0) return fail(rc, "seccomp_export_bpf");
  off_t size = lseek(fd.get(), 0, SEEK_END);
  if (size <= 0 || size % sizeof(sock_filter) != 0)
    return make_error(Step::CompileSeccomp, EINVAL, "exported BPF has a bad size");
  std::vector<sock_filter> insns(static_cast<size_t>(size) / sizeof(sock_filter));
  if (pread(fd.get(), insns.data(), static_cast<size_t>(size), 0) != size)
    return make_error(Step::CompileSeccomp, errno, "reading the exported BPF");
  return insns;
}

// The extras' denials, added first: a call denied outright needs none of the
// argument rules below, and libseccomp would refuse to mix the two.
Result<std::set<int>> add_denials(SeccompRuleFilter& f, const SeccompExtras& extras) {
  std::set<int> denied;
  for (const auto& d : extras.deny) {
    ZJAIL_TRY_ASSIGN(auto names, expand_syscalls({d.name}));
    for (const auto& name : names) {
      int nr = seccomp_syscall_resolve_name(name.c_str());
      if (nr == __NR_SCMP_ERROR || !denied.insert(nr).second) continue;
      f.rules.push_back({nr, SCMP_ACT_ERRNO(static_cast<uint16_t>(d.err)), {}});
    }
  }
  return denied;
}

// The blocked values of a 32-bit argument below 64, as few masked compares
// as cover them: each a run of 2^k values starting at a multiple of 2^k.
std::vector<std::pair<uint64_t, uint64_t>> masked_blocks(const std::set<int>& blocked) {
  std::vector<std::pair<uint64_t, uint64_t>> out;  // {mask, value}
  for (int v = 0; v < 64;) {
    if (!blocked.count(v)) {
      ++v;
      continue;
    }
    int size = 1;
    while (v % (size * 2) == 0 && v + size * 2 <= 64) {
      bool all = true;
      for (int i = v + size; i < v + size * 2 && all; ++i) all = blocked.count(i) > 0;
      if (!all) break;
      size *= 2;
    }
    out.push_back({0xffffffffULL & ~static_cast<uint64_t>(size - 1), static_cast<uint64_t>(v)});
    v += size;
  }
  return out;
}

// The rules of one filter as they are added. A call that an extra already
// denies outright takes no further rule: it would add nothing, and
// libseccomp refuses to mix the two.
struct RuleList {
  SeccompRuleFilter& f;
  std::set<int> denied;
  template <class... Args>
  void operator()(uint32_t action, int nr, Args... args) {
    if (!denied.count(nr)) f.rules.push_back({nr, action, {SeccompArg{args.arg, args.op, args.datum_a, args.datum_b}...}});
  }
};

// socket(): RestrictAddressFamilies= and AF_VSOCK (vsock_open()). The
// kernel reads the family as an int, so the compares look at the low 32
// bits only, or AF_PACKET | 1<<32 would slip past a deny list; an allow list
// also refuses anything above 63 (no family is that high), high bits included.
// Returns the families refused.
std::set<int> add_family_rules(RuleList& rule, const SeccompExtras::Families& f, bool vsock_open) {
  const uint32_t eafnosupport = SCMP_ACT_ERRNO(EAFNOSUPPORT);
  std::set<int> blocked;
  if (f.set && f.allow && f.list.empty()) {
    for (int af = 0; af < 64; ++af) blocked.insert(af);
    rule(eafnosupport, SCMP_SYS(socket));
    return blocked;
  }
  if (f.set && f.allow) {
    for (int af = 0; af < 64; ++af) blocked.insert(af);
    for (int af : f.list) blocked.erase(af);
  } else if (f.set) {
    blocked.insert(f.list.begin(), f.list.end());
  }
  if (!vsock_open) blocked.insert(AF_VSOCK);
  for (const auto& [mask, value] : masked_blocks(blocked))
    rule(eafnosupport, SCMP_SYS(socket), SCMP_A0(SCMP_CMP_MASKED_EQ, mask, value));
  if (f.set && f.allow) rule(eafnosupport, SCMP_SYS(socket), SCMP_A0(SCMP_CMP_GT, 63, 0));
  return blocked;
}

// Calls newer than Debian 12's libseccomp, by the number every
// architecture gives them (the kernel's unified table, 5.1 onwards).
struct NewCall {
  const char* name;
  int nr;
};
constexpr NewCall kNewCalls[] = {{"openat2", 437},       {"fchmodat2", 452},     {"setxattrat", 463},
                                 {"removexattrat", 466}, {"file_setattr", 469}};

// A call by name, or by its number in kNewCalls where this libseccomp
// predates it.
int resolve(const char* name) {
  int nr = seccomp_syscall_resolve_name(name);
  if (nr != __NR_SCMP_ERROR) return nr;
  for (const auto& c : kNewCalls)
    if (std::string_view(c.name) == name) return c.nr;
  return nr;
}

// SeccompExtras::without_namespaces.
void add_host_object_rules(RuleList& rule) {
  // The type's low 4 bits are the kind; SOCK_NONBLOCK and SOCK_CLOEXEC sit above.
  for (uint64_t kind : {SOCK_STREAM, SOCK_SEQPACKET})
    rule(SCMP_ACT_ERRNO(EACCES), SCMP_SYS(socket), SCMP_A0(SCMP_CMP_MASKED_EQ, 0xffffffffULL, AF_UNIX),
         SCMP_A1(SCMP_CMP_MASKED_EQ, 0xfULL, kind));
  const int calls[] = {
      SCMP_SYS(chmod),        SCMP_SYS(fchmodat),        resolve("fchmodat2"),
      SCMP_SYS(chown),        SCMP_SYS(lchown),          SCMP_SYS(fchownat),
      SCMP_SYS(setxattr),     SCMP_SYS(lsetxattr),       SCMP_SYS(removexattr),
      SCMP_SYS(lremovexattr), resolve("setxattrat"),     resolve("removexattrat"),
      SCMP_SYS(utime),        SCMP_SYS(utimes),          SCMP_SYS(futimesat),
      resolve("file_setattr"), SCMP_SYS(inotify_add_watch),
      SCMP_SYS(fanotify_mark), SCMP_SYS(add_key),        SCMP_SYS(request_key),
      SCMP_SYS(keyctl),
  };
  for (int nr : calls) rule(SCMP_ACT_ERRNO(EPERM), nr);
  // futimens() is utimensat(fd, NULL): an fd the payload opened (an O_PATH
  // one is refused there). With a path, even "", it fails.
  rule(SCMP_ACT_ERRNO(EPERM), SCMP_SYS(utimensat), SCMP_A1(SCMP_CMP_NE, 0, 0));
}

// The argument rules of SeccompExtras, each as systemd states its directive.
// `blocked`: the families the family rules refuse, which the socket rules
// below leave to them, as the kernel checks the family first; no two
// socket rules then match one call with different errnos.
void add_argument_rules(RuleList& rule, const SeccompExtras& e, const std::set<int>& blocked) {
  const uint32_t eperm = SCMP_ACT_ERRNO(EPERM);
  if (e.deny_write_execute) {
    constexpr uint64_t wx = PROT_WRITE | PROT_EXEC;
    rule(eperm, SCMP_SYS(mmap), SCMP_A2(SCMP_CMP_MASKED_EQ, wx, wx));
    for (int nr : {SCMP_SYS(mprotect), SCMP_SYS(pkey_mprotect)})
      rule(eperm, nr, SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, PROT_EXEC));
    rule(eperm, SCMP_SYS(shmat), SCMP_A2(SCMP_CMP_MASKED_EQ, SHM_EXEC, SHM_EXEC));
  }
  if (e.restrict_realtime) {
    // SCHED_OTHER (0), SCHED_BATCH (3) and SCHED_IDLE (5) stay; the policy
    // is an int, and any high bits make the value larger than 5.
    for (uint64_t policy : {SCHED_FIFO, SCHED_RR, 4})
      rule(eperm, SCMP_SYS(sched_setscheduler), SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffULL, policy));
    rule(eperm, SCMP_SYS(sched_setscheduler), SCMP_A1(SCMP_CMP_GT, SCHED_IDLE, 0));
  }
  if (e.restrict_suid_sgid) {
    // The mode's argument position, per call.
    const std::pair<int, unsigned> mode_at[] = {
        {SCMP_SYS(chmod), 1},  {SCMP_SYS(fchmod), 1},  {SCMP_SYS(fchmodat), 2}, {resolve("fchmodat2"), 2},
        {SCMP_SYS(mkdir), 1},  {SCMP_SYS(mkdirat), 2}, {SCMP_SYS(mknod), 1},    {SCMP_SYS(mknodat), 2},
        {SCMP_SYS(creat), 1},
    };
    for (uint64_t bit : {S_ISUID, S_ISGID}) {
      for (const auto& [nr, arg] : mode_at) rule(eperm, nr, scmp_arg_cmp{arg, SCMP_CMP_MASKED_EQ, bit, bit});
      // open/openat only take a mode when they create (O_CREAT, O_TMPFILE).
      for (uint64_t creating : {static_cast<uint64_t>(O_CREAT), static_cast<uint64_t>(O_TMPFILE)}) {
        rule(eperm, SCMP_SYS(open), SCMP_A1(SCMP_CMP_MASKED_EQ, creating, creating),
             SCMP_A2(SCMP_CMP_MASKED_EQ, bit, bit));
        rule(eperm, SCMP_SYS(openat), SCMP_A2(SCMP_CMP_MASKED_EQ, creating, creating),
             SCMP_A3(SCMP_CMP_MASKED_EQ, bit, bit));
      }
    }
    rule(SCMP_ACT_ERRNO(ENOSYS), resolve("openat2"));
  }
  if (e.plain_tcp_only) {
    // The kernel reads family and protocol as ints: only the low 32 bits
    // count. Under a family allow list, a family with high bits set is
    // refused already (above 63), so the family is compared whole.
    constexpr uint64_t low = 0xffffffffULL;
    constexpr uint64_t kMptcp = 262, kSmc = 256, kAfSmc = 43;
    bool whole = e.families.set && e.families.allow;
    for (uint64_t family : {AF_INET, AF_INET6}) {
      if (blocked.count(static_cast<int>(family))) continue;
      auto af = whole ? SCMP_A0(SCMP_CMP_EQ, family, 0) : SCMP_A0(SCMP_CMP_MASKED_EQ, low, family);
      for (uint64_t protocol : {kMptcp, static_cast<uint64_t>(IPPROTO_SCTP), kSmc})
        rule(SCMP_ACT_ERRNO(EPROTONOSUPPORT), SCMP_SYS(socket), af, SCMP_A2(SCMP_CMP_MASKED_EQ, low, protocol));
      // SOCK_SEQPACKET with protocol 0 is SCTP where the module is loaded.
      rule(SCMP_ACT_ERRNO(EPROTONOSUPPORT), SCMP_SYS(socket), af, SCMP_A1(SCMP_CMP_MASKED_EQ, 0xfULL, SOCK_SEQPACKET));
    }
    if (!blocked.count(static_cast<int>(kAfSmc)))
      rule(SCMP_ACT_ERRNO(EAFNOSUPPORT), SCMP_SYS(socket), SCMP_A0(SCMP_CMP_MASKED_EQ, low, kAfSmc));
  }
  if (e.deny_listen) rule(SCMP_ACT_ERRNO(EACCES), SCMP_SYS(listen));
  if (e.without_namespaces) add_host_object_rules(rule);
  if (e.lock_personality >= 0)
    rule(eperm, SCMP_SYS(personality), SCMP_A0(SCMP_CMP_NE, static_cast<uint64_t>(e.lock_personality), 0));
}

Result<SeccompRuleFilter> base_filter(bool private_network, bool restrict_io_uring, const SeccompExtras& extras) {
  SeccompRuleFilter out{SCMP_ACT_ALLOW, {}};
  ZJAIL_TRY_ASSIGN(auto denied, add_denials(out, extras));
  RuleList rule{out, std::move(denied)};
  const uint32_t eperm = SCMP_ACT_ERRNO(EPERM);
  for (unsigned long req : {static_cast<unsigned long>(TIOCSTI), static_cast<unsigned long>(TIOCLINUX)})
    rule(eperm, SCMP_SYS(ioctl), SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffULL, req));
  // The virtual console's keyboard, font and VT switching ioctls (KD*, 'K',
  // and VT_*, 'V', plain numbers without direction bits): with a kept
  // console terminal, KDSKBSENT would put keystrokes into the console and
  // KDSKBMODE would take the keyboard from its owner. Video4Linux's 'V'
  // requests carry direction bits and are not matched.
  for (unsigned long type : {0x4b00UL, 0x5600UL})
    rule(eperm, SCMP_SYS(ioctl), SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffff00ULL, type));
  constexpr uint64_t kNsFlags[] = {CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER,
                                   CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWCGROUP, CLONE_NEWTIME};
  for (uint64_t flag : kNsFlags) {
    rule(eperm, SCMP_SYS(clone), SCMP_A0(SCMP_CMP_MASKED_EQ, flag, flag));
    rule(eperm, SCMP_SYS(unshare), SCMP_A0(SCMP_CMP_MASKED_EQ, flag, flag));
  }
  rule(eperm, SCMP_SYS(setns));
  rule(SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3));
  // vsock ignores network namespaces: a jail could listen on and connect to
  // the VM's vsock address space (the hypervisor, guest agents) whatever its
  // network. No service needs it unasked: the family exists only on the
  // host's network, for a profile whose RestrictAddressFamilies= allow list
  // names it, or that reopens io_uring (which makes sockets of any family).
  const auto& f = extras.families;
  bool listed = f.set && f.allow && std::find(f.list.begin(), f.list.end(), AF_VSOCK) != f.list.end();
  bool vsock_open = !private_network && (listed || !restrict_io_uring);
  auto blocked = add_family_rules(rule, f, vsock_open);
  // io_uring performs opens, sockets (IORING_OP_SOCKET, any family) and
  // more without the system calls that the rules here and the profile's
  // filter see; it stays closed unless the profile reopens it.
  if (restrict_io_uring)
    for (int nr : {SCMP_SYS(io_uring_setup), SCMP_SYS(io_uring_enter), SCMP_SYS(io_uring_register)}) rule(eperm, nr);
  add_argument_rules(rule, extras, blocked);
  return out;
}

uint32_t deny_action(const Profile& p) {
  SyscallAction a = p.system_call_error_number.value.value_or(SyscallAction{});
  switch (a.kind) {
    case SyscallAction::Errno: return SCMP_ACT_ERRNO(static_cast<uint16_t>(a.err));
    case SyscallAction::Log: return SCMP_ACT_LOG;
    case SyscallAction::Kill: break;
  }
  return SCMP_ACT_KILL_PROCESS;
}

Result<std::set<std::string>> expand(const NameList& l) {
  std::vector<std::string> names;
  for (const auto& item : l.names) names.push_back(item.value);
  return expand_syscalls(names);
}

Result<SeccompRuleFilter> profile_filter(const Profile& p) {
  const NameList& filter = p.system_call_filter;
  bool allow_list = filter.is_set && !filter.invert;
  uint32_t deny = deny_action(p);
  ZJAIL_TRY_ASSIGN(auto listed, expand(filter));
  ZJAIL_TRY_ASSIGN(auto logged, expand(p.system_call_log));
  if (p.system_call_log.invert) {
    ZJAIL_TRY_ASSIGN(auto all, expand_syscalls({"@known"}));
    std::set<std::string> rest;
    for (const auto& s : all)
      if (!logged.count(s)) rest.insert(s);
    logged = std::move(rest);
  }

  SeccompRuleFilter out{allow_list ? deny : SCMP_ACT_ALLOW, {}};
  if (allow_list)
    for (const char* needed : {"execve", "execveat", "exit", "exit_group", "write"}) listed.insert(needed);
  for (const auto& name : listed) {
    int nr = seccomp_syscall_resolve_name(name.c_str());
    if (nr == __NR_SCMP_ERROR) continue;
    uint32_t action = allow_list ? (logged.count(name) ? SCMP_ACT_LOG : SCMP_ACT_ALLOW) : deny;
    if (action == out.default_action) continue;  // the default already says so
    out.rules.push_back({nr, action, {}});
  }
  if (!allow_list) {
    for (const auto& name : logged) {
      if (listed.count(name)) continue;
      int nr = seccomp_syscall_resolve_name(name.c_str());
      if (nr == __NR_SCMP_ERROR) continue;
      out.rules.push_back({nr, SCMP_ACT_LOG, {}});
    }
  }
  return out;
}


}  // namespace

std::string SeccompExtras::cache_key() const {
  std::string key;
  for (const auto& d : deny) key += "deny " + d.name + " " + std::to_string(d.err) + "\n";
  if (families.set) {
    key += families.allow ? "families allow" : "families deny";
    for (int af : families.list) key += " " + std::to_string(af);
    key += "\n";
  }
  key += "wx " + std::to_string(deny_write_execute) + " rt " + std::to_string(restrict_realtime) + " suid " +
         std::to_string(restrict_suid_sgid) + " persona " + std::to_string(lock_personality) + " tcp " +
         std::to_string(plain_tcp_only) + " listen " + std::to_string(deny_listen) + " nons " +
         std::to_string(without_namespaces) + "\n";
  return key;
}

Result<std::vector<SeccompRuleFilter>> seccomp_rules(const Profile& p, const SeccompExtras& extras) {
  std::vector<SeccompRuleFilter> out;
  ZJAIL_TRY_ASSIGN(auto base, base_filter(p.private_network.value.value_or(true),
                                          p.restrict_io_uring.value.value_or(true), extras));
  out.push_back(std::move(base));
  bool profile_rules = p.system_call_filter.is_set || p.system_call_log.is_set ||
                       p.system_call_error_number.is_set();
  if (profile_rules) {
    ZJAIL_TRY_ASSIGN(auto own, profile_filter(p));
    out.push_back(std::move(own));
  }
  return out;
}

Result<std::vector<sock_filter>> compile_seccomp_filter(const SeccompRuleFilter& f) {
  ZJAIL_TRY_ASSIGN(auto ctx, new_ctx(f.default_action));
  std::vector<scmp_arg_cmp> args;
  for (const auto& r : f.rules) {
    args.clear();
    for (const auto& a : r.args) args.push_back({a.index, static_cast<scmp_compare>(a.op), a.a, a.b});
    int rc = seccomp_rule_add_array(ctx.get(), r.action, r.nr, static_cast<unsigned>(args.size()), args.data());
    if (rc != 0) return fail(rc, "rule for " + syscall_name(r.nr));
  }
  return export_bpf(ctx.get());
}

Result<BpfProgram> compile_seccomp(const Profile& p, const SeccompExtras& extras) {
  ZJAIL_TRY_ASSIGN(auto rules, seccomp_rules(p, extras));
  BpfProgram prog;
  for (const auto& f : rules) {
    ZJAIL_TRY_ASSIGN(auto bpf, compile_seccomp_filter(f));
    prog.filters.push_back(std::move(bpf));
  }
  return prog;
}

std::string syscall_name(int nr) {
  for (const auto& c : kNewCalls)
    if (c.nr == nr) return c.name;
  char* name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
  std::string out = name ? name : "";
  free(name);
  return out;
}

}  // namespace zjail
