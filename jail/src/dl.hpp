// Loading a library's symbols on demand (libsystemd's sd-bus): most
// launches never need it, and linking it would add its start-up cost to
// every one of them.
#pragma once

#include <dlfcn.h>

#include <memory>

namespace zjail {

struct DlClose {
  void operator()(void* h) const noexcept { dlclose(h); }
};
using DlHandle = std::unique_ptr<void, DlClose>;

// Looks up `name` in `lib` into the function pointer `out`.
template <class T>
bool sym(void* lib, const char* name, T& out) {
  out = reinterpret_cast<T>(dlsym(lib, name));
  return out != nullptr;
}

}  // namespace zjail
