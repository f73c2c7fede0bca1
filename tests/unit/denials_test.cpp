// Denial explanations (denials.hpp): the merged filter denies exactly what
// the original filters deny, the user-space evaluation reaches the kernel's
// verdict, the explanation names the directive, and the supervisor answers a
// real notification from a forked child with the profile's errno.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <sys/mman.h>
#include <seccomp.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <filesystem>
#include <random>

#include "../../jail/src/child/child.hpp"
#include "seccomp_harness.hpp"
#include "zjail/parser.hpp"
#include "zjail/plan.hpp"
#include "zjail/denials.hpp"
#include "zjail/parser.hpp"
#include "zjail/seccomp.hpp"

namespace zjail {
namespace {

using zjail_seccomp::set_errno_action;
using zjail_seccomp::with_filter;

seccomp_data call(int nr, uint64_t a0 = 0, uint64_t a1 = 0, uint64_t a2 = 0) {
  seccomp_data d{};
  d.arch = seccomp_arch_native();
  d.nr = nr;
  d.args[0] = a0;
  d.args[1] = a1;
  d.args[2] = a2;
  return d;
}

std::vector<std::vector<sock_filter>> filters_for(const Profile& p, const SeccompExtras& e = {}) {
  auto prog = compile_seccomp(p, e);
  EXPECT_TRUE(prog) << prog.error().message();
  return prog ? prog->filters : std::vector<std::vector<sock_filter>>{};
}

std::vector<DenialSource> sources_for(const Profile& p, const SeccompExtras& e = {}) {
  std::vector<DenialSource> s(1);
  for (const auto& d : e.deny) s[0].names.push_back({d.name, d.why});
  DenialSource own;
  own.directive = "SystemCallFilter=";
  own.allow_list = !p.system_call_filter.invert;
  for (const auto& i : p.system_call_filter.names) own.names.push_back({i.value, i.origin.str()});
  for (const auto& i : p.system_call_filter.removed) own.removed.push_back({i.value, i.origin.str()});
  s.push_back(own);
  return s;
}

TEST(Denials, EvaluateReachesTheKernelsVerdict) {
  Profile p = with_filter({"@system-service"});
  set_errno_action(p, EACCES);
  auto f = filters_for(p);
  EXPECT_FALSE(evaluate(f, call(SYS_getpid)).denied());
  Verdict ptrace = evaluate(f, call(SYS_ptrace, PTRACE_TRACEME));
  EXPECT_TRUE(ptrace.denied());
  EXPECT_EQ(ptrace.filter, 1);
  EXPECT_EQ(ptrace.err(), EACCES);
  // The base filter's argument rule, where the allow list allows ioctl.
  Verdict sti = evaluate(f, call(SYS_ioctl, 0, TIOCSTI));
  EXPECT_EQ(sti.filter, 0);
  EXPECT_EQ(sti.err(), EPERM);
  EXPECT_FALSE(evaluate(f, call(SYS_ioctl, 0, FIONREAD)).denied());
  // Another ABI: killed by the base filter.
  seccomp_data i386 = call(1);
  i386.arch = AUDIT_ARCH_I386;
  EXPECT_TRUE(evaluate(f, i386).kill());
}

// For every call number, with the arguments the rules look at, the merged
// filter kills exactly where the originals kill (in the kernel), and says
// "notify" exactly where they deny otherwise; with --explain, it notifies
// for kills too.
TEST(Denials, MergedFilterDeniesExactlyWhatTheFiltersDeny) {
  Profile p = with_filter({"@system-service"});
  SeccompExtras e;
  e.deny.push_back({"@clock", EPERM, "ProtectClock="});
  e.families = {true, true, {AF_UNIX, AF_INET}};
  for (bool errno_first : {false, true}) {
    // Both orders of an errno filter before a killing one: the errno must
    // not hide the later kill, which outranks it.
    Profile pp = p;
    if (errno_first) set_errno_action(pp, EACCES);
    auto f = filters_for(pp, e);
    auto merged = notify_filter(f);
    auto explained = notify_filter(f, false);
    ASSERT_TRUE(merged) << merged.error().message();
    ASSERT_TRUE(explained) << explained.error().message();
    const uint64_t args[] = {0, TIOCSTI, AF_NETLINK, AF_UNIX, CLONE_NEWUSER, ~0ULL};
    for (int nr = 0; nr < 460; ++nr)
      for (uint64_t a : args) {
        seccomp_data d = call(nr, a, a);
        Verdict v = evaluate(f, d);
        uint32_t m = run_bpf(*merged, d);
        EXPECT_EQ(m == SECCOMP_RET_KILL_PROCESS, v.kill()) << "nr " << nr << " arg " << a;
        EXPECT_EQ(m == SECCOMP_RET_USER_NOTIF, v.denied() && !v.kill()) << "nr " << nr << " arg " << a;
        EXPECT_EQ(run_bpf(*explained, d) == SECCOMP_RET_USER_NOTIF, v.denied()) << "nr " << nr << " arg " << a;
      }
  }
  // A filter that errs for a call ahead of one that kills for it: killed.
  std::vector<sock_filter> errs = {BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM)};
  std::vector<sock_filter> allows = {BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
  std::vector<sock_filter> kills = {BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS)};
  auto chain = notify_filter({errs, allows, kills});
  ASSERT_TRUE(chain);
  EXPECT_EQ(run_bpf(*chain, call(SYS_getpid)), SECCOMP_RET_KILL_PROCESS);
  auto no_kill = notify_filter({errs, allows, allows});
  ASSERT_TRUE(no_kill);
  EXPECT_EQ(run_bpf(*no_kill, call(SYS_getpid)), SECCOMP_RET_USER_NOTIF);
  // The payload's marker call reaches zjail even where a filter kills setns.
  seccomp_data marker = call(SYS_setns, ~0ULL, child::kListenerMarker);
  EXPECT_EQ(run_bpf(*chain, marker), SECCOMP_RET_USER_NOTIF);
  EXPECT_EQ(run_bpf(*chain, call(SYS_setns, ~0ULL, child::kListenerMarker + (1ULL << 32))), SECCOMP_RET_KILL_PROCESS);
  // Other kills would need their own precedence: refused.
  EXPECT_FALSE(notify_filter({{BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP)}}));
  // Another ABI is killed by the merged filter itself, never notified.
  seccomp_data i386 = call(1);
  i386.arch = AUDIT_ARCH_I386;
  EXPECT_EQ(run_bpf(*no_kill, i386), SECCOMP_RET_KILL_PROCESS);
#if defined(__x86_64__)
  EXPECT_EQ(run_bpf(*no_kill, call(0x40000000 | SYS_getpid)), SECCOMP_RET_KILL_PROCESS);
#endif
  // Too many instructions for one filter: refused, never truncated.
  EXPECT_FALSE(notify_filter({std::vector<sock_filter>(4096, BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW))}));
}

