// Per-syscall cost of zjail's seccomp filters, run by bench/run.
//
// Each variant is attached in a fresh forked child, which then times a loop
// of system calls; a filter cannot be removed, so every round is a new
// process. Variants:
//   none       no filter
//   allow-all  one "return ALLOW" instruction: the kernel's floor for any
//              filter (the seccomp entry work without running any BPF)
//   zjail      zjail's filters for base-service: its always-on base filter
//              and the profile's @system-service allow list, as compiled BPF
//   zjail-notify  the same merged into the one filter the jail's payload
//              attaches with a listener (denials.hpp): what a jail costs
//   libseccomp the same rules built with libseccomp's defaults and attached
//              with seccomp_load(), which generates the BPF in the process
//   hardened   zjail plus every argument rule a directive can add:
//              RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6,
//              MemoryDenyWriteExecute= as the rules of kernels without
//              PR_SET_MDWE, RestrictSUIDSGID=, RestrictRealtime=,
//              LockPersonality=: the worst case per call
//   mdwe-prctl zjail plus PR_SET_MDWE, MemoryDenyWriteExecute= where the
//              kernel has it (skipped where it does not)
//   landlock   zjail plus the Landlock rules of base-service's jail (skipped
//              on a kernel without Landlock path rules)
// Calls: getppid() and read(fd, buf, 0) are plain allowed calls, answered by
// the kernel's per-syscall action cache; ioctl(FIONREAD) has argument rules
// in the base filter, so every call runs the BPF and shows its layout.
// mmap (+munmap), mprotect, openat (+close) and socket (+close) are what
// the hardened rules look at.
//
// Output: one tab-separated line per variant and call, "variant call
// ns_per_call", then "variant attach attach_us" lines. Rounds are
// interleaved so that a burst of load on a shared machine hits every
// variant alike, and the fastest round is reported (noise only ever adds).
//
//   zjail_seccomp_bench PROFILE_DIR [CALLS_PER_ROUND [ROUNDS]]
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <iterator>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "zjail/denials.hpp"
#include "zjail/parser.hpp"
#include "zjail/plan.hpp"
#include "zjail/seccomp.hpp"
#include "zjail/syscalls.hpp"

namespace {

enum class Call { Getppid, Read0, Ioctl, Mmap, Mprotect, Openat, Socket };
constexpr Call kCalls[] = {Call::Getppid, Call::Read0, Call::Ioctl, Call::Mmap,
                           Call::Mprotect, Call::Openat, Call::Socket};
constexpr int kNumCalls = static_cast<int>(std::size(kCalls));
const char* call_name(Call c) {
  switch (c) {
    case Call::Getppid: return "getppid";
    case Call::Read0: return "read0";
    case Call::Ioctl: return "ioctl";
    case Call::Mmap: return "mmap";
    case Call::Mprotect: return "mprotect";
    case Call::Openat: return "openat";
    case Call::Socket: return "socket";
  }
  return "?";
}

double now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

// The libseccomp variant: the rules zjail's filters hold, written with the
// plain API and left at libseccomp's default (linear) layout.
bool load_libseccomp(const std::set<std::string>& allowed) {
  scmp_filter_ctx base = seccomp_init(SCMP_ACT_ALLOW);
  scmp_filter_ctx own = seccomp_init(SCMP_ACT_ERRNO(EPERM));
  if (!base || !own) return false;
  seccomp_attr_set(base, SCMP_FLTATR_CTL_NNP, 0);
  seccomp_attr_set(own, SCMP_FLTATR_CTL_NNP, 0);
  const uint32_t eperm = SCMP_ACT_ERRNO(EPERM);
  int rc = 0;
  for (unsigned long req : {static_cast<unsigned long>(TIOCSTI), static_cast<unsigned long>(TIOCLINUX)})
    rc |= seccomp_rule_add(base, eperm, SCMP_SYS(ioctl), 1, SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffULL, req));
  for (uint64_t flag : {CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID,
                        CLONE_NEWNET, CLONE_NEWCGROUP, static_cast<int>(CLONE_NEWTIME)}) {
    rc |= seccomp_rule_add(base, eperm, SCMP_SYS(clone), 1, SCMP_A0(SCMP_CMP_MASKED_EQ, flag, flag));
    rc |= seccomp_rule_add(base, eperm, SCMP_SYS(unshare), 1, SCMP_A0(SCMP_CMP_MASKED_EQ, flag, flag));
  }
  rc |= seccomp_rule_add(base, eperm, SCMP_SYS(setns), 0);
  rc |= seccomp_rule_add(base, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
  for (const auto& name : allowed) {
    int nr = seccomp_syscall_resolve_name(name.c_str());
    if (nr != __NR_SCMP_ERROR) rc |= seccomp_rule_add(own, SCMP_ACT_ALLOW, nr, 0);
  }
  if (rc == 0) rc = seccomp_load(base);
  if (rc == 0) rc = seccomp_load(own);
  seccomp_release(base);
  seccomp_release(own);
  return rc == 0;
}

// With `listener`, as the jail's payload attaches the merged filter: the
// listener fd is left open (nothing here is denied, so nothing waits on it).
bool attach(const std::vector<sock_filter>& insns, bool listener = false) {
  sock_fprog prog{static_cast<unsigned short>(insns.size()), const_cast<sock_filter*>(insns.data())};
  return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, listener ? SECCOMP_FILTER_FLAG_NEW_LISTENER : 0, &prog) >= 0;
}

