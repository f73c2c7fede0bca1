// libFuzzer target: the command-line override path, apply_directive(KEY,
// VALUE), with the input split at its first '=' as a shell user would write.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "zjail/parser.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  size_t eq = in.find('=');
  if (eq == std::string_view::npos) return 0;
  zjail::Profile p;
  auto st = zjail::apply_directive(p, in.substr(0, eq), in.substr(eq + 1), zjail::Origin{"<command line>", 1});
  if (st) (void)zjail::show_profile(p);
  return 0;
}
