// Denial explanations, the pure parts: the filters merged into the one the
// payload attaches with a listener, the original filters run in user space
// to find the verdict the kernel would have reached, and the log line.
#include "zjail/denials.hpp"

#include <linux/audit.h>
#include <linux/sched.h>
#include <netinet/in.h>
#include <seccomp.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <termios.h>

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <memory>

#include "child/child.hpp"
#include "zjail/syscalls.hpp"
#include "zjail/text.hpp"
#include "bpf_reach.hpp"

namespace zjail {
namespace {

constexpr uint32_t kMaxInsns = 4096;  // BPF_MAXINSNS

int32_t precedence(uint32_t ret) { return static_cast<int32_t>(ret & SECCOMP_RET_ACTION_FULL); }

uint32_t action_of(uint32_t ret) { return ret & SECCOMP_RET_ACTION_FULL; }

std::string hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%#llx", static_cast<unsigned long long>(v));
  return buf;
}

template <class T, size_t N>
const char* lookup(const T (&table)[N], uint64_t value) {
  for (const auto& e : table)
    if (e.value == value) return e.name;
  return nullptr;
}

struct Named {
  uint64_t value;
  const char* name;
};

constexpr Named kFamilies[] = {
    {AF_UNIX, "AF_UNIX"},       {AF_INET, "AF_INET"},       {AF_INET6, "AF_INET6"},
    {AF_NETLINK, "AF_NETLINK"}, {AF_PACKET, "AF_PACKET"},   {AF_VSOCK, "AF_VSOCK"},
    {AF_BLUETOOTH, "AF_BLUETOOTH"}, {AF_ALG, "AF_ALG"},     {AF_KEY, "AF_KEY"},
    {AF_CAN, "AF_CAN"},         {AF_XDP, "AF_XDP"},         {43, "AF_SMC"},
};

constexpr Named kPtrace[] = {
    {PTRACE_TRACEME, "PTRACE_TRACEME"},     {PTRACE_PEEKTEXT, "PTRACE_PEEKTEXT"},
    {PTRACE_PEEKDATA, "PTRACE_PEEKDATA"},   {PTRACE_POKETEXT, "PTRACE_POKETEXT"},
    {PTRACE_POKEDATA, "PTRACE_POKEDATA"},   {PTRACE_CONT, "PTRACE_CONT"},
    {PTRACE_KILL, "PTRACE_KILL"},           {PTRACE_ATTACH, "PTRACE_ATTACH"},
    {PTRACE_DETACH, "PTRACE_DETACH"},       {PTRACE_SEIZE, "PTRACE_SEIZE"},
    {PTRACE_GETREGS, "PTRACE_GETREGS"},     {PTRACE_SETREGS, "PTRACE_SETREGS"},
};

constexpr Named kIoctls[] = {
    {TIOCSTI, "TIOCSTI"}, {TIOCLINUX, "TIOCLINUX"}, {TIOCSCTTY, "TIOCSCTTY"},
    {TIOCGWINSZ, "TIOCGWINSZ"}, {FIONREAD, "FIONREAD"}, {TCGETS, "TCGETS"},
};

constexpr Named kCloneFlags[] = {
    {CLONE_NEWNS, "CLONE_NEWNS"},   {CLONE_NEWUTS, "CLONE_NEWUTS"},       {CLONE_NEWIPC, "CLONE_NEWIPC"},
    {CLONE_NEWUSER, "CLONE_NEWUSER"}, {CLONE_NEWPID, "CLONE_NEWPID"},     {CLONE_NEWNET, "CLONE_NEWNET"},
    {CLONE_NEWCGROUP, "CLONE_NEWCGROUP"}, {CLONE_NEWTIME, "CLONE_NEWTIME"},
};

std::string ns_flags(uint64_t flags) {
  std::string out;
  for (const auto& f : kCloneFlags)
    if (flags & f.value) out += (out.empty() ? "" : "|") + std::string(f.name);
  return out.empty() ? hex(flags) : out;
}

// The call's name on its own ABI ("syscall 1234" where libseccomp has none).
std::string call_name(uint32_t arch, int nr) {
  std::unique_ptr<char, decltype(&free)> name(seccomp_syscall_resolve_num_arch(arch, nr), &free);
  return name ? name.get() : "syscall " + std::to_string(nr);
}

bool is_native(const seccomp_data& d) { return d.arch == seccomp_arch_native(); }

// The calls a name or @group stands for.
bool lists(const std::string& item, const std::string& call) {
  if (item == call) return true;
  if (item.empty() || item[0] != '@') return false;
  auto expanded = expand_syscalls({item});
  return expanded && expanded->count(call);
}

// The base filter's own rules (seccomp.cpp), by call and argument.
std::pair<std::string, std::string> built_in(const seccomp_data& d) {
  const std::string name = call_name(d.arch, d.nr);
  const uint32_t a0 = static_cast<uint32_t>(d.args[0]);
  auto is = [&](std::initializer_list<const char*> calls) {
    for (const char* c : calls)
      if (name == c) return true;
    return false;
  };
  if (!is_native(d) || (d.nr & 0x40000000))
    return {"SystemCallArchitectures=", "SystemCallArchitectures=native: only the native system call ABI"};
  if (is({"ioctl"}))
    return {"built-in", "built-in: terminal and console ioctls (TIOCSTI, TIOCLINUX, KD*, VT_*) are refused"};
  if (is({"clone", "clone3", "unshare", "setns"}))
    return {"built-in", "built-in: no namespaces from inside the jail"};
  if (is({"io_uring_setup", "io_uring_enter", "io_uring_register"})) return {"RestrictIOUring=", "RestrictIOUring="};
  if (is({"socket"})) {
    if (a0 == AF_VSOCK) return {"built-in", "built-in: AF_VSOCK is closed (PrivateNetwork=, RestrictAddressFamilies=)"};
    if (a0 == 43 || d.args[2] == 262 || d.args[2] == 256 || d.args[2] == IPPROTO_SCTP)
      return {"SocketBindAllow=", "SocketBind*=/SocketConnect*=: only plain TCP"};
    if (a0 == AF_UNIX) return {"built-in", "without namespaces: unix stream sockets are refused"};
    return {"RestrictAddressFamilies=", "RestrictAddressFamilies="};
  }
  if (is({"listen"})) return {"SocketBindAllow=", "SocketBind*=: no TCP port to listen on"};
  if (is({"mmap", "mprotect", "pkey_mprotect", "shmat"}))
    return {"MemoryDenyWriteExecute=", "MemoryDenyWriteExecute="};
  if (is({"sched_setscheduler"})) return {"RestrictRealtime=", "RestrictRealtime="};
  if (is({"personality"})) return {"LockPersonality=", "LockPersonality="};
  return {"RestrictSUIDSGID=", "RestrictSUIDSGID="};  // chmod, mkdir, mknod, open, creat, openat2
}

// "RestrictRealtime=" -> "RestrictRealtime= (web.profile:4)", where known.
std::string with_origin(const DenialSource& s, const std::string& directive, const std::string& text) {
  auto it = s.origins.find(directive);
  return it == s.origins.end() ? text : text + " (" + it->second + ")";
}

}  // namespace