struct Variant {
  std::string name;
  std::vector<std::vector<sock_filter>> filters;  // attached in order
  bool libseccomp = false;
  bool mdwe = false;  // PR_SET_MDWE before the filters
  const zjail::LandlockPlan* landlock = nullptr;  // applied before the filters
  bool listener = false;  // the filters (one) attached with a listener
};

struct Sample {
  double attach_us = 0;
  double ns[kNumCalls] = {};
};

// One call of each kind; the mappings and descriptors it makes are undone.
void one_call(Call c, int fd, int pipe_fd, void* page, long i) {
  char buf[1];
  switch (c) {
    case Call::Getppid: syscall(SYS_getppid); break;
    case Call::Read0: (void)!read(fd, buf, 0); break;
    case Call::Ioctl: {
      int n;
      ioctl(pipe_fd, FIONREAD, &n);
      break;
    }
    case Call::Mmap: {
      void* m = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (m != MAP_FAILED) munmap(m, 4096);
      break;
    }
    case Call::Mprotect: mprotect(page, 4096, (i & 1) ? PROT_READ : PROT_READ | PROT_WRITE); break;
    case Call::Openat: {
      int f = openat(AT_FDCWD, "/dev/null", O_RDONLY | O_CLOEXEC);
      if (f >= 0) close(f);
      break;
    }
    case Call::Socket: {
      int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
      if (s >= 0) close(s);
      break;
    }
  }
}

