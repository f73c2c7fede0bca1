// observe: what a process is allowed to see and do, as sorted key=value
// lines, so that two runs (a native systemd service and a zjail jail with
// the same directives) can be compared key by key (parity_compare).
//
// Contract: every observation is harmless. Whatever changes process state
// (unshare, personality, scheduling, seccomp-filtered calls that may kill)
// runs in a forked child that exits at once; the only file written is a
// scratch file the probe creates and removes; whatever is "set" is set to
// the value it already has (sethostname, settimeofday(NULL, NULL)).
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace observe {

using Report = std::map<std::string, std::string>;

// "EPERM" for EPERM; the number for an errno glibc cannot name.
std::string ename(int err);

// Runs fn in a forked child of its own. fn returns 0 for success or an
// errno; the answer is "ok", the errno's name, or the signal that killed the
// child ("SIGSYS": a seccomp filter that kills).
std::string attempt(const std::function<int()>& fn);

// One attempt of many (attempt_all).
struct Call {
  std::string key;
  std::function<int()> fn;  // 0 or an errno
  const char* ok = "ok";    // the answer for 0
  // A success changes the process (unshare, personality, scheduling): the
  // child that made it runs nothing else.
  bool changes = false;
};

// Runs the calls in as few forked children as possible: each answer goes
// back on a pipe as soon as it is known; a call that kills its child gets
// the signal as its answer, and a new child goes on with the next call, as
// it does after a call that changed its child. Forks are what the probe's
// time goes to (under TCG most of all).
void attempt_all(Report& r, const std::vector<Call>& calls);

// A system call that either reaches the kernel, answered "reached" (success
// or one of `reached_errnos`, errors the kernel gives before any permission
// check for the arguments chosen), or is answered by a filter: its errno.
Call reach(std::string key, std::function<long()> call, std::vector<int> reached_errnos);

// A group of observations, run apart from the probe's own process: a filter
// that kills (SystemCallFilter= without SystemCallErrorNumber=) may answer
// any call, and must not take the whole report with it.
struct Group {
  const char* name;
  std::function<void(Report&)> fn;
};

// Runs the groups in forked children, one after the other in the same child
// while all goes well, and merges their keys into r, with "group.NAME" =
// "ok", or how the child ended (e.g. "SIGSYS"): that group's keys are then
// missing, and a new child goes on with the next group.
void run_groups(Report& r, const std::vector<Group>& groups);

// The file system: paths, mount flags, listings, devices, the directories
// and credentials systemd hands over. `extra` are more paths to look at.
std::vector<Group> file_groups(const std::vector<std::string>& extra);

// Identity, capabilities, seccomp, personality, W^X, sockets, namespaces,
// scheduling, setuid bits, the kernel's knobs and logs, clock, keyring.
std::vector<Group> process_groups();

// The probes' scratch directory: the first of $TMPDIR, /tmp, /var/tmp,
// /dev/shm and the *_DIRECTORY variables where this process can create a
// file; "" if none.
std::string scratch_dir();

}  // namespace observe