std::map<std::string, std::string> base_filter_origins(const Profile& p) {
  std::map<std::string, std::string> out;
  auto setting = [&](const char* name, const auto& s) {
    if (s.is_set() && !s.origin.file.empty()) out[name] = s.origin.str();
  };
  auto items = [&](const char* name, const auto& list) {
    if (!list.empty() && !list.back().origin.file.empty()) out[name] = list.back().origin.str();
  };
  const Security& s = p.security;
  setting("ProtectClock=", s.protect_clock);
  setting("ProtectHostname=", s.protect_hostname);
  setting("MemoryDenyWriteExecute=", s.memory_deny_write_execute);
  setting("RestrictRealtime=", s.restrict_realtime);
  setting("RestrictSUIDSGID=", s.restrict_suid_sgid);
  setting("LockPersonality=", s.lock_personality);
  setting("RestrictIOUring=", p.restrict_io_uring);
  if (s.address_families_none.is_set()) setting("RestrictAddressFamilies=", s.address_families_none);
  else items("RestrictAddressFamilies=", s.restrict_address_families.names);
  items("SystemCallArchitectures=", p.system_call_architectures);
  // The socket rules: the last line of any of the four.
  for (const auto* list : {&s.socket_bind_allow, &s.socket_bind_deny, &s.socket_connect_allow, &s.socket_connect_deny})
    items("SocketBindAllow=", *list);
  return out;
}