TEST(Denials, ExplanationNamesTheDirective) {
  Profile allow = with_filter({"@system-service"});
  SeccompExtras e;
  e.deny.push_back({"@clock", EPERM, "ProtectClock="});
  auto s = sources_for(allow, e);
  EXPECT_EQ(explain(s, 1, SYS_ptrace, call(SYS_ptrace)).second, "not in SystemCallFilter= (t:1)");
  EXPECT_EQ(explain(s, 0, SYS_adjtimex, call(SYS_adjtimex)).second, "ProtectClock=");
  EXPECT_EQ(explain(s, 0, SYS_ioctl, call(SYS_ioctl, 0, TIOCSTI)).first, "built-in");
  EXPECT_EQ(explain(s, 0, SYS_setns, call(SYS_setns)).second, "built-in: no namespaces from inside the jail");
  Profile deny = with_filter({"@debug"}, true);
  auto d = sources_for(deny);
  auto why = explain(d, 1, SYS_ptrace, call(SYS_ptrace));
  EXPECT_EQ(why.first, "SystemCallFilter=");
  EXPECT_EQ(why.second, "in SystemCallFilter=~@debug (t:1)");
}

// The line is the one to edit: the base filter's directives and every line
// of an allow list (a later "~" line may be what took the call out).
TEST(Denials, ExplanationsNameTheLinesThatSetTheRules) {
  Profile p;
  ASSERT_TRUE(load_profile_text(p,
                                "[Jail]\nSystemCallFilter=@system-service\nSystemCallFilter=~@privileged\n"
                                "ProtectClock=yes\nRestrictAddressFamilies=AF_UNIX\n",
                                "web.profile", {}, ProfileTrust::any()));
  auto origins = base_filter_origins(p);
  EXPECT_EQ(origins["ProtectClock="], "web.profile:4");
  EXPECT_EQ(origins["RestrictAddressFamilies="], "web.profile:5");
  EXPECT_EQ(origins.count("MemoryDenyWriteExecute="), 0u);
  SeccompExtras e;
  e.deny.push_back({"@clock", EPERM, "ProtectClock="});
  auto s = sources_for(p, e);
  s[0].origins = origins;
  EXPECT_EQ(explain(s, 0, SYS_adjtimex, call(SYS_adjtimex)).second, "ProtectClock= (web.profile:4)");
  auto af = explain(s, 0, SYS_socket, call(SYS_socket, AF_INET));
  EXPECT_EQ(af.first, "RestrictAddressFamilies=");
  EXPECT_EQ(af.second, "RestrictAddressFamilies= (web.profile:5)");
  EXPECT_EQ(explain(s, 1, SYS_ptrace, call(SYS_ptrace)).second, "not in SystemCallFilter= (web.profile:2)");
  EXPECT_EQ(explain(s, 1, SYS_setuid, call(SYS_setuid)).second, "in SystemCallFilter=~@privileged (web.profile:3)");
}

