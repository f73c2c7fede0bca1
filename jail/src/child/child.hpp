// The child side of the launch: everything here runs after clone, in the new
// namespaces, on the plan prepared by the parent. Rules: no allocation, no
// exceptions, no logging; raw syscalls only. A failing step reports
// {step, errno, detail} over the CLOEXEC error socket and _exits.
#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <cstdint>
#include <iterator>

#include "zjail/plan.hpp"

namespace zjail::child {

// What a failed step sends to the parent. EOF instead of a record means the
// payload reached execve (the socket is CLOEXEC).
// One exception: {Step::Seccomp, 0, fd} announces the seccomp listener at
// `fd` in the payload (Plan::seccomp_notify), for zjail to take a copy.
struct FailureRecord {
  uint32_t step;
  int32_t err;
  int32_t detail;  // e.g. index into Plan::mounts; -1 when not applicable
};

// The payload's marker call once zjail may hold its listener:
// setns(-1, kListenerMarker), which the base filter always denies, so it
// waits on the listener until zjail answers it with kListenerMarker.
inline constexpr uint64_t kListenerMarker = 0x7a6a6c21;

struct Context {
  const Plan* plan = nullptr;
  int err_sock = -1;     // child end of the error socket
  int status_fd = -1;    // init -> parent: the payload's wait status
  int* src_fds = nullptr;  // per mount op, filled by open-sources (child's own copy)
  int root_fd = -1;      // the new root while it is being built
  int inaccessible_fs = -1;  // a detached mode-0000 tmpfs holding the inaccessible file, once needed
  // The directory of the last mount target, kept open for the next target
  // in it (mounts.cpp: only on file systems the init made itself).
  int dir_fd = -1;
  const char* dir_path = nullptr;  // not NUL-terminated: dir_len characters of a plan target
  size_t dir_len = 0;
  int null_mask = -1;  // the last /dev/null mask attached, cloned for the next one
  uint64_t null_mask_attr = 0;
  int exec_fd = -1;
  int small_init_fd = -1;  // the small init to hand over to (memory.hpp), or -1
  // The init's own kHandoverLimits before the payload starts (hand_over).
  rlimit init_limits[4] = {};
  int detail = -1;
  pid_t payload = -1;
  pid_t parent = -1;     // zjail itself, for a payload without namespaces (death-signal)
};

// Runs the jail init's steps, forks the payload, and becomes the init.
// Without namespaces (Plan::namespaces), the clone child is the payload
// itself and runs only its steps (kFallbackSteps).
[[noreturn]] void run(Context& ctx);

// Mount steps (mounts.cpp); each returns 0 or an errno.
int make_mounts_private(Context& ctx);
int open_sources(Context& ctx);
int mount_root(Context& ctx);
int apply_mounts(Context& ctx);
int pivot_root(Context& ctx);
int remount_root(Context& ctx);

// The init loop (init.cpp): reaps, forwards signals, exits with the
// payload's status.
int init_setup(Context& ctx);
int init_seal(Context& ctx);
// The rlimits that decide whether the small init can start and serve: a
// payload holding the init's ids or CAP_SYS_RESOURCE could lower them with
// prlimit() before the handover.
inline constexpr int kHandoverLimits[] = {RLIMIT_STACK, RLIMIT_AS, RLIMIT_DATA, RLIMIT_NOFILE};
static_assert(std::size(kHandoverLimits) == 4, "Context::init_limits holds one per limit");
// Notes the init's kHandoverLimits.
void init_note_limits(Context& ctx);
[[noreturn]] void init_loop(Context& ctx);

// The init names itself in /proc/1/cmdline: it is a copy of zjail (or of
// the login process), whose arguments would leak into the jail.
void show_init_title(Context& ctx);
// Session mode (pam_zjail): the init only reaps; any forwarded signal ends
// the jail.
[[noreturn]] void session_loop(Context& ctx);

[[noreturn]] void fail(Context& ctx, Step step, int err);

}  // namespace zjail::child
