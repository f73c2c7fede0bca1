// The supervisor's handover: what memory.hpp does for the jail's init, done
// for zjail itself. A supervisor is zjail, a C++ program whose private pages
// (heap, relocated data, libc's state) cost a few hundred KiB per jail for as
// long as the jail runs, though an idle jail needs only its signals passed on
// and its status reported. So once the jail has been idle for kShedAfterMs,
// zjail execs the small supervisor (zjail-init, jail/init/supervise.cpp) in
// its own process, which keeps its pid; what it cannot do itself it gives
// back by exec'ing zjail again, with the same fds and, in a sealed memfd, the
// state only zjail reads (the filters and what explains their denials, the
// denial counts, the notify relay's paths). zjail takes the jail back
// (resume_jail), does what woke it, and hands over again once idle.
//
// Handed over only where everything the end needs is carried: not in learn
// or explain mode, not with ListenViaBind='s sockets, a network that holds
// anything on the host, or a host lease (DynamicUser=, service directories).
#pragma once

#include <memory>
#include <string>

#include "zjail/denials.hpp"
#include "zjail/fd.hpp"
#include "zjail/launch.hpp"
#include "zjail/memory.hpp"
#include "zjail/notify.hpp"
#include "zjail/plan.hpp"
#include "zjail/result.hpp"

namespace zjail {

// What the caller of Jail::wait knows and the Jail does not, for handing
// it over and taking it back.
struct SupervisorTicket {
  UniqueFd self;              // zjail's own binary (O_PATH): exec'd back
  UniqueFd small;             // zjail-init (open_small_init())
  char** argv = nullptr;      // zjail's arguments, the same across every exec
  int verbosity = 0;
  std::string profile_name;   // the journal's ZJAIL_PROFILE=
  bool notified = false;      // the payload ran under the notifying filter
  std::string cgroup_leaf;    // a delegated leaf to remove at the end
  // Each exec of zjail costs milliseconds of CPU. A jail that wakes its
  // supervisor again soon after each handover is handed over after longer
  // and longer idle times (kShedAfterMs << backoff), up to kMaxBackoff; one
  // that stays quiet for a minute starts again from the shortest.
  int backoff = 0;
  bool ready() const { return self.valid() && small.valid(); }
  int idle_ms() const { return kShedAfterMs << backoff; }
  // Opens both binaries; a ticket that is not ready() where either is
  // missing (no handover then, never an error).
  static SupervisorTicket prepare(char** argv);
};

inline constexpr int kMaxBackoff = 7;             // 12.8 s
inline constexpr int64_t kQuietAfterMs = 60 * 1000;  // resets the backoff

// A jail taken back from the small supervisor, as launch() had it.
struct ResumedJail {
  std::unique_ptr<Plan> kept;  // the filters and their sources, read by jail's DenialSupervisor
  Jail jail;
  SignalForwarding signals;
  NotifyRelay relay;
  SupervisorTicket ticket;
};

// Takes the jail back: `spec` is kSuperviseEnv's value (supervise_env.hpp),
// `argv` zjail's own, and `report` gets the jail's denials from now on.
// Every carried fd is close-on-exec again afterwards.
Result<ResumedJail> resume_jail(const char* spec, char** argv, DenialReporter report);

// The handover itself and its inverse: friends of the classes they carry.
struct SupervisorCarry {
  // Execs the small supervisor; returns only if the jail cannot be handed
  // over (then nothing has changed).
  static Status hand_over(Jail& jail, const SignalForwarding& fwd, const NotifyRelay* relay,
                          const SupervisorTicket& ticket);
  static Result<ResumedJail> resume(const char* spec, char** argv, DenialReporter report);
};

}  // namespace zjail
