#include "harness.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "host_kernel.hpp"

extern char** environ;

namespace zjail_test {
namespace {

long long now_ms() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

int shell_code(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

std::vector<std::string> split_lines(const std::string& s, bool skip_empty) {
  std::vector<std::string> out;
  std::istringstream in(s);
  std::string l;
  while (std::getline(in, l))
    if (!skip_empty || !l.empty()) out.push_back(l);
  return out;
}

// Forks and execs `argv`, stdin from /dev/null, stdout/stderr into pipes.
pid_t spawn(const std::vector<std::string>& argv, const RunOptions& opt, int& out_fd, int& err_fd) {
  int o[2], e[2];
  if (pipe2(o, O_CLOEXEC) < 0 || pipe2(e, O_CLOEXEC) < 0) return -1;
  std::vector<std::string> env;
  for (char** p = environ; *p; ++p) env.emplace_back(*p);
  env.push_back(std::string("ZJAIL_PROFILE_PATH=") + ZJAIL_TEST_PROFILE_PATH);
  for (const auto& kv : opt.extra_env) env.push_back(kv);
  std::vector<char*> cargv, cenv;
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  for (const auto& kv : env) cenv.push_back(const_cast<char*>(kv.c_str()));
  cenv.push_back(nullptr);

  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    int devnull = open("/dev/null", O_RDONLY);
    dup2(devnull, 0);
    if (!opt.input.empty()) {
      // Fits in the pipe's buffer: written whole before zjail starts.
      int in[2];
      if (pipe(in) < 0 || write(in[1], opt.input.data(), opt.input.size()) != static_cast<ssize_t>(opt.input.size()) ||
          dup2(in[0], 0) < 0)
        _exit(124);
      close(in[0]);
      close(in[1]);
    }
    if (!opt.tty.empty()) {
      // A new session whose controlling terminal is the pty, as in a login.
      setsid();
      int t = open(opt.tty.c_str(), O_RDWR);
      if (t < 0 || dup2(t, 0) < 0) _exit(123);
      if (t > 2) close(t);
    }
    dup2(o[1], 1);
    dup2(e[1], 2);
    if (devnull > 2) close(devnull);
    if (!opt.cwd.empty() && chdir(opt.cwd.c_str()) < 0) _exit(121);
    if (!opt.leak_path.empty()) {
      // What a careless caller (a shell, a service manager) leaves open.
      int fd = open(opt.leak_path.c_str(), O_RDWR | O_CREAT, 0600);
      if (fd < 0 || dup2(fd, 10) < 0 || dup2(fd, 251) < 0) _exit(122);
      if (fd != 10 && fd != 251) close(fd);
    }
    if (opt.activation_fd >= 0) {
      // systemd's socket activation: fd 3 onwards, LISTEN_PID naming the process it execs.
      if (opt.activation_fd == 3 ? fcntl(3, F_SETFD, 0) < 0 : dup2(opt.activation_fd, 3) < 0) _exit(120);
      static std::string listen_pid;
      listen_pid = "LISTEN_PID=" + std::to_string(getpid());
      cenv.back() = const_cast<char*>("LISTEN_FDS=1");
      cenv.push_back(const_cast<char*>(listen_pid.c_str()));
      cenv.push_back(nullptr);
    }
    execve(argv[0].c_str(), cargv.data(), cenv.data());
    _exit(errno == ENOENT ? 127 : 126);
  }
  close(o[1]);
  close(e[1]);
  out_fd = o[0];
  err_fd = e[0];
  return pid;
}

// Reads whatever is available from fd into buf; false at EOF.
bool drain(int fd, std::string& buf) {
  char tmp[4096];
  ssize_t n = read(fd, tmp, sizeof tmp);
  if (n > 0) {
    buf.append(tmp, static_cast<size_t>(n));
    return true;
  }
  return n < 0 && errno == EINTR;
}

// Pumps both pipes until both hit EOF or the deadline passes.
bool pump(int& out_fd, int& err_fd, std::string& out, std::string& err, long long deadline) {
  while (out_fd >= 0 || err_fd >= 0) {
    pollfd p[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
    long long left = deadline - now_ms();
    if (left <= 0) return false;
    if (poll(p, 2, static_cast<int>(left)) < 0 && errno != EINTR) return false;
    if (out_fd >= 0 && (p[0].revents & (POLLIN | POLLHUP)) && !drain(out_fd, out)) {
      close(out_fd);
      out_fd = -1;
    }
    if (err_fd >= 0 && (p[1].revents & (POLLIN | POLLHUP)) && !drain(err_fd, err)) {
      close(err_fd);
      err_fd = -1;
    }
  }
  return true;
}

RunResult finish(pid_t pid, int& out_fd, int& err_fd, std::string out, std::string err, int timeout_ms) {
  RunResult r;
  long long deadline = now_ms() + timeout_ms;
  bool ok = pump(out_fd, err_fd, out, err, deadline);
  int status = 0;
  while (ok) {
    pid_t w = waitpid(pid, &status, WNOHANG);
    if (w == pid) break;
    if (now_ms() > deadline) {
      ok = false;
      break;
    }
    usleep(10000);
  }
  if (!ok) {
    r.timed_out = true;
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
  }
  if (out_fd >= 0) close(out_fd);
  if (err_fd >= 0) close(err_fd);
  out_fd = err_fd = -1;
  r.status = status;
  r.code = r.timed_out ? -1 : shell_code(status);
  r.out = std::move(out);
  r.err = std::move(err);
  return r;
}

int nftw_remove(const char* path, const struct stat*, int, FTW*) {
  remove(path);
  return 0;
}

}  // namespace

std::vector<std::string> RunResult::lines() const { return split_lines(out, false); }
std::vector<std::string> RunResult::err_lines() const { return split_lines(err, true); }

std::optional<std::string> RunResult::line(const std::string& prefix) const {
  for (const auto& l : lines())
    if (l.rfind(prefix + " ", 0) == 0 || l == prefix) return l;
  return std::nullopt;
}

std::string RunResult::dump() const {
  std::ostringstream s;
  s << "exit " << code << (timed_out ? " (TIMED OUT)" : "") << "\n--- stdout ---\n"
    << out << "--- stderr ---\n" << err << "---";
  return s.str();
}

RunResult run(const std::vector<std::string>& args, const RunOptions& opt) {
  std::vector<std::string> argv{kZjail};
  argv.insert(argv.end(), args.begin(), args.end());
  int o = -1, e = -1;
  pid_t pid = spawn(argv, opt, o, e);
  if (pid < 0) {
    RunResult r;
    r.err = std::string("fork/pipe failed: ") + std::strerror(errno);
    return r;
  }
  return finish(pid, o, e, "", "", opt.timeout_ms);
}

RunResult jail(const std::vector<std::string>& overrides, const std::vector<std::string>& probe_args,
               const RunOptions& opt) {
  std::vector<std::string> args{"--profile", kProfile};
  args.insert(args.end(), overrides.begin(), overrides.end());
  args.push_back("--");
  args.push_back(kProbe);
  args.insert(args.end(), probe_args.begin(), probe_args.end());
  return run(args, opt);
}

RunResult unjailed(const std::vector<std::string>& probe_args, const RunOptions& opt) {
  std::vector<std::string> argv{kProbe};
  argv.insert(argv.end(), probe_args.begin(), probe_args.end());
  return run_command(argv, opt);
}

RunResult run_command(const std::vector<std::string>& argv, const RunOptions& opt) {
  int o = -1, e = -1;
  pid_t pid = spawn(argv, opt, o, e);
  if (pid < 0) return RunResult{};
  return finish(pid, o, e, "", "", opt.timeout_ms);
}

Spawned::Spawned(const std::vector<std::string>& args, const RunOptions& opt) {
  std::vector<std::string> argv{kZjail};
  argv.insert(argv.end(), args.begin(), args.end());
  pid_ = spawn(argv, opt, out_, err_);
}

Spawned::~Spawned() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  if (out_ >= 0) close(out_);
  if (err_ >= 0) close(err_);
}

std::string Spawned::wait_line(const std::string& prefix, int timeout_ms) {
  long long deadline = now_ms() + timeout_ms;
  for (;;) {
    size_t nl;
    while ((nl = out_buf_.find('\n', scanned_)) != std::string::npos) {
      std::string l = out_buf_.substr(scanned_, nl - scanned_);
      scanned_ = nl + 1;
      if (l.rfind(prefix, 0) == 0) return l;
    }
    long long left = deadline - now_ms();
    if (out_ < 0 || left <= 0) return "";
    pollfd p[2] = {{out_, POLLIN, 0}, {err_, POLLIN, 0}};
    if (poll(p, 2, static_cast<int>(left)) < 0 && errno != EINTR) return "";
    if ((p[0].revents & (POLLIN | POLLHUP)) && !drain(out_, out_buf_)) {
      close(out_);
      out_ = -1;
    }
    if (err_ >= 0 && (p[1].revents & (POLLIN | POLLHUP)) && !drain(err_, err_buf_)) {
      close(err_);
      err_ = -1;
    }
  }
}

RunResult Spawned::wait(int timeout_ms) {
  RunResult r = finish(pid_, out_, err_, out_buf_, err_buf_, timeout_ms);
  pid_ = -1;
  return r;
}

TempDir::TempDir() {
  char tmpl[] = "/tmp/zjail-root-test-XXXXXX";
  if (mkdtemp(tmpl)) path_ = tmpl;
  chmod(path_.c_str(), 0755);
}

TempDir::~TempDir() {
  // FTW_MOUNT: never descend into anything mounted below (there should be
  // nothing, but a broken jail must not make the cleanup delete host files).
  if (!path_.empty()) nftw(path_.c_str(), nftw_remove, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

void TempDir::write(const std::string& name, const std::string& data, mode_t mode) const {
  std::string p = *this / name;
  std::ofstream(p, std::ios::trunc) << data;
  chmod(p.c_str(), mode);
}

bool exists(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0;
}

std::string exe_of(pid_t pid) {
  char buf[4096] = {};
  ssize_t n = readlink(("/proc/" + std::to_string(pid) + "/exe").c_str(), buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
}

bool wait_for_exe(pid_t pid, const std::string& suffix, int timeout_ms) {
  for (int waited = 0; waited <= timeout_ms; waited += 20) {
    if (exe_of(pid).ends_with(suffix)) return true;
    usleep(20000);
  }
  return false;
}

std::vector<pid_t> children_of(pid_t parent) {
  std::vector<pid_t> out;
  if (DIR* d = opendir("/proc")) {
    while (dirent* e = readdir(d)) {
      char* end;
      long pid = std::strtol(e->d_name, &end, 10);
      if (*end || pid <= 0) continue;
      std::string stat = read_file(std::string("/proc/") + e->d_name + "/stat");
      size_t rp = stat.rfind(')');
      if (rp == std::string::npos) continue;
      std::istringstream in(stat.substr(rp + 1));
      std::string state;
      long ppid = 0;
      if (in >> state >> ppid && ppid == parent) out.push_back(static_cast<pid_t>(pid));
    }
    closedir(d);
  }
  return out;
}

int landlock_abi() {
  long v = syscall(SYS_landlock_create_ruleset, nullptr, 0, 1U << 0);  // LANDLOCK_CREATE_RULESET_VERSION
  return v > 0 ? static_cast<int>(v) : 0;
}

std::string read_file(const std::string& path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

std::map<std::string, std::string> host_namespaces() {
  std::map<std::string, std::string> out;
  if (DIR* d = opendir("/proc/self/ns")) {
    while (dirent* e = readdir(d)) {
      if (e->d_name[0] == '.') continue;
      char buf[256];
      std::string p = std::string("/proc/self/ns/") + e->d_name;
      ssize_t n = readlink(p.c_str(), buf, sizeof buf - 1);
      if (n > 0) out[e->d_name] = std::string(buf, static_cast<size_t>(n));
    }
    closedir(d);
  }
  return out;
}

std::string outcome(const RunResult& r, const std::string& name) {
  for (const auto& l : r.lines()) {
    std::istringstream in(l);
    std::string verdict, n, third;
    in >> verdict >> n >> third;
    if (n != name) continue;
    if (verdict == "PASS") return "PASS";
    if (verdict != "FAIL" && verdict != "ERROR") continue;
    std::string prefix = verdict == "ERROR" ? "ERROR:" : "";
    size_t eq = third.find('=');
    return prefix + (eq == std::string::npos ? third : third.substr(eq + 1));
  }
  return "";
}

std::vector<std::string> status_field(const RunResult& r, const std::string& key) {
  for (const auto& l : r.lines()) {
    if (l.rfind(key + ":", 0) != 0) continue;
    std::vector<std::string> out;
    std::istringstream in(l.substr(key.size() + 1));
    std::string w;
    while (in >> w) out.push_back(w);
    return out;
  }
  return {"<missing " + key + ">"};
}

std::vector<std::string> mount_points(const RunResult& r) {
  std::vector<std::string> out;
  for (const auto& l : r.lines()) {
    std::istringstream in(l);
    std::string tag, point;
    if (in >> tag >> point && tag == "MOUNT") out.push_back(point);
  }
  return out;
}

std::map<std::string, std::string> mount_options(const RunResult& r) {
  std::map<std::string, std::string> out;
  for (const auto& l : r.lines()) {
    std::istringstream in(l);
    std::string tag, point, opts;
    if (in >> tag >> point >> opts && tag == "MOUNT") out[point] = opts;  // the top mount wins
  }
  return out;
}

std::string zjail_cannot_run_here() {
  static const std::string why = [] {
    // Every jail gets all of them (plan.cpp: clone flags, then the cgroup
    // namespace from the child); the shipped profiles keep PrivateNetwork=.
    for (const char* kind : {"user", "pid", "mnt", "uts", "ipc", "net", "cgroup", "time"}) {
      std::string r = zjail_host::namespace_unavailable(kind);
      if (!r.empty()) return r + "; zjail gives every jail its own";
    }
    if (!getpwnam("nobody")) return std::string("this host has no user 'nobody' (the shipped profiles' User=)");
    if (!getgrnam("nogroup")) return std::string("this host has no group 'nogroup' (the shipped profiles' Group=)");
    return std::string();
  }();
  return why;
}

uid_t nobody_uid() {
  passwd* pw = getpwnam("nobody");
  return pw ? pw->pw_uid : 65534;
}

void RootTest::SetUp() {
  if (geteuid() != 0)
    GTEST_SKIP() << "\n*** zjail root tier SKIPPED: these tests launch the real zjail as root and "
                    "must run as root (euid is "
                 << geteuid() << "). Run `sudo ctest -L root`. ***";
  if (needs_zjail()) {
    std::string why = zjail_cannot_run_here();
    if (!why.empty()) GTEST_SKIP() << "\n*** zjail root test SKIPPED: " << why << ". ***";
    ASSERT_EQ(access(kZjail, X_OK), 0) << "zjail binary missing: " << kZjail;
  }
  ASSERT_EQ(access(kProbe, X_OK), 0) << "probe missing: " << kProbe;
}

}  // namespace zjail_test