bool Verdict::kill() const {
  uint32_t a = action_of(action);
  return a == SECCOMP_RET_KILL_PROCESS || a == SECCOMP_RET_KILL_THREAD || a == SECCOMP_RET_TRAP;
}

bool Verdict::denied() const {
  uint32_t a = action_of(action);
  return a != SECCOMP_RET_ALLOW && a != SECCOMP_RET_LOG;
}

int Verdict::err() const {
  if (action_of(action) != SECCOMP_RET_ERRNO) return ENOSYS;
  int e = static_cast<int>(action & SECCOMP_RET_DATA);
  return e > 4095 ? 4095 : e;
}

uint32_t run_bpf(const std::vector<sock_filter>& prog, const seccomp_data& data) {
  uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = {};
  const auto* bytes = reinterpret_cast<const unsigned char*>(&data);
  for (size_t pc = 0; pc < prog.size(); ++pc) {
    const sock_filter& i = prog[pc];
    uint32_t src = BPF_SRC(i.code) == BPF_X ? x : i.k;
    switch (BPF_CLASS(i.code)) {
      case BPF_LD:
      case BPF_LDX: {
        uint32_t v = 0;
        switch (BPF_MODE(i.code)) {
          case BPF_ABS:
            if (BPF_SIZE(i.code) != BPF_W || i.k % 4 != 0 || i.k + 4 > sizeof data) return SECCOMP_RET_KILL_PROCESS;
            std::memcpy(&v, bytes + i.k, 4);
            break;
          case BPF_IMM: v = i.k; break;
          case BPF_MEM:
            if (i.k >= BPF_MEMWORDS) return SECCOMP_RET_KILL_PROCESS;
            v = mem[i.k];
            break;
          case BPF_LEN: v = sizeof data; break;
          default: return SECCOMP_RET_KILL_PROCESS;
        }
        (BPF_CLASS(i.code) == BPF_LD ? a : x) = v;
        break;
      }
      case BPF_ST:
      case BPF_STX:
        if (i.k >= BPF_MEMWORDS) return SECCOMP_RET_KILL_PROCESS;
        mem[i.k] = BPF_CLASS(i.code) == BPF_ST ? a : x;
        break;
      case BPF_ALU:
        switch (BPF_OP(i.code)) {
          case BPF_ADD: a += src; break;
          case BPF_SUB: a -= src; break;
          case BPF_MUL: a *= src; break;
          case BPF_DIV: if (src == 0) return SECCOMP_RET_KILL_PROCESS; a /= src; break;
          case BPF_MOD: if (src == 0) return SECCOMP_RET_KILL_PROCESS; a %= src; break;
          case BPF_AND: a &= src; break;
          case BPF_OR: a |= src; break;
          case BPF_XOR: a ^= src; break;
          case BPF_LSH: a = src < 32 ? a << src : 0; break;
          case BPF_RSH: a = src < 32 ? a >> src : 0; break;
          case BPF_NEG: a = 0 - a; break;
          default: return SECCOMP_RET_KILL_PROCESS;
        }
        break;
      case BPF_JMP: {
        if (BPF_OP(i.code) == BPF_JA) {
          pc += i.k;
          break;
        }
        bool taken;
        switch (BPF_OP(i.code)) {
          case BPF_JEQ: taken = a == src; break;
          case BPF_JGT: taken = a > src; break;
          case BPF_JGE: taken = a >= src; break;
          case BPF_JSET: taken = (a & src) != 0; break;
          default: return SECCOMP_RET_KILL_PROCESS;
        }
        pc += taken ? i.jt : i.jf;
        break;
      }
      case BPF_RET: return BPF_RVAL(i.code) == BPF_A ? a : i.k;
      case BPF_MISC:
        if (BPF_MISCOP(i.code) == BPF_TAX) x = a;
        else a = x;
        break;
      default: return SECCOMP_RET_KILL_PROCESS;
    }
  }
  return SECCOMP_RET_KILL_PROCESS;  // ran off the end: never a valid program
}

