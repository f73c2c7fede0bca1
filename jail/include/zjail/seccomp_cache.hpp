// Compiling a filter with libseccomp costs more than the rest of a launch, so
// the exported BPF is kept in a private cache directory and reused. A cache
// entry stores its full key (the filter's directives, zjail's and
// libseccomp's versions), compared byte for byte on load; the directory must
// belong to the caller and be closed to everyone else, or it is not used.
#pragma once

#include <string>

#include "zjail/profile.hpp"
#include "zjail/result.hpp"
#include "zjail/seccomp.hpp"

namespace zjail {

// Everything the compiled filter depends on, as text.
std::string seccomp_cache_key(const Profile& p, const SeccompExtras& extras = {});

// The cache directory for this caller: /run/zjail/seccomp for root,
// $XDG_RUNTIME_DIR/zjail/seccomp otherwise, "" when there is none.
std::string default_seccomp_cache_dir(uid_t euid, const char* xdg_runtime_dir);

// compile_seccomp() through the cache in `dir` ("" disables the cache).
// Cache trouble never fails a launch: it falls back to compiling.
Result<BpfProgram> cached_seccomp(const Profile& p, const SeccompExtras& extras, const std::string& dir);

}  // namespace zjail
