// 1,000 jails of the demo's echo server at once, each on its own port of
// 127.0.0.1: every one answers a client, all stop on SIGTERM with status 0,
// and nothing is left behind (processes, mounts, cgroups, /run/zjail, fds,
// network namespaces, listening ports). Not timed: bench/scale.sh measures.
// And the launch past a host limit on processes or namespaces: its one-line
// error names the limits to raise.
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

#include "harness.hpp"

extern char** environ;

namespace zjail_test {
namespace {

using ::testing::HasSubstr;
using Scale = RootTest;
using HostLimits = RootTest;

constexpr int kJails = 1000;
// What a running echo jail takes from MemAvailable, measured with 1,000 of
// them by bench/scale.sh (about 1.9 MiB: PSS and the kernel's share, its
// network namespace above all), with room to spare.
constexpr long kNeedKiBPerJail = 3 * 1024;

long mem_available_kib() {
  std::ifstream f("/proc/meminfo");
  for (std::string line; std::getline(f, line);)
    if (line.rfind("MemAvailable:", 0) == 0) return std::stol(line.substr(13));
  return 0;
}

// The first of kJails consecutive ports of 127.0.0.1 that are all free, below
// the ephemeral range so that no client takes one meanwhile; 0 if none.
int free_port_range() {
  int ephemeral = 32768;
  std::ifstream("/proc/sys/net/ipv4/ip_local_port_range") >> ephemeral;
  for (int base = 20000; base + kJails <= ephemeral; base += kJails) {
    bool free = true;
    for (int p = base; free && p < base + kJails; ++p) {
      int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_port = htons(static_cast<uint16_t>(p));
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      free = fd >= 0 && bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
      if (fd >= 0) close(fd);
    }
    if (free) return base;
  }
  return 0;
}

// One round trip: "" if the server echoed `line`, else what went wrong.
// ECONNREFUSED comes back as such: zjail has not bound the port yet.
std::string round_trip(int port, const std::string& line, int& err) {
  err = 0;
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return "socket: " + std::string(strerror(err = errno));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string got, why;
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0) {
    why = "connect: " + std::string(strerror(err = errno));
  } else if (write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
    why = "write: " + std::string(strerror(err = errno));
  } else {
    // zjail binds before it builds the jail; the reply comes once echo runs.
    pollfd p{fd, POLLIN, 0};
    char buf[256];
    while (got.size() < line.size() && poll(&p, 1, 60000) == 1) {
      ssize_t n = read(fd, buf, sizeof buf);
      if (n <= 0) break;
      got.append(buf, static_cast<size_t>(n));
    }
    if (got != line) why = "echoed '" + got + "' for '" + line + "'";
  }
  close(fd);
  return why;
}

// What a jail could leave on the host; only what appears counts, since
// peers on a shared host come and go.
std::set<std::string> lines_of(const std::string& path, int field = -1) {
  std::set<std::string> out;
  std::ifstream f(path);
  for (std::string l; std::getline(f, l);) {
    if (field < 0) {
      out.insert(l);
      continue;
    }
    std::istringstream in(l);
    std::string w;
    for (int i = 0; i <= field && in >> w; ++i) {}
    out.insert(w);
  }
  return out;
}

std::set<std::string> entries(const std::string& dir, const std::string& skip = "") {
  std::set<std::string> out;
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d))
      if (e->d_name[0] != '.' && e->d_name != skip) out.insert(e->d_name);
    closedir(d);
  }
  return out;
}

// Directories named *zjail* anywhere under /sys/fs/cgroup.
void zjail_cgroups(const std::string& dir, int depth, std::set<std::string>& out) {
  if (depth > 8) return;
  DIR* d = opendir(dir.c_str());
  if (!d) return;
  while (dirent* e = readdir(d)) {
    if (e->d_type != DT_DIR || e->d_name[0] == '.') continue;
    std::string path = dir + "/" + e->d_name;
    if (strstr(e->d_name, "zjail")) out.insert(path);
    zjail_cgroups(path, depth + 1, out);
  }
  closedir(d);
}

struct HostState {
  std::map<std::string, std::set<std::string>> parts;

  static HostState now() {
    HostState s;
    s.parts["mounts"] = lines_of("/proc/self/mountinfo", 4);
    s.parts["/run/zjail"] = entries("/run/zjail", "seccomp");
    zjail_cgroups("/sys/fs/cgroup", 0, s.parts["cgroups"]);
    auto& netns = s.parts["network namespaces"] = entries("/run/netns");
    for (const auto& pid : entries("/proc")) {
      char link[64] = {};
      if (isdigit(pid[0]) && readlink(("/proc/" + pid + "/ns/net").c_str(), link, sizeof link - 1) > 0)
        netns.insert(link);
    }
    s.parts["fds of the test"] = entries("/proc/self/fd");
    return s;
  }
  // What is in `this` and was not in `before`, one line per kind.
  std::string added_since(const HostState& before) const {
    std::string out;
    for (const auto& [kind, now] : parts) {
      std::vector<std::string> added;
      std::set_difference(now.begin(), now.end(), before.parts.at(kind).begin(), before.parts.at(kind).end(),
                          std::back_inserter(added));
      if (!added.empty()) out += "\n  " + kind + ": " + std::to_string(added.size()) + " new, first " + added[0];
    }
    return out;
  }
};