// One round of one variant, in a child: attach, then time each call.
bool run_round(const Variant& v, const std::set<std::string>& allowed, long calls, Sample& out) {
  int pp[2];
  if (pipe(pp) < 0) return false;
  pid_t pid = fork();
  if (pid < 0) return false;
  if (pid == 0) {
    close(pp[0]);
    Sample s;
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) _exit(1);
    double t0 = now_ns();
    bool ok = true;
    if (v.landlock) ok = zjail::apply_landlock(*v.landlock, -1) == 0;
    if (v.libseccomp) ok = ok && load_libseccomp(allowed);
    for (const auto& f : v.filters) ok = ok && attach(f, v.listener);
    s.attach_us = (now_ns() - t0) / 1e3;
    if (!ok) _exit(2);
    if (v.mdwe && prctl(65 /* PR_SET_MDWE */, 1 /* PR_MDWE_REFUSE_EXEC_GAIN */, 0, 0, 0) < 0) _exit(4);
    int fd = open("/dev/zero", O_RDONLY | O_CLOEXEC);
    int pfd[2];
    void* page = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (fd < 0 || pipe(pfd) < 0 || page == MAP_FAILED) _exit(3);
    for (Call c : kCalls) {
      // The calls that make things are slower: a tenth as many of them.
      long n = c <= Call::Ioctl ? calls : calls / 10;
      double t = now_ns();
      for (long i = 0; i < n; ++i) one_call(c, fd, pfd[0], page, i);
      s.ns[static_cast<int>(c)] = (now_ns() - t) / static_cast<double>(n);
    }
    (void)!write(pp[1], &s, sizeof s);
    _exit(0);
  }
  close(pp[1]);
  bool ok = read(pp[0], &out, sizeof out) == sizeof out;
  close(pp[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  return ok && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s PROFILE_DIR [CALLS_PER_ROUND [ROUNDS]]\n", argv[0]);
    return 2;
  }
  long calls = argc > 2 ? std::atol(argv[2]) : 2000000;
  int rounds = argc > 3 ? std::atoi(argv[3]) : 5;

  zjail::Profile profile;
  auto st = zjail::load_profile(profile, "base-service", {argv[1]}, zjail::ProfileTrust::any());
  if (!st) {
    std::fprintf(stderr, "base-service: %s\n", st.error().message().c_str());
    return 1;
  }
  auto bpf = zjail::compile_seccomp(profile);
  if (!bpf) {
    std::fprintf(stderr, "compile: %s\n", bpf.error().message().c_str());
    return 1;
  }
  // The libseccomp variant allows what zjail's profile filter allows: the
  // same directive values, expanded by zjail's own group tables.
  std::vector<std::string> allow;
  for (const auto& item : profile.system_call_filter.names) allow.push_back(item.value);
  auto allowed = zjail::expand_syscalls(allow);
  if (!allowed) return 1;
  // The parser has already subtracted base-service's "~@privileged
  // @resources" from the list; zjail adds these to every allow list.
  for (const char* needed : {"execve", "execveat", "exit", "exit_group", "write"}) allowed->insert(needed);

  zjail::SeccompExtras hard;
  hard.families = {true, true, {AF_UNIX, AF_INET, AF_INET6}};
  hard.deny_write_execute = true;
  hard.restrict_suid_sgid = true;
  hard.restrict_realtime = true;
  hard.lock_personality = PER_LINUX;
  auto hardened = zjail::compile_seccomp(profile, hard);
  if (!hardened) {
    std::fprintf(stderr, "compile: %s\n", hardened.error().message().c_str());
    return 1;
  }

  std::vector<Variant> variants;
  variants.push_back({"none", {}, false, false, nullptr});
  variants.push_back({"allow-all", {{BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)}}, false, false, nullptr});
  variants.push_back({"zjail", bpf->filters, false, false, nullptr});
  // What the jail's payload attaches: zjail's filters merged into one whose
  // denials go to zjail's listener (denials.hpp).
  auto merged = zjail::notify_filter(bpf->filters);
  if (!merged) {
    std::fprintf(stderr, "%s\n", merged.error().message().c_str());
    return 1;
  }
  variants.push_back({"zjail-notify", {*merged}, false, false, nullptr, true});
  variants.push_back({"libseccomp", {}, true, false, nullptr});
  variants.push_back({"hardened", hardened->filters, false, false, nullptr});
  if (prctl(66 /* PR_GET_MDWE */, 0, 0, 0, 0) >= 0) variants.push_back({"mdwe-prctl", bpf->filters, false, true, nullptr});
  // zjail plus the Landlock rules base-service's jail lays on itself (its
  // mount table as path rules, the scopes), on the host's same paths:
  // openat() of /dev/null is judged by them, and attaching them is the
  // ruleset's cost.
  zjail::PlanContext ctx;
  ctx.invoker_uid = getuid();
  ctx.invoker_gid = getgid();
  auto jail = zjail::check_plan(profile, ctx);
  if (!jail) {
    std::fprintf(stderr, "plan: %s\n", jail.error().message().c_str());
    return 1;
  }
  if (jail->landlock.handled_fs) variants.push_back({"landlock", bpf->filters, false, false, &jail->landlock});

  std::map<std::string, Sample> best;
  std::map<std::string, std::vector<double>> attach_us;
  for (int r = 0; r < rounds; ++r) {
    for (const auto& v : variants) {
      Sample s;
      if (!run_round(v, *allowed, calls, s)) {
        std::fprintf(stderr, "variant %s failed\n", v.name.c_str());
        return 1;
      }
      auto [it, fresh] = best.emplace(v.name, s);
      if (!fresh)
        for (int c = 0; c < kNumCalls; ++c) it->second.ns[c] = std::min(it->second.ns[c], s.ns[c]);
      attach_us[v.name].push_back(s.attach_us);
    }
  }
  for (const auto& v : variants)
    for (Call c : kCalls)
      std::printf("%s\t%s\t%.1f\n", v.name.c_str(), call_name(c), best[v.name].ns[static_cast<int>(c)]);
  for (const auto& v : variants) {
    auto& a = attach_us[v.name];
    std::sort(a.begin(), a.end());
    std::printf("%s\tattach_us\t%.1f\n", v.name.c_str(), a[a.size() / 2]);
  }
  for (const auto* prog : {&*bpf, &*hardened}) {
    size_t insns = 0;
    for (const auto& f : prog->filters) insns += f.size();
    std::printf("%s\tinstructions\t%zu\n", prog == &*bpf ? "zjail" : "hardened", insns);
  }
  return 0;
}
