// export_oci.cpp: the planned jail as an OCI config.json. Every mount,
// namespace, capability and limit of the plan appears; what OCI cannot
// carry is listed in the annotations; the same profile gives the same bytes.
// No privileges needed (crun runs it in tests/root/root_oci_test.cpp).
// GCC 12 reports a false maybe-uninitialized for std::optional<std::string>
// members of a default-constructed Profile at -O2 (GCC bug 105562 family).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <seccomp.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sched.h>
#include <csignal>

#include <algorithm>
#include <string>
#include <vector>

#include "zjail/caps.hpp"
#include "zjail/export.hpp"
#include "zjail/parser.hpp"
#include "zjail/plan.hpp"

namespace zjail {
namespace {

using ::testing::HasSubstr;
using Json = nlohmann::ordered_json;

const std::vector<std::string> kSearch = {ZJAIL_SOURCE_DIR "/profiles"};

PlanContext root_ctx() {
  PlanContext c;
  c.invoker_uid = 0;
  c.invoker_gid = 0;
  return c;
}

Profile load(const std::string& name, const std::string& extra = "") {
  Profile p;
  EXPECT_TRUE(load_profile(p, name, kSearch, ProfileTrust::any())) << name;
  if (!extra.empty()) {
    EXPECT_TRUE(load_profile_text(p, "[Jail]\n" + extra, "test.profile", kSearch, ProfileTrust::any()));
  }
  return p;
}

ExportRequest oci(std::vector<std::string> command = {"/bin/sh", "-c", "true"}) {
  ExportRequest r;
  r.format = ExportFormat::Oci;
  r.command = std::move(command);
  r.profile_names = {"test"};
  return r;
}

Json exported(const Profile& p, const ExportRequest& req = oci()) {
  auto text = export_profile(p, root_ctx(), req);
  EXPECT_TRUE(text) << (text ? "" : text.error().message());
  return text ? Json::parse(*text) : Json();
}

bool has(const Json& list, const std::string& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

const Json* mount_at(const Json& config, const std::string& dest) {
  const Json* found = nullptr;
  for (const auto& m : config["mounts"])
    if (m["destination"] == dest) found = &m;
  return found;
}

std::vector<std::string> not_carried(const Json& config) {
  std::vector<std::string> out;
  for (const auto& [k, v] : config["annotations"].items())
    if (k.starts_with("org.zjail.not-carried.")) out.push_back(v.get<std::string>());
  return out;
}

bool lists(const Json& config, const std::string& what) {
  for (const auto& l : not_carried(config))
    if (l.find(what) != std::string::npos) return true;
  return false;
}

TEST(ExportOci, SameBytesTwice) {
  for (const char* name : {"base-service", "untrusted", "echo"}) {
    Profile p = load(name);
    auto a = export_profile(p, root_ctx(), oci()), b = export_profile(p, root_ctx(), oci());
    ASSERT_TRUE(a && b) << name;
    EXPECT_EQ(*a, *b) << name;
    EXPECT_EQ(a->back(), '\n');
  }
}

TEST(ExportOci, NoCommandIsAnErrorAndNothingElse) {
  Profile p = load("base-service");
  auto r = export_profile(p, root_ctx(), oci({}));
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message(), HasSubstr("needs the command"));
  auto missing = export_profile(p, root_ctx(), oci({"/nonexistent/zjail-no-such-command"}));
  ASSERT_FALSE(missing);
  EXPECT_THAT(missing.error().message(), HasSubstr("/nonexistent/zjail-no-such-command"));
}

TEST(ExportOci, ProcessIsThePlans) {
  Profile p = load("untrusted");
  auto plan = check_plan(p, root_ctx());
  ASSERT_TRUE(plan);
  Json c = exported(p);
  EXPECT_EQ(c["ociVersion"], "1.0.2");
  const Json& proc = c["process"];
  EXPECT_EQ(proc["args"], Json({"/bin/sh", "-c", "true"}));
  EXPECT_EQ(proc["user"]["uid"], plan->uid);
  EXPECT_EQ(proc["user"]["gid"], plan->gid);
  EXPECT_EQ(proc["cwd"], "/tmp");
  EXPECT_EQ(proc["noNewPrivileges"], true);
  EXPECT_EQ(proc["terminal"], false);
  for (const char* set : {"bounding", "effective", "permitted", "inheritable", "ambient"})
    EXPECT_TRUE(proc["capabilities"][set].empty()) << set;
  std::vector<std::string> env = proc["env"];
  EXPECT_EQ(env, plan->envp_storage);
  // Every limit, by its OCI name.
  ASSERT_EQ(proc["rlimits"].size(), plan->rlimits.size());
  bool nproc = false;
  for (const auto& l : proc["rlimits"])
    if (l["type"] == "RLIMIT_NPROC") nproc = l["soft"] == 32 && l["hard"] == 32;
  EXPECT_TRUE(nproc) << proc["rlimits"].dump();
  EXPECT_EQ(c["hostname"], "untrusted");
  EXPECT_EQ(c["root"], Json({{"path", "rootfs"}, {"readonly", true}}));
}

TEST(ExportOci, CapabilitiesByName) {
  Profile p = load("base-service", "CapabilityBoundingSet=CAP_NET_BIND_SERVICE CAP_CHOWN\n"
                                   "AmbientCapabilities=CAP_NET_BIND_SERVICE\n");
  Json caps = exported(p)["process"]["capabilities"];
  EXPECT_EQ(caps["bounding"], Json({"CAP_CHOWN", "CAP_NET_BIND_SERVICE"}));
  EXPECT_EQ(caps["ambient"], Json({"CAP_NET_BIND_SERVICE"}));
  EXPECT_TRUE(has(caps["permitted"], "CAP_NET_BIND_SERVICE"));
  EXPECT_TRUE(has(caps["effective"], "CAP_NET_BIND_SERVICE"));
  EXPECT_FALSE(has(caps["permitted"], "CAP_CHOWN")) << "bounding only";
}

// Each mount of the plan is in `mounts`, maskedPaths or readonlyPaths, in
// the plan's order, with its flags.
TEST(ExportOci, EveryMountOfThePlan) {
  for (const char* name : {"base-service", "untrusted", "echo"}) {
    Profile p = load(name, "InaccessiblePaths=/usr/share\nReadOnlyPaths=/proc/sys\n");
    auto plan = check_plan(p, root_ctx());
    ASSERT_TRUE(plan) << name;
    Json c = exported(p);
    size_t last = 0;
    for (const auto& m : plan->mounts) {
      const std::string dest = "/" + m.target;
      using K = MountOp::Kind;
      if (m.kind == K::Bind || m.kind == K::Tmpfs || m.kind == K::Proc || m.kind == K::Devpts) {
        size_t at = 0;
        for (; at < c["mounts"].size(); ++at)
          if (c["mounts"][at]["destination"] == dest) break;
        ASSERT_LT(at, c["mounts"].size()) << name << ": " << describe_mount(m);
        EXPECT_GE(at, last) << name << ": out of order: " << dest;
        last = at;
        const Json& opts = c["mounts"][at]["options"];
        EXPECT_TRUE(!(m.attr & MOUNT_ATTR_RDONLY) || has(opts, "ro")) << dest;
        EXPECT_TRUE(!(m.attr & MOUNT_ATTR_NOSUID) || has(opts, "nosuid")) << dest;
        EXPECT_TRUE(!(m.attr & MOUNT_ATTR_NOEXEC) || has(opts, "noexec")) << dest;
        EXPECT_TRUE(m.kind != K::Bind || c["mounts"][at]["source"] == m.source) << dest;
        for (const auto& [k, v] : m.options) EXPECT_TRUE(has(opts, v.empty() ? k : k + "=" + v)) << dest;
      } else if (m.kind == K::Mask || m.kind == K::Inaccessible) {
        EXPECT_TRUE(has(c["linux"]["maskedPaths"], dest)) << name << ": " << dest;
      } else if (m.kind == K::Attr && !m.target.empty() && (m.attr & MOUNT_ATTR_RDONLY) && !mount_at(c, dest)) {
        EXPECT_TRUE(has(c["linux"]["readonlyPaths"], dest)) << name << ": " << dest;
      }
    }
    EXPECT_TRUE(has(c["linux"]["maskedPaths"], "/usr/share")) << name;
    EXPECT_TRUE(has(c["linux"]["readonlyPaths"], "/proc/sys")) << name;
    // ProtectProc=invisible and ProcSubset=pid go to procfs as options.
    const Json* proc = mount_at(c, "/proc");
    ASSERT_TRUE(proc);
    EXPECT_TRUE(has((*proc)["options"], "hidepid=invisible"));
    EXPECT_TRUE(has((*proc)["options"], "subset=pid"));
  }
}

// "-SRC" missing on this host: left out, as zjail's launch here skips it.
TEST(ExportOci, MissingOptionalBindIsLeftOut) {
  Json c = exported(load("base-service", "BindReadOnlyPaths=-/nonexistent/zjail-export-test /usr:/opt/usr\n"));
  EXPECT_FALSE(mount_at(c, "/nonexistent/zjail-export-test"));
  ASSERT_TRUE(mount_at(c, "/opt/usr"));
  EXPECT_EQ((*mount_at(c, "/opt/usr"))["source"], "/usr");
}

TEST(ExportOci, NamespacesAndIdMaps) {
  Profile p = load("base-service");
  auto plan = check_plan(p, root_ctx());
  ASSERT_TRUE(plan);
  Json c = exported(p);
  std::vector<std::string> ns;
  for (const auto& n : c["linux"]["namespaces"]) ns.push_back(n["type"]);
  EXPECT_EQ(ns, std::vector<std::string>({"pid", "ipc", "uts", "mount", "user", "cgroup", "time", "network"}));
  Json want = Json::array({{{"containerID", 0}, {"hostID", 0}, {"size", 1}},
                           {{"containerID", plan->uid}, {"hostID", plan->uid}, {"size", 1}}});
  EXPECT_EQ(c["linux"]["uidMappings"], want);
  EXPECT_EQ(c["linux"]["gidMappings"].size(), 2u);

  Profile host_net = load("network-service", "User=nobody\nGroup=nogroup\n");
  Json h = exported(host_net);
  for (const auto& n : h["linux"]["namespaces"]) EXPECT_NE(n["type"], "network");
}

// The seccomp section is oci_seccomp's, as `--format oci-seccomp` writes it.
TEST(ExportOci, SeccompIsTheCombinedFilter) {
  Profile p = load("untrusted");
  Json c = exported(p);
  ExportRequest alone = oci();
  alone.format = ExportFormat::OciSeccomp;
  auto text = export_profile(p, root_ctx(), alone);
  ASSERT_TRUE(text);
  EXPECT_EQ(c["linux"]["seccomp"], Json::parse(*text));
  EXPECT_EQ(c["linux"]["seccomp"]["defaultAction"], "SCMP_ACT_ERRNO");
  EXPECT_TRUE(lists(c, "bad-architecture"));
}

uint32_t scmp_action(const Json& name, const Json& errno_ret) {
  std::string n = name;
  if (n == "SCMP_ACT_ALLOW") return SCMP_ACT_ALLOW;
  if (n == "SCMP_ACT_ERRNO") return SCMP_ACT_ERRNO(errno_ret.is_null() ? EPERM : errno_ret.get<int>());
  if (n == "SCMP_ACT_KILL_PROCESS") return SCMP_ACT_KILL_PROCESS;
  if (n == "SCMP_ACT_LOG") return SCMP_ACT_LOG;
  return SCMP_ACT_KILL_THREAD;
}

// The section loaded as crun loads it: one libseccomp rule per entry and
// name, in the file's order; a rule with the default's action is skipped
// (libseccomp refuses it with EACCES, and crun passes over that).
bool load_like_crun(const Json& s) {
  scmp_filter_ctx ctx = seccomp_init(scmp_action(s["defaultAction"], s.value("defaultErrnoRet", Json())));
  if (!ctx) return false;
  const std::pair<const char*, scmp_compare> ops[] = {
      {"SCMP_CMP_NE", SCMP_CMP_NE}, {"SCMP_CMP_LT", SCMP_CMP_LT}, {"SCMP_CMP_LE", SCMP_CMP_LE},
      {"SCMP_CMP_EQ", SCMP_CMP_EQ}, {"SCMP_CMP_GE", SCMP_CMP_GE}, {"SCMP_CMP_GT", SCMP_CMP_GT},
      {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ}};
  for (const auto& e : s["syscalls"]) {
    std::vector<scmp_arg_cmp> cmps;
    for (const auto& a : e.value("args", Json::array())) {
      scmp_arg_cmp c{a["index"].get<unsigned>(), SCMP_CMP_EQ, a["value"].get<uint64_t>(), a["valueTwo"].get<uint64_t>()};
      for (const auto& [n, op] : ops)
        if (a["op"] == n) c.op = op;
      cmps.push_back(c);
    }
    const uint32_t action = scmp_action(e["action"], e.value("errnoRet", Json()));
    if (action == scmp_action(s["defaultAction"], s.value("defaultErrnoRet", Json()))) continue;
    for (const auto& name : e["names"]) {
      int nr = seccomp_syscall_resolve_name(name.get<std::string>().c_str());
      if (nr == __NR_SCMP_ERROR) continue;
      int r = seccomp_rule_add_array(ctx, action, nr, static_cast<unsigned>(cmps.size()), cmps.data());
      if (r != 0) {
        std::fprintf(stderr, "seccomp_rule_add_array %s: %s\n", e.dump().c_str(), std::strerror(-r));
        return false;
      }
    }
  }
  int r = seccomp_load(ctx);
  if (r != 0) std::fprintf(stderr, "seccomp_load: %s\n", std::strerror(-r));
  bool ok = r == 0;
  seccomp_release(ctx);
  return ok;
}

// What zjail's base filter refuses by argument is refused by the exported
// filter too, as crun loads it, and the neighbouring arguments are not: a
// rule for "every other argument" must not shadow the argument rules (it
// did, under libseccomp 2.5.4: TIOCSTI and CLONE_NEWUSER went through).
TEST(ExportOci, ArgumentRulesHoldAsCrunLoadsThem) {
  Json s = exported(load("base-service"))["linux"]["seccomp"];
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (!load_like_crun(s)) _exit(100);
    auto refused = [](long r, int err) { return r == -1 && errno == err; };
    int bad = 0;
    if (!refused(syscall(SYS_ioctl, -1, TIOCSTI, 0), EPERM)) bad |= 1;
    if (!refused(syscall(SYS_ioctl, -1, (1ul << 32) | TIOCSTI, 0), EPERM)) bad |= 2;
    if (!refused(syscall(SYS_ioctl, -1, TCGETS, 0), EBADF)) bad |= 4;  // allowed: the fd answers
    if (!refused(syscall(SYS_socket, AF_VSOCK, SOCK_STREAM, 0), EAFNOSUPPORT)) bad |= 8;
    long fd = syscall(SYS_socket, AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0) bad |= 16;
    long c = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
    if (c == 0) _exit(0);
    if (!(c == -1 && errno == EPERM)) bad |= 32;
    _exit(bad);
  }
  int st = 0;
  ASSERT_EQ(waitpid(pid, &st, 0), pid);
  ASSERT_TRUE(WIFEXITED(st)) << st;
  EXPECT_EQ(WEXITSTATUS(st), 0) << "1 TIOCSTI, 2 TIOCSTI|1<<32, 4 TCGETS refused, 8 AF_VSOCK, 16 AF_UNIX refused, "
                                   "32 CLONE_NEWUSER, 100 not loaded";
}

TEST(ExportOci, CgroupLimitsAreResources) {
  Profile p = load("base-service", "MemoryMax=256M\nMemorySwapMax=0\nTasksMax=32\nCPUQuota=20%\n"
                                   "CPUWeight=50\nMemoryHigh=200M\n");
  Json r = exported(p)["linux"]["resources"];
  EXPECT_EQ(r["memory"]["limit"], 256ull << 20);
  EXPECT_EQ(r["memory"]["swap"], 256ull << 20);
  EXPECT_EQ(r["pids"]["limit"], 32);
  EXPECT_EQ(r["cpu"]["quota"], 200000);
  EXPECT_EQ(r["cpu"]["period"], 1000000);
  EXPECT_EQ(r["unified"]["cpu.weight"], "50");
  EXPECT_EQ(r["unified"]["memory.high"], std::to_string(200ull << 20));
}

// echo's ListenStream=7: no socket passed, no LISTEN_* left to mislead the
// server; it binds its own in its private network, allowed port 7.
TEST(ExportOci, SocketsAreListedAndThePortIsAllowed) {
  Json c = exported(load("echo"));
  for (const auto& e : c["process"]["env"]) EXPECT_FALSE(e.get<std::string>().starts_with("LISTEN_")) << e;
  EXPECT_EQ(c["linux"]["sysctl"]["net.ipv4.ip_unprivileged_port_start"], "7");
  EXPECT_TRUE(lists(c, "ListenStream=7 ("));
  EXPECT_TRUE(lists(c, "zjail's init"));
  EXPECT_TRUE(lists(c, "Landlock"));
  // Numbered in order, two digits: stable keys.
  size_t n = 0;
  for (const auto& [k, v] : c["annotations"].items())
    if (k.starts_with("org.zjail.not-carried.")) {
      std::string want = std::to_string(++n);
      EXPECT_EQ(k, "org.zjail.not-carried." + std::string(want.size() < 2 ? 1 : 0, '0') + want);
    }
  EXPECT_GT(n, 3u);
  EXPECT_THAT(c["annotations"]["org.zjail.rootfs"].get<std::string>(), HasSubstr("empty directory"));
}

// A command the jail does not show is bound read-only where zjail binds a
// script; one it shows runs by its own path; a bare name by crun's PATH.
TEST(ExportOci, HiddenCommandIsBoundUnderRunHostCommand) {
  Profile p = load("network-service", "User=nobody\nGroup=nogroup\n");  // /usr/bin is an empty tmpfs
  Json c = exported(p, oci({"/usr/bin/env", "true"}));
  EXPECT_EQ(c["process"]["args"][0], "/run/host/command/env");
  const Json* m = mount_at(c, "/run/host/command/env");
  ASSERT_TRUE(m);
  EXPECT_EQ((*m)["source"], "/usr/bin/env");
  EXPECT_TRUE(has((*m)["options"], "ro"));
  EXPECT_EQ(c["mounts"].back()["destination"], "/run/host/command/env") << "after the tmpfs it sits in";

  Json shown = exported(load("base-service"), oci({"/usr/bin/env", "true"}));
  EXPECT_EQ(shown["process"]["args"][0], "/usr/bin/env");
  EXPECT_FALSE(mount_at(shown, "/run/host/command/env"));
  Json bare = exported(load("base-service"), oci({"env", "true"}));
  EXPECT_EQ(bare["process"]["args"][0], "env");
  // Hidden by the profile: refused, as zjail refuses it.
  Profile hidden = load("base-service", "InaccessiblePaths=/usr/bin/env\n");
  auto r = export_profile(hidden, root_ctx(), oci({"/usr/bin/env", "true"}));
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message(), HasSubstr("hidden by"));
}

}  // namespace
}  // namespace zjail