TEST(Denials, CallsAndLinesReadAsTheLogShowsThem) {
  EXPECT_EQ(describe_call(call(SYS_ptrace, PTRACE_TRACEME), ""), "ptrace(PTRACE_TRACEME)");
  EXPECT_EQ(describe_call(call(SYS_socket, AF_NETLINK), ""), "socket(AF_NETLINK)");
  EXPECT_EQ(describe_call(call(SYS_ioctl, 1, TIOCSTI), ""), "ioctl(TIOCSTI)");
  EXPECT_EQ(describe_call(call(SYS_openat, 0, 0), "/etc/shadow"), "openat(\"/etc/shadow\")");
  EXPECT_EQ(describe_call(call(SYS_unshare, CLONE_NEWUSER | CLONE_NEWNS), ""), "unshare(CLONE_NEWNS|CLONE_NEWUSER)");
  Denial d;
  d.call = "ptrace(PTRACE_TRACEME)";
  d.name = "ptrace";
  d.pid = 7;
  d.comm = "nginx";
  d.directive = "not in SystemCallFilter= (profiles/nginx.profile:31)";
  EXPECT_EQ(d.line(), "denied ptrace(PTRACE_TRACEME) in pid 7 (nginx): not in SystemCallFilter= "
                      "(profiles/nginx.profile:31)");
  d.kill = true;
  EXPECT_EQ(d.line(), "denied ptrace(PTRACE_TRACEME) in pid 7 (nginx), killing it: not in SystemCallFilter= "
                      "(profiles/nginx.profile:31)");
  d.repeats = 12;
  EXPECT_EQ(d.line(), "denied ptrace 12 more times (not shown): not in SystemCallFilter= (profiles/nginx.profile:31)");
}

