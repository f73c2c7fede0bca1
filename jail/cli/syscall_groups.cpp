#include "syscall_groups.hpp"

#include "zjail/suggest.hpp"
#include "zjail/syscalls.hpp"

namespace zjail::cli {

Result<std::string> describe_syscall_groups(const std::vector<std::string>& names) {
  std::vector<const SyscallGroup*> chosen;
  for (const auto& n : names) {
    std::string name = n.starts_with("@") ? n : "@" + n;
    const SyscallGroup* g = find_syscall_group(name);
    if (!g) {
      std::vector<std::string> known;
      for (const auto& k : syscall_groups()) known.emplace_back(k.name);
      return make_error(Step::Profile, 0, "unknown syscall group '" + n + "'" + did_you_mean(name, known));
    }
    chosen.push_back(g);
  }
  if (names.empty())
    for (const auto& g : syscall_groups()) chosen.push_back(&g);
  std::string out;
  for (const auto* g : chosen) {
    if (!out.empty()) out += "\n";
    out += std::string(g->name) + "\n    # " + g->description + "\n";
    // Members as written (a nested @group stays a group), then how many
    // system calls the group comes to on this architecture.
    for (const char* m : g->members) out += std::string("    ") + m + "\n";
    auto calls = expand_syscalls({g->name});
    if (calls) out += "    # " + std::to_string(calls->size()) + " system calls in all\n";
  }
  return out;
}

}  // namespace zjail::cli