// The children of `pid` from /proc/PID/task/PID/children: children_of()
// reads every process's stat, which for 3,000 jail processes is too slow.
std::vector<pid_t> kids(pid_t pid) {
  std::istringstream in(read_file("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children"));
  std::vector<pid_t> out;
  for (pid_t p; in >> p;) out.push_back(p);
  return out;
}

std::string head_of(const std::string& path) {
  std::string s = read_file(path);
  return s.substr(0, 400);
}

TEST_F(Scale, ThousandEchoJailsAnswerStopOnSigtermAndLeaveNothing) {
#ifndef ZJAIL_ECHO
  GTEST_SKIP() << "\n*** Scale SKIPPED: the echo example was not built (examples/echo). ***";
#else
  const long need = kJails * kNeedKiBPerJail, have = mem_available_kib();
  if (have < need)
    GTEST_SKIP() << "\n*** Scale SKIPPED: " << kJails << " echo jails need about " << need / 1024
                 << " MiB and MemAvailable is " << have / 1024 << " MiB. ***";
  const int port0 = free_port_range();
  ASSERT_NE(port0, 0) << "no " << kJails << " consecutive free ports of 127.0.0.1 below the ephemeral range";

  TempDir dir;
  for (int i = 0; i < kJails; ++i)
    dir.write(std::to_string(i) + ".profile",
              "[Jail]\nListenStream=\nListenStream=127.0.0.1:" + std::to_string(port0 + i) + "\n");
  const HostState before = HostState::now();

  // The test holds no fd per jail (a pipe each would take 2,000 of a soft
  // RLIMIT_NOFILE of 1024): zjail's stderr goes to a file, read on failure.
  std::vector<std::string> env;
  for (char** p = environ; *p; ++p) env.emplace_back(*p);
  env.push_back(std::string("ZJAIL_PROFILE_PATH=") + ZJAIL_TEST_PROFILE_PATH);
  std::vector<char*> cenv;
  for (auto& kv : env) cenv.push_back(kv.data());
  cenv.push_back(nullptr);
  std::vector<pid_t> sups(kJails, -1);
  for (int i = 0; i < kJails; ++i) {
    std::string profile = dir / (std::to_string(i) + ".profile");
    std::vector<std::string> args{kZjail, "--profile", "echo", "--profile", profile, ZJAIL_ECHO};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, (dir / (std::to_string(i) + ".err")).c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int e = posix_spawn(&sups[i], kZjail, &fa, nullptr, argv.data(), cenv.data());
    posix_spawn_file_actions_destroy(&fa);
    ASSERT_EQ(e, 0) << "posix_spawn of jail " << i << ": " << strerror(e);
  }
  // Whatever happens below, no jail outlives the test.
  struct KillAll {
    std::vector<pid_t>& pids;
    ~KillAll() {
      for (pid_t p : pids)
        if (p > 0) kill(p, SIGKILL), waitpid(p, nullptr, 0);
    }
  } kill_all{sups};

  for (int i = 0; i < kJails; ++i) {
    const std::string line = "jail " + std::to_string(i) + "\n";
    for (;;) {
      int err = 0;
      std::string why = round_trip(port0 + i, line, err);
      if (why.empty()) break;
      int status = 0;
      if (waitpid(sups[i], &status, WNOHANG) == sups[i]) {
        sups[i] = -1;
        FAIL() << "jail " << i << " exited (status " << status << ") before it answered: "
               << head_of(dir / (std::to_string(i) + ".err"));
      }
      ASSERT_EQ(err, ECONNREFUSED) << "jail " << i << " on port " << port0 + i << ": " << why;
      usleep(20000);
    }
  }

  // Each jail is a supervisor, its init, and the server; all of them go.
  std::vector<pid_t> tree;
  for (pid_t sup : sups) {
    auto inits = kids(sup);
    ASSERT_EQ(inits.size(), 1u) << "zjail " << sup << " has " << inits.size() << " children";
    auto payload = kids(inits[0]);
    ASSERT_EQ(payload.size(), 1u) << "the init " << inits[0] << " has " << payload.size() << " children";
    tree.insert(tree.end(), {sup, inits[0], payload[0]});
  }

  for (pid_t p : sups) ASSERT_EQ(kill(p, SIGTERM), 0) << strerror(errno);
  int not_zero = 0;
  std::string first_bad;
  for (int i = 0; i < kJails; ++i) {
    int status = 0;
    ASSERT_EQ(waitpid(sups[i], &status, 0), sups[i]) << strerror(errno);
    sups[i] = -1;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) continue;
    if (not_zero++ == 0)
      first_bad = "jail " + std::to_string(i) + " status " + std::to_string(status) + ": " +
                  head_of(dir / (std::to_string(i) + ".err"));
  }
  EXPECT_EQ(not_zero, 0) << "jails that did not exit 0 on SIGTERM; the first: " << first_bad;

  std::vector<pid_t> alive;
  for (pid_t p : tree)
    if (kill(p, 0) == 0) alive.push_back(p);
  EXPECT_TRUE(alive.empty()) << alive.size() << " processes of the jails are left, the first " << alive[0];
  int listening = 0;
  for (int i = 0; i < kJails; ++i) {
    int err = 0;
    round_trip(port0 + i, "x", err);
    listening += err != ECONNREFUSED;
  }
  EXPECT_EQ(listening, 0) << "ports still accepting after every zjail exited";
  // The kernel frees a network namespace from a workqueue after its last
  // process is gone; give that a little time.
  std::string added;
  for (int tries = 0; tries < 100; ++tries) {
    added = HostState::now().added_since(before);
    if (added.empty()) break;
    usleep(100000);
  }
  EXPECT_EQ(added, "") << "left behind by " << kJails << " jails:" << added;
