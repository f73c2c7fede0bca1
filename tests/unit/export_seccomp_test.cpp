// zjail export's seccomp (export_seccomp.cpp): the one filter an OCI runtime
// attaches must give the kernel's verdict of zjail's own filters for every
// call and argument. The exported JSON is compiled with libseccomp as crun
// compiles it, and both programs run in a BPF interpreter over every call
// number and the boundary values of every rule's arguments.
#include <gtest/gtest.h>
#include <linux/audit.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "bpf_eval.hpp"
#include "export_internal.hpp"
#include "plan_internal.hpp"
#include "zjail/export.hpp"
#include "zjail/parser.hpp"
#include "zjail/plan.hpp"

namespace zjail {
namespace {

using Json = nlohmann::json;
const std::vector<std::string> kSearch = {ZJAIL_SOURCE_DIR "/profiles"};

// The profile named (or, with a newline, the text of one) for a host
// without its users: seccomp does not depend on them.
Profile profile_of(const std::string& spec) {
  Profile p;
  auto st = spec.find('\n') == std::string::npos
                ? load_profile(p, spec, kSearch, ProfileTrust::any())
                : load_profile_text(p, spec, "<test>", kSearch, ProfileTrust::any());
  EXPECT_TRUE(st) << spec << ": " << (st ? "" : st.error().message());
  for (auto [k, v] : {std::pair{"User", "nobody"}, {"Group", "nogroup"}, {"SupplementaryGroups", ""},
                      {"DynamicUser", "no"}})
    EXPECT_TRUE(apply_directive(p, k, v, Origin{"<test>", 1}));
  return p;
}

PlanContext context() {
  PlanContext ctx;
  ctx.invoker_uid = getuid();
  ctx.invoker_gid = getgid();
  return ctx;
}

uint32_t action_of(const std::string& name, const Json& entry, const char* errno_key) {
  uint32_t err = entry.contains(errno_key) ? entry[errno_key].get<uint32_t>() : 1;
  if (name == "SCMP_ACT_ALLOW") return SCMP_ACT_ALLOW;
  if (name == "SCMP_ACT_ERRNO") return SCMP_ACT_ERRNO(err);
  if (name == "SCMP_ACT_LOG") return SCMP_ACT_LOG;
  if (name == "SCMP_ACT_KILL_PROCESS") return SCMP_ACT_KILL_PROCESS;
  if (name == "SCMP_ACT_KILL_THREAD" || name == "SCMP_ACT_KILL") return SCMP_ACT_KILL_THREAD;
  if (name == "SCMP_ACT_TRAP") return SCMP_ACT_TRAP;
  ADD_FAILURE() << "unknown action " << name;
  return SCMP_ACT_ALLOW;
}

int op_of(const std::string& name) {
  static const std::pair<const char*, int> kOps[] = {
      {"SCMP_CMP_NE", SCMP_CMP_NE}, {"SCMP_CMP_LT", SCMP_CMP_LT}, {"SCMP_CMP_LE", SCMP_CMP_LE},
      {"SCMP_CMP_EQ", SCMP_CMP_EQ}, {"SCMP_CMP_GE", SCMP_CMP_GE}, {"SCMP_CMP_GT", SCMP_CMP_GT},
      {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ}};
  for (const auto& [n, op] : kOps)
    if (name == n) return op;
  ADD_FAILURE() << "unknown op " << name;
  return SCMP_CMP_EQ;
}

// The JSON compiled the way crun 1.8 compiles an OCI seccomp object.
std::vector<sock_filter> compile_like_crun(const Json& j) {
  scmp_filter_ctx ctx = seccomp_init(action_of(j["defaultAction"], j, "defaultErrnoRet"));
  EXPECT_NE(ctx, nullptr);
  for (const auto& a : j["architectures"]) {
    std::string name = a.get<std::string>().substr(strlen("SCMP_ARCH_"));
    for (char& c : name) c = static_cast<char>(tolower(c));
    int rc = seccomp_arch_add(ctx, seccomp_arch_resolve_name(name.c_str()));
    EXPECT_TRUE(rc == 0 || rc == -EEXIST) << name;
  }
  for (const auto& e : j["syscalls"]) {
    uint32_t action = action_of(e["action"], e, "errnoRet");
    std::vector<scmp_arg_cmp> args;
    if (e.contains("args"))
      for (const auto& a : e["args"])
        args.push_back({a["index"].get<unsigned>(), static_cast<scmp_compare>(op_of(a["op"])),
                        a["value"].get<uint64_t>(), a["valueTwo"].get<uint64_t>()});
    for (const auto& n : e["names"]) {
      int nr = seccomp_syscall_resolve_name(n.get<std::string>().c_str());
      if (nr == __NR_SCMP_ERROR) continue;  // crun skips a name its libseccomp lacks
      int rc = seccomp_rule_add_array(ctx, action, nr, static_cast<unsigned>(args.size()), args.data());
      EXPECT_EQ(rc, 0) << n << " " << e.dump();
    }
  }
  int fd = memfd_create("bpf", MFD_CLOEXEC);
  EXPECT_EQ(seccomp_export_bpf(ctx, fd), 0);
  seccomp_release(ctx);
  off_t size = lseek(fd, 0, SEEK_END);
  std::vector<sock_filter> prog(static_cast<size_t>(size) / sizeof(sock_filter));
  EXPECT_EQ(pread(fd, prog.data(), static_cast<size_t>(size), 0), size);
  close(fd);
  return prog;
}

// The values worth trying for argument `index` of call `nr`: every value
// and mask the exported rules for it compare with, their neighbours, and high bits
// set above them.
std::vector<uint64_t> interesting(const Json& j, int nr, unsigned index) {
  std::set<uint64_t> v = {0, 1, 0xffffffffULL, 1ULL << 32, ~0ULL, 63, 64};
  for (const auto& e : j["syscalls"]) {
    if (!e.contains("args")) continue;
    bool named = false;
    for (const auto& n : e["names"]) named = named || seccomp_syscall_resolve_name(n.get<std::string>().c_str()) == nr;
    if (!named) continue;
    for (const auto& a : e["args"])
      if (a["index"].get<unsigned>() == index)
      for (uint64_t x : {a["value"].get<uint64_t>(), a["valueTwo"].get<uint64_t>()})
        for (uint64_t y : std::initializer_list<uint64_t>{x, x - 1, x + 1, x | (uint64_t{1} << 32), x | 0x80000000U, ~x})
          v.insert(y);
  }
  return {v.begin(), v.end()};
}

struct Mismatch {
  int count = 0;
  std::string first;
};

// The exported filter against zjail's own, for the OCI formats (`top_bit`)
// and the SeccompProfile's (no compare of bit 63: export_internal.hpp).
void compare(const std::string& spec, bool top_bit = true) {
  SCOPED_TRACE(spec);
  Profile p = profile_of(spec);
  auto plan = check_plan(p, context());
  ASSERT_TRUE(plan) << plan.error().message();
  Json j;
  if (top_bit) {
    ExportRequest req;
    req.format = ExportFormat::OciSeccomp;
    auto text = export_profile(p, context(), req);
    ASSERT_TRUE(text) << text.error().message();
    j = Json::parse(*text);
  } else {
    auto rules = jail_seccomp_rules(p);
    ASSERT_TRUE(rules);
    exporting::Losses losses;
    j = Json::parse(exporting::oci_seccomp(*rules, losses, false).dump());
    for (const auto& e : j["syscalls"]) {
      if (!e.contains("args")) continue;
      for (const auto& a : e["args"])
        for (const char* k : {"value", "valueTwo"}) ASSERT_LT(a[k].get<uint64_t>(), uint64_t{1} << 63) << e.dump();
    }
  }
  auto exported = compile_like_crun(j);

  Mismatch m;
  auto check = [&](seccomp_data d) {
    // Without the top bit, a call gets zjail's verdict of the same call
    // with bit 63 of its arguments clear.
    seccomp_data judged = d;
    if (!top_bit)
      for (auto& a : judged.args) a &= ~(uint64_t{1} << 63);
    auto want = zjail_bpf::run_all(plan->seccomp, judged);
    auto got = zjail_bpf::run(exported, d);
    ASSERT_TRUE(want && got) << "BPF the interpreter cannot run, call " << d.nr;
    bool foreign = d.arch != AUDIT_ARCH_X86_64 || (d.nr & 0x40000000);
    // OCI has no bad-architecture action: libseccomp's own kills the
    // thread instead of the process (a listed loss).
    auto kills = [](uint32_t a) { return (a & SECCOMP_RET_ACTION_FULL) <= SECCOMP_RET_KILL_THREAD || a == SECCOMP_RET_KILL_PROCESS; };
    if (*want == *got || (foreign && kills(*want) && kills(*got))) return;
    // A socket family with high bits set is refused by the family allow
    // list and by the TCP-only rule; the export keeps the first's errno
    // (export_seccomp.cpp says why). Refused either way.
    auto errno_class = [](uint32_t a) { return (a & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_ERRNO; };
    if (d.nr == __NR_socket && (d.args[0] >> 32) && errno_class(*want) && errno_class(*got)) return;
    if (m.count++ == 0) {
      char buf[200];
      snprintf(buf, sizeof buf, "call %d args %#llx %#llx %#llx %#llx: zjail %#x, exported %#x", d.nr,
               (unsigned long long)d.args[0], (unsigned long long)d.args[1], (unsigned long long)d.args[2],
               (unsigned long long)d.args[3], *want, *got);
      m.first = buf;
    }
  };
  // The calls whose verdict can depend on their arguments: those the
  // export compares arguments of, and those zjail's base filter does.
  std::set<int> argued = {__NR_ioctl, __NR_clone, __NR_unshare, __NR_socket, __NR_mmap, __NR_mprotect,
                          __NR_pkey_mprotect, __NR_shmat, __NR_sched_setscheduler, __NR_personality, __NR_open,
                          __NR_openat, __NR_utimensat, __NR_chmod, __NR_fchmod, __NR_fchmodat, __NR_mkdir,
                          __NR_mkdirat, __NR_mknod, __NR_mknodat, __NR_creat};
  for (const auto& e : j["syscalls"])
    if (e.contains("args"))
      for (const auto& n : e["names"]) argued.insert(seccomp_syscall_resolve_name(n.get<std::string>().c_str()));
  for (int nr = 0; nr < 480; ++nr) {
    seccomp_data d{};
    d.nr = nr;
    d.arch = AUDIT_ARCH_X86_64;
    check(d);
    if (!argued.count(nr)) continue;
    for (unsigned arg = 0; arg < 4; ++arg)
      for (uint64_t v : interesting(j, nr, arg)) {
        seccomp_data e = d;
        e.args[arg] = v;
        check(e);
      }
    // Two arguments at once, for the rules that compare two.
    std::vector<std::pair<unsigned, unsigned>> pairs;
    if (nr == __NR_socket) pairs = {{0, 1}, {0, 2}};
    if (nr == __NR_open) pairs = {{1, 2}};
    if (nr == __NR_openat) pairs = {{2, 3}};
    for (auto [a, b] : pairs)
      for (uint64_t v : interesting(j, nr, a))
        for (uint64_t w : interesting(j, nr, b)) {
          seccomp_data e = d;
          e.args[a] = v;
          e.args[b] = w;
          check(e);
        }
  }
  for (uint32_t arch : std::initializer_list<uint32_t>{AUDIT_ARCH_I386, AUDIT_ARCH_AARCH64}) {
    seccomp_data d{};
    d.arch = arch;
    check(d);
  }
  for (int nr : {0, 1, 59, 520}) {
    seccomp_data d{};
    d.arch = AUDIT_ARCH_X86_64;
    d.nr = nr | 0x40000000;
    check(d);
  }
  EXPECT_EQ(m.count, 0) << m.first;
}

TEST(ExportSeccomp, EveryShippedProfileGivesTheKernelsVerdictOfZjailsFilters) {
  for (const char* name : {"base-service", "untrusted", "network-service", "echo", "echo-activated", "ssh-restricted",
                           "sftp-only", "sftp-server", "redis-server", "nginx", "memcached", "mosquitto", "lighttpd",
                           "unbound", "chrony", "postgresql", "haproxy"})
    compare(name);
}

TEST(ExportSeccomp, ArgumentRulesOfEveryKindSurviveTheCombining) {
  const char* kCases[] = {
      // No filter of the profile's: the base filter alone, default allow.
      "[Jail]\n",
      // A deny list, and the filter PrivateDevices= and its kin imply.
      "[Jail]\nSystemCallFilter=~@mount @obsolete\nPrivateDevices=yes\nProtectKernelModules=yes\nProtectKernelLogs=yes\n",
      // Every argument rule SeccompExtras has, under an allow list.
      "[Jail]\nInclude=base-service\nMemoryDenyWriteExecute=yes\nRestrictRealtime=yes\nRestrictSUIDSGID=yes\n"
      "LockPersonality=yes\nRestrictAddressFamilies=AF_UNIX AF_INET AF_INET6\nSocketBindDeny=tcp:any\n",
      "[Jail]\nInclude=base-service\nRestrictAddressFamilies=~AF_PACKET AF_NETLINK\n",
      "[Jail]\nInclude=base-service\nRestrictAddressFamilies=none\n",
      // Logged calls, and a kill for the rest.
      "[Jail]\nSystemCallFilter=@system-service\nSystemCallLog=@file-system\nSystemCallErrorNumber=kill\n",
      "[Jail]\nSystemCallFilter=@system-service\nSystemCallErrorNumber=EACCES\nPrivateNetwork=no\nRestrictIOUring=no\n",
      "[Jail]\nPrivateNetwork=no\nRestrictAddressFamilies=AF_UNIX AF_VSOCK\nSystemCallFilter=~@privileged\n",
  };
  for (const char* c : kCases) compare(c);
}

TEST(ExportSeccomp, TheSeccompProfileNeedsNoValueAbove2To63) {
  for (const char* name : {"base-service", "untrusted", "network-service", "redis-server", "nginx"}) compare(name, false);
  compare("[Jail]\nInclude=base-service\nMemoryDenyWriteExecute=yes\nRestrictRealtime=yes\nRestrictSUIDSGID=yes\n"
          "LockPersonality=yes\nRestrictAddressFamilies=AF_UNIX AF_INET AF_INET6\nSocketBindDeny=tcp:any\n",
          false);
}

TEST(ExportSeccomp, TheSameProfileGivesTheSameBytes) {
  ExportRequest req;
  req.format = ExportFormat::OciSeccomp;
  auto a = export_profile(profile_of("untrusted"), context(), req);
  auto b = export_profile(profile_of("untrusted"), context(), req);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(*a, *b);
}

}  // namespace
}  // namespace zjail
