// What zjail's supervisor reads of a payload task it is answering (the
// denial explanations, learn mode): strings and structs from its memory
// (process_vm_readv) and its /proc entries. The caller decides whether to
// believe them (SECCOMP_IOCTL_NOTIF_ID_VALID afterwards).
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace zjail {

// A NUL-terminated string of at most `max` bytes at `addr` in `pid`, read a
// page at a time (a string may end right before an unmapped page). Longer
// ones end in "...".
std::string read_string(pid_t pid, uint64_t addr, size_t max = 256);
// Exactly `len` bytes at `addr` in `pid`, or false.
bool read_memory(pid_t pid, uint64_t addr, void* out, size_t len);
// A small /proc file ("" if unreadable).
std::string read_small(const std::string& path);

// "Tgid:" and the last "NSpid:" field (the pid in the jail) of a task.
struct TaskIds {
  pid_t tgid = 0;
  pid_t jail_pid = 0;
};
TaskIds task_ids(pid_t tid);
// The task's comm, without its newline.
std::string task_comm(pid_t tid);

}  // namespace zjail