// What the payload wrote stays inside zjail's one line: no line break, no
// terminal escape, no closing quote, no byte the journal would store as a
// blob; printable UTF-8 is kept as it is.
TEST(Denials, ThePayloadsTextIsEscapedInTheLine) {
  EXPECT_EQ(describe_call(call(SYS_openat, 0, 0), "/a\nzjail: payload exited 0\x1b[2J\r"),
            "openat(\"/a\\x0azjail: payload exited 0\\x1b[2J\\x0d\")");
  EXPECT_EQ(shown("a\") in pid 1 (x"), "a\\\") in pid 1 (x");
  EXPECT_EQ(shown("back\\slash"), "back\\\\slash");
  EXPECT_EQ(shown("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"), "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
  EXPECT_EQ(shown("\xc2\x9b" "1m"), "\\xc2\\x9b1m");  // C1 CSI
  EXPECT_EQ(shown("\xff\xc3"), "\\xff\\xc3");          // not UTF-8, cut short
  EXPECT_EQ(shown("\xed\xa0\x80\xc0\xaf\xf5\x80\x80\x80"),
            "\\xed\\xa0\\x80\\xc0\\xaf\\xf5\\x80\\x80\\x80");  // surrogate, overlong, past U+10FFFF
}

TEST(Denials, APlanWhoseFilterDeniesWriteIsRefused) {
  Profile p = with_filter({"write"}, true);
  Plan plan;
  plan.seccomp = filters_for(p);
  auto st = plan_denials(plan);
  ASSERT_FALSE(st);
  EXPECT_THAT(st.error().message(), ::testing::HasSubstr("denies write"));
  Plan ok;
  ok.seccomp = filters_for(with_filter({"@system-service"}));
  ASSERT_TRUE(plan_denials(ok));
  EXPECT_FALSE(ok.seccomp_notify.empty());
}

// The whole round: a forked child attaches the merged filter with a
// listener, the test copies the listener (pidfd_getfd) and supervises; the
// child's denied ptrace fails with the profile's errno and is reported.
TEST(Denials, SupervisorAnswersWithTheProfilesErrno) {
  Profile p = with_filter({"@system-service"});
  set_errno_action(p, EACCES);
  auto f = filters_for(p);
  auto s = sources_for(p);
  auto merged = notify_filter(f);
  ASSERT_TRUE(merged);
  int pipefd[2];
  ASSERT_EQ(pipe(pipefd), 0);
  pid_t pid = fork();
  if (pid == 0) {
    sock_fprog fp{static_cast<unsigned short>(merged->size()), merged->data()};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) _exit(100);
    long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &fp);
    if (fd < 0) _exit(101);
    int n = static_cast<int>(fd);
    if (write(pipefd[1], &n, sizeof n) != sizeof n) _exit(102);
    _exit(syscall(SYS_ptrace, PTRACE_TRACEME, 0, 0, 0) < 0 ? errno : 0);
  }
  close(pipefd[1]);
  int n = -1;
  ASSERT_EQ(read(pipefd[0], &n, sizeof n), static_cast<ssize_t>(sizeof n));
  close(pipefd[0]);
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  ASSERT_GE(pidfd, 0);
  UniqueFd listener(static_cast<int>(syscall(SYS_pidfd_getfd, pidfd, n, 0)));
  close(pidfd);
  ASSERT_TRUE(listener);
  std::vector<Denial> seen;
  DenialSupervisor sup(std::move(listener), pid, &f, &s, [&](const Denial& d) { seen.push_back(d); });
  sup.handle();
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == EACCES) << status;
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].call, "ptrace(PTRACE_TRACEME)");
  EXPECT_EQ(seen[0].directive, "not in SystemCallFilter= (t:1)");
  EXPECT_EQ(seen[0].err, EACCES);
}

// Red team: for every shipped profile and the root tier's test profiles,
// the merged filter and the original filters agree on every call: random
// and edge-case seccomp_data (every call number, arguments with high bits
// set, other ABIs). A call the originals allow (or log) is allowed (or
// logged) by the merged filter; a call they deny reaches the listener (or,
// on another ABI, is killed outright).
// The kill check copies only the filters that can kill a native call: an
// errno profile's merged filter is as long as the one that explains kills
// (which has no kill check at all), a killing profile's one copy longer.
TEST(Denials, OnlyAFilterThatCanKillGetsAKillCheck) {
  Profile errs = with_filter({"@system-service"});
  set_errno_action(errs, EPERM);
  auto e = filters_for(errs);
  ASSERT_EQ(e.size(), 2u);
  auto e_merged = notify_filter(e), e_explained = notify_filter(e, false);
  ASSERT_TRUE(e_merged && e_explained);
  EXPECT_EQ(e_merged->size(), e_explained->size());
  auto k = filters_for(with_filter({"@system-service"}));
  ASSERT_EQ(k.size(), 2u);
  auto k_merged = notify_filter(k), k_explained = notify_filter(k, false);
  ASSERT_TRUE(k_merged && k_explained);
  EXPECT_EQ(k_merged->size(), k_explained->size() + k[1].size());
}

