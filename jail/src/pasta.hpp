// User-mode networking (UserModeNetworking=, docs/network.md): pasta, from
// Debian's passt, started by zjail's parent against the jail's init before
// its go-ahead, so that a jail of any user gets a configured interface.
//
//   ZJAIL_TRY_ASSIGN(std::string binary, find_pasta());  // when planned
//   PastaSpec spec{binary, init_pid, ports, loopback_ports};
//   ZJAIL_TRY_ASSIGN(Pasta pasta, start_pasta(spec));    // host0 is up
//   ... go-ahead; wait for the init; ~Pasta stops pasta.
//
// Parent side only: this module allocates, forks and returns Results; the
// forked child before exec makes raw syscalls on data prepared beforehand.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "zjail/fd.hpp"
#include "zjail/network.hpp"
#include "zjail/result.hpp"

namespace zjail {

// pasta from the system's own directories, never from $PATH: zjail runs as
// root, and a $PATH entry the caller controls would run the caller's
// program with zjail's privileges and the jail's namespaces.
Result<std::string> find_pasta();
// The same search in `dirs`, for the tests.
Result<std::string> find_pasta_in(const std::vector<std::string>& dirs);

struct PastaSpec {
  std::string binary;                       // find_pasta()
  pid_t target = -1;                        // the jail's init: its user and network namespaces
  std::vector<PortForward> ports;           // Port=: the host's port -> the jail's
  std::vector<PortForward> loopback_ports;  // HostLoopbackPort=: the jail's loopback port -> the host's
  std::string ifname = "host0";             // the jail's interface, named as VirtualEthernet= names it
  std::chrono::milliseconds timeout{10000}; // for the interface to be configured
};

// The fd numbers, in pasta, of what start_pasta hands it: the jail's user
// and network namespaces and the readiness pipe.
struct PastaFds {
  int userns = 3, netns = 4, ready = 5;
};

// pasta's argv (argv[0] included) for `spec`. Pure: the unit tests assert it.
std::vector<std::string> pasta_args(const PastaSpec& spec, uid_t uid, gid_t gid, PastaFds fds = {});

// The line of pasta's stderr that says why it failed: the last one, less
// its complaints about a missing syslog.
std::string pasta_failure(std::string_view stderr_text);

// A running pasta. Move-only; the destructor kills it (SIGKILL: it keeps no
// state) and reaps it. pasta also dies if the thread that started it dies
// (PR_SET_PDEATHSIG), so a SIGKILLed zjail leaves none behind.
class Pasta {
 public:
  Pasta() = default;
  Pasta(Pasta&& o) noexcept : pid_(std::exchange(o.pid_, -1)), pidfd_(std::move(o.pidfd_)) {}
  Pasta& operator=(Pasta&& o) noexcept;
  Pasta(const Pasta&) = delete;
  Pasta& operator=(const Pasta&) = delete;
  ~Pasta() { stop(); }

  pid_t pid() const noexcept { return pid_; }
  // Readable once pasta has exited: a jail that lost its network.
  int pidfd() const noexcept { return pidfd_.get(); }
  // Kill and reap now; idempotent.
  void stop() noexcept;

 private:
  friend Result<Pasta> start_pasta(const PastaSpec& spec);
  pid_t pid_ = -1;
  UniqueFd pidfd_;
};

// Starts pasta in the target's user and network namespaces and returns once
// pasta has configured the jail's interface (address, default route) and
// written its PID: pasta writes it only after that. pasta runs as the owner
// of the target's user namespace, the one identity that may join it without
// privilege over the host; its error, if any, becomes the Error's context.
Result<Pasta> start_pasta(const PastaSpec& spec);

}  // namespace zjail
