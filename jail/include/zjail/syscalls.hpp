// zjail's syscall groups (@system-service, @mount, ...), written from the
// kernel's x86-64 syscall table.
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "zjail/result.hpp"

namespace zjail {

struct SyscallGroup {
  const char* name;         // "@mount"
  const char* description;
  std::vector<const char*> members;  // syscall names and nested "@groups"
};

const std::vector<SyscallGroup>& syscall_groups();
const SyscallGroup* find_syscall_group(std::string_view name);

// Every syscall name libseccomp knows natively plus every group name; the
// candidates for "did you mean".
std::vector<std::string> syscall_name_candidates();

// True if libseccomp knows this syscall name on the native architecture.
bool syscall_known(std::string_view name);

// Expands syscall names and @groups (recursively) to syscall names.
// Unknown names yield Step::Profile errors with a did-you-mean.
Result<std::set<std::string>> expand_syscalls(const std::vector<std::string>& names);

}  // namespace zjail