Verdict evaluate(const std::vector<std::vector<sock_filter>>& filters, const seccomp_data& data) {
  Verdict v;
  for (int f = static_cast<int>(filters.size()) - 1; f >= 0; --f) {
    uint32_t r = run_bpf(filters[f], data);
    if (precedence(r) < precedence(v.action)) {
      v.action = r;
      v.filter = f;
    }
  }
  return v;
}

std::vector<sock_filter> abi_prologue() {
  // The ABI check first, killing as the kernel's own action does (SIGSYS,
  // for the caller's parent to see): every filter checks it too, but only
  // native calls should reach the listener.
  return {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, seccomp_arch_native(), 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
#if defined(__x86_64__)
      // x32 calls: the native arch with the X32_SYSCALL_BIT. Call number
      // -1 is not one: the filters (libseccomp) pass it on to their rules,
      // and the kernel answers it with ENOSYS.
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 0, 2),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0xffffffff, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
#endif
  };
}

Result<std::vector<sock_filter>> notify_filter(const std::vector<std::vector<sock_filter>>& filters,
                                               bool kills_in_kernel) {
  std::vector<sock_filter> out = abi_prologue();
  const std::vector<sock_filter> marker = {
      // The payload's marker call (launch.cpp's handshake) reaches zjail
      // whatever the filters would do with setns: zjail answers a later one
      // as they would.
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_setns, 0, 5),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, args[1])),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, static_cast<uint32_t>(child::kListenerMarker), 0, 3),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, args[1]) + 4),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, static_cast<uint32_t>(child::kListenerMarker >> 32), 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
  };
  out.insert(out.end(), marker.begin(), marker.end());
  static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the marker check reads args[1]'s low word first");
  // Layout: the prologue; every filter in order (the main pass); with kills
  // in the kernel, a second copy of those of filters 1..n-1 that can kill
  // (the kill check); one return USER_NOTIF. A denial that is not a kill
  // cannot be answered yet: a later filter may kill for the same call, and
  // a kill outranks every errno. So it goes on to the kill check of the
  // later filters, which returns their kill or, past the last, USER_NOTIF.
  const size_t n = filters.size();
  std::vector<uint32_t> main_start(n + 1), check_start(n + 1);
  size_t pc = out.size();
  for (size_t f = 0; f < n; ++f, pc += filters[f - 1].size()) main_start[f] = static_cast<uint32_t>(pc);
  main_start[n] = static_cast<uint32_t>(pc);
  // Only a filter that can kill a native call needs a kill check; past one
  // that cannot (libseccomp's own kills are for other ABIs, which the
  // prologue has killed already), the check goes straight on to the next.
  // For a typical profile this halves what the kernel JIT-compiles.
  std::vector<bool> checked(n, false);
  for (size_t f = 1; f < n && kills_in_kernel; ++f) {
    checked[f] = may_kill_native(filters[f]);
    if (!checked[f]) continue;
    check_start[f] = static_cast<uint32_t>(pc);
    pc += filters[f].size();
  }
  const size_t total = pc + 1;
  for (size_t f = n - 1; f >= 1 && n > 1 && kills_in_kernel; --f)
    if (!checked[f]) check_start[f] = f + 1 < n ? check_start[f + 1] : static_cast<uint32_t>(total - 1);
  if (n == 0 || total > kMaxInsns)
    return make_error(Step::CompileSeccomp, E2BIG,
                      "the merged seccomp filter would have " + std::to_string(total) + " instructions (at most " +
                          std::to_string(kMaxInsns) + ")");
  out.reserve(total);
  auto jump_to = [&out](uint32_t target) {
    auto here = static_cast<uint32_t>(out.size());
    out.push_back(BPF_JUMP(BPF_JMP | BPF_JA, target - here - 1, 0, 0));
  };
  // Where a denial that is not a kill goes from filter f.
  auto on_denial = [&](size_t f) {
    if (f + 1 == n || !kills_in_kernel) out.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF));
    else jump_to(check_start[f + 1]);
  };
  for (int pass = 0; pass < (kills_in_kernel ? 2 : 1); ++pass) {
    for (size_t f = pass; f < n; ++f) {
      if (pass == 1 && !checked[f]) continue;
      const bool last = f + 1 == n;
      for (const sock_filter& i : filters[f]) {
        if (BPF_CLASS(i.code) != BPF_RET) {
          out.push_back(i);
          continue;
        }
        if (BPF_RVAL(i.code) != BPF_K)
          return make_error(Step::CompileSeccomp, EINVAL, "a seccomp filter returns its accumulator");
        const uint32_t a = action_of(i.k);
        if (a == SECCOMP_RET_ALLOW || a == SECCOMP_RET_LOG) {
          if (a == SECCOMP_RET_LOG && !last)
            return make_error(Step::CompileSeccomp, EINVAL, "SECCOMP_RET_LOG outside the last filter");
          if (pass == 1) on_denial(f);  // the kill check: allowed here, denied before
          else if (last) out.push_back(i);
          else jump_to(main_start[f + 1]);
        } else if (kills_in_kernel && (a == SECCOMP_RET_KILL_THREAD || a == SECCOMP_RET_TRAP)) {
          // zjail's filters kill whole processes; any other kill would need
          // the precedence between kills worked out here.
          return make_error(Step::CompileSeccomp, EINVAL, "a seccomp filter kills a thread or traps");
        } else if (kills_in_kernel && a == SECCOMP_RET_KILL_PROCESS) {
          out.push_back(i);  // the kernel's own kill: nothing can outlive it
        } else {
          on_denial(f);
        }
      }
    }
  }
  out.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF));
  if (out.size() != total) return make_error(Step::CompileSeccomp, EPROTO, "the merged seccomp filter's layout");
  return out;
}

