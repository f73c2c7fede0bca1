// The escape probes themselves (probes.cpp). Each attempts one escape, for
// real, and returns what happened; battery.cpp runs it in a forked child and
// turns the outcome into the battery's output line.
#pragma once

#include <set>
#include <string>

namespace zjail_escape {

struct Options {
  long outside_pid = 0;
  long key = 0;
  std::string key_desc = "zjail-escape-canary";  // what keyring-canary-search looks for
  std::string abstract;  // name without the leading NUL
  int tcp_port = 0;
  std::string suid, fcap, blockdev;
  long shm_key = 0;
  std::string marker;  // host files /dev/shm/<marker> and /tmp/<marker>
  std::string dirfd_socket;  // a host process hands out a directory fd here (host_secret_dir())
  std::set<int> inherited_fds;  // open when the battery started
  // --kernel-closed: probes whose way out the host's kernel closes itself
  // (catalog.hpp, closed_by_this_kernel()), as the host found unconfined.
  std::set<std::string> kernel_closed;
  // --landlock-abi: the host's Landlock ABI, as the host found it; -1 when
  // not told (then every Landlock block is expected).
  int landlock_abi = -1;
};

struct Outcome {
  enum Result { Blocked, Escaped, Error, Skipped } result = Error;
  std::string kind;   // "errno", "signal" or "check"
  std::string token;  // EPERM, SIGSYS, lo-only, ...
  std::string detail;
};

// Runs probe `name` in the calling process; nullopt-like Error for unknown names.
Outcome run_probe(const std::string& name, const Options& opt);
bool has_probe(const std::string& name);
std::string errno_name(int e);
std::string signal_name(int s);

}  // namespace zjail_escape