#endif
}

// One process more than the host allows, at each place zjail makes one: the
// error names the limits to raise, with their values. A pids cgroup of one
// process (then two) holding zjail stands in for kernel.pid_max, which a
// test cannot lower on a shared host.
TEST_F(HostLimits, OneProcessTooManyNamesThePidLimits) {
  std::string cg;
  if (access("/sys/fs/cgroup/pids/cgroup.procs", W_OK) == 0)
    cg = "/sys/fs/cgroup/pids";  // cgroup v1
  else if (read_file("/sys/fs/cgroup/cgroup.subtree_control").find("pids") != std::string::npos)
    cg = "/sys/fs/cgroup";  // v2, with pids enabled for the root's children
  else
    GTEST_SKIP() << "\n*** HostLimits SKIPPED: no pids cgroup controller that root can use here "
                    "(neither cgroup v1's pids hierarchy nor pids in /sys/fs/cgroup/cgroup.subtree_control). ***";
  cg += "/zjail-test-pids-" + std::to_string(getpid());
  ASSERT_EQ(mkdir(cg.c_str(), 0755), 0) << cg << ": " << strerror(errno);
  struct Remove {
    std::string path;
    ~Remove() { rmdir(path.c_str()); }
  } remove{cg};
  const std::string sysctl = "kernel.pid_max=" + read_file("/proc/sys/kernel/pid_max");
  for (auto [max, step, what] : {std::tuple{"1", "clone", "clone3 with new namespaces"},
                                 std::tuple{"2", "fork-payload", "fork the payload"}}) {
    std::ofstream(cg + "/pids.max") << max;
    // sh's echo and exec make no process: zjail is the cgroup's first.
    auto r = run_command({"/bin/sh", "-c", "echo $$ >" + cg + "/cgroup.procs && exec \"$0\" --profile base-service /bin/true",
                          kZjail});
    EXPECT_EQ(r.code, kExitFailure) << r.dump();
    auto lines = r.err_lines();
    ASSERT_EQ(lines.size(), 1u) << r.dump();
    EXPECT_THAT(lines[0], HasSubstr(what)) << r.dump();
    EXPECT_THAT(lines[0], HasSubstr(sysctl.substr(0, sysctl.find('\n')))) << r.dump();
    EXPECT_THAT(lines[0], HasSubstr("the cgroup's pids.max")) << r.dump();
    EXPECT_THAT(lines[0], HasSubstr(std::string(strerror(EAGAIN)) + " (step: " + step + ")")) << r.dump();
  }
}

// One namespace more than the host allows: in a user namespace of its own
// whose user.max_net_namespaces is 0 (a limit each user namespace keeps for
// itself, so the host's is not touched), zjail's clone names the limits.
TEST_F(HostLimits, OneNamespaceTooManyNamesTheNamespaceLimits) {
  if (access("/usr/bin/unshare", X_OK) != 0)
    GTEST_SKIP() << "\n*** HostLimits SKIPPED: no /usr/bin/unshare (util-linux) to make the user namespace. ***";
  auto r = run_command({"/usr/bin/unshare", "-U", "-r", "/bin/sh", "-c",
                        "echo 0 >/proc/sys/user/max_net_namespaces && exec \"$0\" -- /bin/true", kZjail});
  EXPECT_EQ(r.code, kExitFailure) << r.dump();
  auto lines = r.err_lines();
  ASSERT_EQ(lines.size(), 1u) << r.dump();
  EXPECT_THAT(lines[0], HasSubstr("clone3 with new namespaces (limits: user.max_*_namespaces")) << r.dump();
  EXPECT_THAT(lines[0], HasSubstr(std::string(strerror(ENOSPC)) + " (step: clone)")) << r.dump();
}

}  // namespace
}  // namespace zjail_test