int path_argument(int nr) {
  switch (nr) {
    case SYS_open: case SYS_creat: case SYS_execve: case SYS_mkdir: case SYS_chmod: case SYS_unlink:
    case SYS_mknod: case SYS_truncate: case SYS_chroot: case SYS_rmdir: case SYS_acct: case SYS_swapon:
    case SYS_pivot_root:
      return 0;
    case SYS_openat: case SYS_openat2: case SYS_execveat: case SYS_mkdirat: case SYS_fchmodat:
    case SYS_unlinkat: case SYS_mknodat: case SYS_mount:
      return 1;
    default: return -1;
  }
}

std::string shown(std::string_view text) { return escape_unprintable(text, "\"\\"); }

std::string describe_call(const seccomp_data& d, const std::string& path) {
  std::string name = call_name(d.arch, d.nr);
  if (!is_native(d)) return name + " (" + hex(d.arch) + " ABI)";
  std::string arg;
  if (path_argument(d.nr) >= 0) {
    if (!path.empty()) arg = "\"" + shown(path) + "\"";
  } else if (d.nr == SYS_ioctl) {
    const char* r = lookup(kIoctls, static_cast<uint32_t>(d.args[1]));
    arg = r ? r : hex(static_cast<uint32_t>(d.args[1]));
  } else if (d.nr == SYS_socket) {
    const char* f = lookup(kFamilies, static_cast<uint32_t>(d.args[0]));
    arg = f ? f : "family " + std::to_string(static_cast<uint32_t>(d.args[0]));
  } else if (d.nr == SYS_ptrace) {
    const char* r = lookup(kPtrace, d.args[0]);
    arg = r ? r : hex(d.args[0]);
  } else if (d.nr == SYS_clone || d.nr == SYS_unshare) {
    arg = ns_flags(d.args[0]);
  } else if (d.nr == SYS_personality) {
    arg = hex(d.args[0]);
  }
  return name + "(" + arg + ")";
}