TEST(Denials, MergedFilterAgreesWithTheOriginalsForEveryShippedProfile) {
  std::vector<std::string> files;
  for (const char* dir : {ZJAIL_SOURCE_DIR "/profiles", ZJAIL_SOURCE_DIR "/tests/root/profiles"})
    for (const auto& e : std::filesystem::directory_iterator(dir))
      if (e.path().extension() == ".profile") files.push_back(e.path());
  ASSERT_GT(files.size(), 10u);
  std::mt19937_64 rng(20261206);
  const uint64_t edges[] = {0, 1, ~0ULL, 0xffffffffULL, 0x100000000ULL, 0x8000000000000000ULL,
                            0x7fffffffULL, 0x80000000ULL, TIOCSTI, TIOCLINUX, 0x100000000ULL | TIOCSTI,
                            AF_UNIX, AF_INET, AF_NETLINK, AF_VSOCK, 0x100000000ULL | AF_VSOCK,
                            CLONE_NEWUSER, CLONE_NEWNS | CLONE_THREAD, 0x100000000ULL | CLONE_NEWUSER,
                            PROT_EXEC, PROT_WRITE | PROT_EXEC, 0x100000000ULL | PROT_EXEC, 0x0008, 0x04000000};
  const uint32_t arches[] = {seccomp_arch_native(), AUDIT_ARCH_I386, AUDIT_ARCH_AARCH64, 0};
  size_t planned = 0;
  for (const auto& file : files) {
    Profile p;
    auto st = load_profile(p, file, {ZJAIL_SOURCE_DIR "/profiles"}, ProfileTrust::any());
    ASSERT_TRUE(st) << file << ": " << st.error().message();
    PlanContext ctx;
    ctx.cwd = "/";
    auto plan = build_plan(p, {"/bin/true"}, ctx);
    if (!plan) {  // a daemon's user this host lacks: the filters alone
      SeccompExtras none;
      auto prog = compile_seccomp(p, none);
      ASSERT_TRUE(prog) << file;
      Plan alone;
      alone.seccomp = prog->filters;
      ASSERT_TRUE(plan_denials(alone)) << file;
      plan = std::move(alone);
    } else {
      ++planned;
    }
    const auto& f = plan->seccomp;
    ASSERT_FALSE(plan->seccomp_notify.empty()) << file;
    const auto& merged = plan->seccomp_notify;
    auto check = [&](const seccomp_data& d) {
      Verdict v = evaluate(f, d);
      uint32_t m = run_bpf(merged, d);
      uint32_t ma = m & SECCOMP_RET_ACTION_FULL;
      bool native = d.arch == seccomp_arch_native() && (static_cast<uint32_t>(d.nr) < 0x40000000 || d.nr == -1);
      if (!v.denied()) {
        EXPECT_EQ(m, v.action) << file << ": nr " << d.nr << " arch " << std::hex << d.arch << " a0 " << d.args[0]
                               << " a1 " << d.args[1] << " a2 " << d.args[2];
      } else if (v.kill()) {
        EXPECT_EQ(ma, SECCOMP_RET_KILL_PROCESS) << file << ": nr " << d.nr << " orig " << std::hex << v.action;
      } else if (native) {
        EXPECT_EQ(ma, SECCOMP_RET_USER_NOTIF) << file << ": nr " << d.nr << " orig " << std::hex << v.action << " a0 " << d.args[0]
                                              << " a1 " << d.args[1] << " a2 " << d.args[2];
      } else {
        EXPECT_EQ(ma, SECCOMP_RET_KILL_PROCESS) << file << ": nr " << d.nr << " arch " << std::hex << d.arch << " orig " << v.action;
      }
      return !::testing::Test::HasFailure();
    };
    for (uint32_t arch : arches)
      for (int nr = -2; nr < 1100; ++nr)
        for (uint64_t e : edges) {
          seccomp_data d = call(nr, e, e, e);
          d.arch = arch;
          d.args[3] = d.args[4] = d.args[5] = e;
          ASSERT_TRUE(check(d));
          if (arch != seccomp_arch_native() || nr >= 500) continue;
          for (int a = 0; a < 6; ++a) {
            seccomp_data one = call(nr);
            one.arch = arch;
            one.args[a] = e;
            ASSERT_TRUE(check(one));
          }
        }
    for (int i = 0; i < 100000; ++i) {
      seccomp_data d{};
      uint64_t r = rng();
      d.arch = (r & 7) ? seccomp_arch_native() : static_cast<uint32_t>(rng());
      d.nr = (r & 0x30) ? static_cast<int>(rng() % 500) : static_cast<int>(rng());
      d.instruction_pointer = rng();
      for (auto& a : d.args) a = (rng() & 1) ? rng() : edges[rng() % std::size(edges)] | (rng() & 0xffffffff00000000ULL);
      ASSERT_TRUE(check(d));
    }
  }
  EXPECT_GT(planned, 0u);
}

}  // namespace
}  // namespace zjail
