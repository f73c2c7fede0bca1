// The root tier's harness: runs the real zjail binary (fork/exec with pipes
// and a timeout) with the probe as payload, and reads the probe's lines.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/types.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace zjail_test {

inline constexpr const char* kZjail = ZJAIL_BIN;
inline constexpr const char* kProbe = ZJAIL_PROBE;
inline constexpr const char* kProfile = "root-test";
inline constexpr int kExitFailure = 125;

struct RunOptions {
  std::string cwd;                   // "" keeps the harness's
  std::string leak_path;             // open it at fd 10 and fd 251 (no O_CLOEXEC) before exec
  std::string tty;                   // a pty slave: zjail gets it as stdin and controlling tty
  int timeout_ms = 20000;
  std::vector<std::string> extra_env;  // KEY=VALUE added to zjail's environment
  std::string input;                 // non-empty: stdin is a pipe holding it (< 64 KiB)
  int activation_fd = -1;            // >= 0: zjail gets it as fd 3 with LISTEN_FDS=1 and its own LISTEN_PID,
                                     // as systemd's socket activation hands a .socket unit's socket
};

inline RunOptions in_dir(std::string dir) {
  RunOptions o;
  o.cwd = std::move(dir);
  return o;
}
inline RunOptions leaking(std::string path) {
  RunOptions o;
  o.leak_path = std::move(path);
  return o;
}
inline RunOptions with_env(std::vector<std::string> env) {
  RunOptions o;
  o.extra_env = std::move(env);
  return o;
}
inline RunOptions on_tty(std::string slave) {
  RunOptions o;
  o.tty = std::move(slave);
  return o;
}
inline RunOptions with_timeout(int ms) {
  RunOptions o;
  o.timeout_ms = ms;
  return o;
}

struct RunResult {
  int status = 0;          // raw wait status
  int code = -1;           // exit code, or 128+N for signal N, like a shell
  bool timed_out = false;
  std::string out, err;

  std::vector<std::string> lines() const;      // stdout lines
  std::vector<std::string> err_lines() const;  // non-empty stderr lines
  // The first stdout line that starts with `prefix` + " ".
  std::optional<std::string> line(const std::string& prefix) const;
  std::string dump() const;                    // for assertion messages
};

// zjail ARGS... (argv[0] is zjail itself).
RunResult run(const std::vector<std::string>& args, const RunOptions& opt = {});
// zjail --profile root-test OVERRIDES... -- zjail_probe PROBE_ARGS...
RunResult jail(const std::vector<std::string>& overrides, const std::vector<std::string>& probe_args,
               const RunOptions& opt = {});
// The probe run directly, without zjail (the "unjailed" baseline).
RunResult unjailed(const std::vector<std::string>& probe_args, const RunOptions& opt = {});
// Any command run directly (argv[0] a path), as run() runs zjail.
RunResult run_command(const std::vector<std::string>& argv, const RunOptions& opt = {});

// A zjail running in the background, for signal tests.
class Spawned {
 public:
  explicit Spawned(const std::vector<std::string>& args, const RunOptions& opt = {});
  ~Spawned();  // SIGKILLs and reaps if still running
  Spawned(const Spawned&) = delete;
  Spawned& operator=(const Spawned&) = delete;

  pid_t pid() const { return pid_; }
  // Reads stdout until a line starting with `prefix` arrives; "" on timeout/EOF.
  std::string wait_line(const std::string& prefix, int timeout_ms = 10000);
  // Waits for exit; the rest of stdout/stderr is collected.
  RunResult wait(int timeout_ms = 20000);

 private:
  pid_t pid_ = -1;
  int out_ = -1, err_ = -1;
  std::string out_buf_, err_buf_;
  size_t scanned_ = 0;
};

// A host directory that nobody (the jail's user) may write, removed with
// everything in it at the end.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }
  void write(const std::string& name, const std::string& data, mode_t mode = 0644) const;

 private:
  std::string path_;
};

bool exists(const std::string& path);
// The children of `parent` (for zjail: the jail's init).
std::vector<pid_t> children_of(pid_t parent);
// What /proc/PID/exe points to ("" once it is gone).
std::string exe_of(pid_t pid);
// Waits until `pid` runs a binary whose path ends with `suffix` (a zjail
// supervisor or init that handed over runs "/zjail-init"); false on timeout.
bool wait_for_exe(pid_t pid, const std::string& suffix, int timeout_ms = 5000);
std::string read_file(const std::string& path);
// The kernel's Landlock ABI version, 0 without Landlock.
int landlock_abi();
// name -> "mnt:[4026531832]" for every /proc/self/ns/* of the harness.
std::map<std::string, std::string> host_namespaces();
// "FAIL name errno=EPERM ..." -> "EPERM"; "PASS name" -> "PASS";
// "FAIL name signal=SIGSYS" -> "SIGSYS"; "" when the probe printed no line.
std::string outcome(const RunResult& r, const std::string& name);
// A "Key:\tv1\tv2..." line of the status probe, as its fields.
std::vector<std::string> status_field(const RunResult& r, const std::string& key);
// Mount points, in order, from the mounts probe; and the full line of one.
std::vector<std::string> mount_points(const RunResult& r);
std::map<std::string, std::string> mount_options(const RunResult& r);  // point -> per-mount opts

// Why zjail cannot launch a jail on this host at all (a namespace the
// kernel refuses root, a user or group the shipped profiles name is
// missing); "" if it can. RootTest skips on it, loudly.
std::string zjail_cannot_run_here();
// The uid of the shipped profiles' User=nobody on this host.
uid_t nobody_uid();

// Skips the test, loudly, unless the harness runs as root on a host where
// zjail can run at all (zjail_cannot_run_here()).
class RootTest : public ::testing::Test {
 protected:
  void SetUp() override;
  // The unjailed baselines need only the probe.
  virtual bool needs_zjail() const { return true; }
};

}  // namespace zjail_test
