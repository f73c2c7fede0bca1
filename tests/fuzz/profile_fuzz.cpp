// libFuzzer target: arbitrary bytes as a profile file. The parser must only
// ever accept or return a file:line error: no crash, no sanitizer report, and
// whatever it accepts must survive --show and load back.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "zjail/parser.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  zjail::Profile p;
  auto st = zjail::load_profile_text(p, text, "fuzz.profile", {}, zjail::ProfileTrust::any());
  if (!st) {
    // Every profile error names the file, itself or as the Include= that
    // led to the failing one.
    if (st.error().message().find("fuzz.profile:") == std::string::npos) __builtin_trap();
    return 0;
  }
  std::string shown = zjail::show_profile(p);
  zjail::Profile again;
  if (!zjail::load_profile_text(again, shown, "shown.profile", {}, zjail::ProfileTrust::any())) __builtin_trap();
  if (zjail::show_profile(again).size() == 0) __builtin_trap();
  return 0;
}