std::pair<std::string, std::string> explain(const std::vector<DenialSource>& sources, int filter, int nr,
                                            const seccomp_data& data) {
  if (filter < 0 || static_cast<size_t>(filter) >= sources.size()) return {"", "zjail's seccomp filter"};
  const DenialSource& s = sources[filter];
  std::string call = call_name(data.arch, nr);
  if (s.directive.empty()) {  // the base filter: the extras' denials first (seccomp.cpp adds them first)
    if (is_native(data))
      for (const auto& [item, why] : s.names)
        if (lists(item, call)) {
          std::string directive = why.substr(0, why.find(' '));
          return {directive, with_origin(s, directive, why)};
        }
    auto [directive, text] = built_in(data);
    return {directive, with_origin(s, directive, text)};
  }
  if (s.allow_list) {
    // A later "~" line took it out; else every line that made the list.
    for (const auto& [item, origin] : s.removed)
      if (lists(item, call)) return {s.directive, "in " + s.directive + "~" + item + " (" + origin + ")"};
    std::vector<std::string> lines;
    for (const auto& n : s.names)
      if (std::find(lines.begin(), lines.end(), n.second) == lines.end()) lines.push_back(n.second);
    std::string where;
    for (const auto& l : lines) where += (where.empty() ? " (" : ", ") + l;
    return {s.directive, "not in " + s.directive + where + (where.empty() ? "" : ")")};
  }
  for (const auto& [item, origin] : s.names)
    if (lists(item, call) && s.directive != "SystemCallFilter=") {
      // A filter implied by a directive (plan_sandbox.cpp): `origin` names it.
      return {origin.substr(0, origin.find('=') + 1), origin + " denies " + item};
    } else if (lists(item, call)) {
      std::string listed = s.directive + "~" + item;
      return {s.directive, "in " + listed + (origin.empty() || origin == s.directive ? "" : " (" + origin + ")")};
    }
  return {s.directive, s.directive};
}

std::string Denial::line() const {
  std::string who = "pid " + (pid > 0 ? std::to_string(pid) : std::string("?")) + " (" + comm + ")";
  if (repeats > 0)
    return "denied " + name + " " + std::to_string(repeats) + " more time" + (repeats == 1 ? "" : "s") +
           " (not shown): " + directive;
  return "denied " + call + " in " + who + (kill ? ", killing it" : "") + ": " + directive;
}

}  // namespace zjail

namespace zjail {

Status plan_denials(Plan& plan, bool explain_kills) {
  ZJAIL_TRY_ASSIGN(auto merged, notify_filter(plan.seccomp, !explain_kills));
  seccomp_data d{};
  d.arch = seccomp_arch_native();
  d.nr = SYS_write;
  uint32_t a = action_of(run_bpf(merged, d));
  if (a != SECCOMP_RET_ALLOW && a != SECCOMP_RET_LOG)
    return make_error(Step::CompileSeccomp, EPERM,
                      "the filter denies write, which the payload needs to hand zjail its seccomp listener");
  d.nr = SYS_setns;
  d.args[0] = ~0ULL;  // -1
  d.args[1] = child::kListenerMarker;
  if (run_bpf(merged, d) != SECCOMP_RET_USER_NOTIF)
    return make_error(Step::CompileSeccomp, EPROTO, "the merged filter does not route setns to the listener");
  plan.seccomp_notify = std::move(merged);
  return {};
}

}  // namespace zjail
