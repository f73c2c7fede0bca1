// zjail export --format oci, run by the real engine: each profile is
// exported into a bundle with an empty rootfs, `crun run` starts it on this
// host, and the payload's own client gets its answer. The echo server lives
// in the container's private network, so its client joins that namespace
// (nsenter --net); the daemons share the host's (network-service), so
// theirs connect on the host's loopback.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "harness.hpp"

namespace zjail_test {
namespace {

using ::testing::HasSubstr;

constexpr const char* kCrun = "/usr/bin/crun";
constexpr const char* kNsenter = "/usr/bin/nsenter";
constexpr const char* kBash = "/bin/bash";

// crun 1.8 refuses a hybrid cgroup layout whose v2 hierarchy holds a
// controller ("cgroups in hybrid mode not supported"), as this host's
// /sys/fs/cgroup/unified does (hugetlb). There crun runs in a mount
// namespace of its own without that hierarchy, and sees cgroup v1 alone.
bool hybrid_with_v2_controllers() {
  std::ifstream in("/sys/fs/cgroup/unified/cgroup.controllers");
  std::string c;
  return in && std::getline(in, c) && !c.empty();
}

std::vector<std::string> crun(std::vector<std::string> args) {
  std::vector<std::string> argv{kCrun};
  if (hybrid_with_v2_controllers())
    argv = {"/usr/bin/unshare", "--mount", "--", "/bin/sh", "-c",
            "umount -l /sys/fs/cgroup/unified && exec /usr/bin/crun \"$@\"", "crun"};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A bundle: config.json from `zjail export --format oci`, an empty rootfs.
class Bundle {
 public:
  Bundle(const std::vector<std::string>& profiles, const std::vector<std::string>& command) {
    std::vector<std::string> args{"export", "--format", "oci"};
    for (const auto& p : profiles) args.insert(args.end(), {"--profile", p});
    args.insert(args.end(), {"--output", dir_ / "config.json", "--"});
    args.insert(args.end(), command.begin(), command.end());
    exported = run(args);
    mkdir((dir_ / "rootfs").c_str(), 0755);
    id_ = "zjail-oci-test-" + std::to_string(getpid()) + "-" + std::to_string(++counter_);
  }
  ~Bundle() { stop(); }

  const std::string& dir() const { return dir_.path(); }
  const std::string& id() const { return id_; }
  std::string config() const { return read_file(dir_ / "config.json"); }

  // crun run in the background, its output into the bundle's log.
  void start() {
    std::string log = dir_ / "crun.log";
    pid_ = fork();
    if (pid_ == 0) {
      // crun hands its stdio to the payload's user (fchown): never the
      // host's /dev/null, only files of the bundle's own.
      int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
      int empty = open((dir_ / "stdin").c_str(), O_RDONLY | O_CREAT | O_CLOEXEC, 0600);
      dup2(empty, 0);
      dup2(fd, 1);
      dup2(fd, 2);
      auto argv = crun({"run", "--bundle", dir_.path(), id_});
      std::vector<char*> cargv;
      for (auto& a : argv) cargv.push_back(a.data());
      cargv.push_back(nullptr);
      execv(cargv[0], cargv.data());
      _exit(127);
    }
  }
  // The payload's host pid once crun reports it running; 0 if it never does.
  pid_t payload_pid(int timeout_ms = 5000) const {
    for (int waited = 0; waited < timeout_ms; waited += 50) {
      auto st = run_command(crun({"state", id_}));
      size_t at = st.out.find("\"pid\"");
      if (st.code == 0 && st.out.find("\"running\"") != std::string::npos && at != std::string::npos)
        return static_cast<pid_t>(std::atoi(st.out.c_str() + st.out.find(':', at) + 1));
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return 0;
  }
  // crun run to its end (the payload's status), or -1 after the timeout.
  int wait(int timeout_ms) {
    for (int waited = 0; pid_ > 0 && waited < timeout_ms; waited += 20) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return -1;
  }
  std::string log() const { return read_file(dir_ / "crun.log"); }
  void stop() {
    if (pid_ > 0) {
      run_command(crun({"kill", id_, "KILL"}));
      if (wait(3000) < 0) {
        kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
      }
      pid_ = -1;
    }
    run_command(crun({"delete", "--force", id_}));
  }

  RunResult exported;

 private:
  TempDir dir_;
  std::string id_;
  pid_t pid_ = -1;
  static inline int counter_ = 0;
};

class OciRun : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "crun runs the exported bundles as root";
    if (access(kCrun, X_OK) != 0) GTEST_SKIP() << "no " << kCrun << " (tests/setup.sh installs crun)";
  }
};

// The client's line until it answers (the payload may still be starting).
RunResult ask(const std::vector<std::string>& client, const std::string& want, int timeout_ms = 5000) {
  RunResult r;
  for (int waited = 0; waited < timeout_ms; waited += 100) {
    r = run_command(client, with_timeout(3000));
    if (r.code == 0 && r.out.find(want) != std::string::npos) return r;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return r;
}

TEST_F(OciRun, BaseServiceRunsACommandAndGivesItsStatus) {
  Bundle b({"base-service"}, {"/bin/sh", "-c", "test \"$(id -u)\" = 65534 && test ! -e /etc/passwd && exit 3"});
  ASSERT_EQ(b.exported.code, 0) << b.exported.dump();
  b.start();
  EXPECT_EQ(b.wait(10000), 3) << b.log() << b.config();
}

TEST_F(OciRun, NoCommandIsRefusedAndWritesNothing) {
  Bundle b({"base-service"}, {});
  EXPECT_EQ(b.exported.code, kExitFailure) << b.exported.dump();
  EXPECT_THAT(b.exported.err, HasSubstr("needs the command"));
  EXPECT_FALSE(exists(b.dir() + "/config.json"));
}

// The demo: echo's server, not shown by the jail, bound read-only at
// /run/host/command/echo; it binds port 7 itself in the container's
// network, which the client joins.
#ifdef ZJAIL_ECHO
TEST_F(OciRun, EchoAnswersInItsOwnNetwork) {
  Bundle b({"echo"}, {ZJAIL_ECHO});
  ASSERT_EQ(b.exported.code, 0) << b.exported.dump();
  EXPECT_THAT(b.config(), HasSubstr("\"/run/host/command/echo\""));
  b.start();
  pid_t pid = b.payload_pid();
  ASSERT_GT(pid, 0) << b.log();
  std::string net = "--net=/proc/" + std::to_string(pid) + "/ns/net";
  auto r = ask({kNsenter, net, "--", kBash, "-c",
                "exec 3<>/dev/tcp/127.0.0.1/7 && printf 'hello over oci\\n' >&3 && head -n 1 <&3"},
               "hello over oci");
  EXPECT_EQ(r.out, "hello over oci\n") << r.dump() << b.log();
  // The host's own port 7 is not the container's.
  auto host = run_command({kBash, "-c", "exec 3<>/dev/tcp/127.0.0.1/7"});
  EXPECT_NE(host.code, 0) << "port 7 answered on the host's loopback";
  // What the server saw of itself: nobody, its hostname, no capabilities.
  b.stop();
  std::string seen = b.log();
  EXPECT_THAT(seen, HasSubstr("uid: 65534"));
  EXPECT_THAT(seen, HasSubstr("hostname: echo"));
  EXPECT_THAT(seen, HasSubstr("CapEff: 0000000000000000"));
  EXPECT_THAT(seen, HasSubstr("NoNewPrivs: 1"));
  EXPECT_THAT(seen, HasSubstr("Seccomp: 2"));
}
#endif

// A Debian daemon under its shipped profile, exported and run by crun,
// answering its own client on a loopback port of the host's network.
struct Daemon {
  const char* profile;
  const char* binary;
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> dirs;  // made for crun as zjail would: path, owner
  std::vector<std::string> client;
  const char* answer;
  const char* memory_max;  // the profile's MemoryMax= and TasksMax=, as the cgroup holds them
  const char* tasks_max;
};

// A cgroup file of the payload's: v1 under its controller's hierarchy,
// else v2's (crun runs on either).
std::string cgroup_value(pid_t pid, const std::string& controller, const std::string& v1, const std::string& v2) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cgroup");
  std::string line, unified;
  while (std::getline(in, line)) {
    size_t a = line.find(':'), b = line.find(':', a + 1);
    std::string names = line.substr(a + 1, b - a - 1), path = line.substr(b + 1);
    if (names == controller) return read_file("/sys/fs/cgroup/" + controller + path + "/" + v1);
    if (names.empty()) unified = path;
  }
  return read_file("/sys/fs/cgroup" + unified + "/" + v2);
}

void PrintTo(const Daemon& d, std::ostream* os) { *os << d.profile; }

class OciDaemon : public OciRun, public ::testing::WithParamInterface<Daemon> {};

TEST_P(OciDaemon, AnswersItsClient) {
  const Daemon& d = GetParam();
  if (access(d.binary, X_OK) != 0) GTEST_SKIP() << "no " << d.binary << " (tests/setup.sh installs it)";
  // zjail makes RuntimeDirectory= and its kin on the host; crun binds what
  // is there (a loss the export lists).
  for (const auto& [path, owner] : d.dirs) {
    auto r = run_command({"/usr/bin/install", "-d", "-o", owner, "-g", owner, path});
    ASSERT_EQ(r.code, 0) << r.dump();
  }
  std::vector<std::string> command{d.binary};
  command.insert(command.end(), d.args.begin(), d.args.end());
  Bundle b({d.profile}, command);
  ASSERT_EQ(b.exported.code, 0) << b.exported.dump();
  b.start();
  pid_t pid = b.payload_pid();
  ASSERT_GT(pid, 0) << b.log();
  auto r = ask(d.client, d.answer);
  EXPECT_THAT(r.out, HasSubstr(d.answer)) << r.dump() << b.log();
  // The limits came with it (linux.resources).
  EXPECT_EQ(cgroup_value(pid, "memory", "memory.limit_in_bytes", "memory.max"), std::string(d.memory_max) + "\n");
  EXPECT_EQ(cgroup_value(pid, "pids", "pids.max", "pids.max"), std::string(d.tasks_max) + "\n");
  b.stop();
}

INSTANTIATE_TEST_SUITE_P(
    Debian, OciDaemon,
    ::testing::Values(
        Daemon{"memcached", "/usr/bin/memcached", {"-l", "127.0.0.1", "-p", "21211", "-U", "0"}, {},
               {kBash, "-c",
                "exec 3<>/dev/tcp/127.0.0.1/21211 && printf 'set zjail 0 0 3\\r\\noci\\r\\nget zjail\\r\\nquit\\r\\n' >&3"
                " && cat <&3"},
               "VALUE zjail 0 3\r\noci\r\nEND", "268435456", "32"},
        Daemon{"redis-server", "/usr/bin/redis-server",
               {"--port", "26379", "--bind", "127.0.0.1", "--save", "", "--dir", "/var/lib/redis", "--logfile", ""},
               {{"/run/redis", "redis"}, {"/var/lib/redis", "redis"}, {"/var/log/redis", "redis"}},
               {"/usr/bin/redis-cli", "-p", "26379", "eval", "redis.call('set','zjail','oci') return redis.call('get','zjail')", "0"},
               "oci", "1073741824", "64"},
        Daemon{"mosquitto", "/usr/sbin/mosquitto", {"-p", "21883"},
               {{"/run/mosquitto", "mosquitto"}, {"/var/lib/mosquitto", "mosquitto"}, {"/var/log/mosquitto", "mosquitto"}},
               {kBash, "-c",
                "mosquitto_pub -p 21883 -h 127.0.0.1 -r -t zjail/oci -m retained-over-oci && "
                "mosquitto_sub -p 21883 -h 127.0.0.1 -t zjail/oci -C 1 -W 3"},
               "retained-over-oci", "536870912", "16"}),
    [](const ::testing::TestParamInfo<Daemon>& p) {
      std::string n = p.param.profile;
      for (char& c : n)
        if (c == '-') c = '_';
      return n;
    });

}  // namespace
}  // namespace zjail_test
