// libFuzzer target: arbitrary bytes as /etc/zjail/pam.conf. The parser must
// accept or return a "file:line: message" error, and whatever it accepts
// must match consistently: the first rule that names a user wins.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "zjail/pamconf.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto conf = zjail::parse_pam_config(text, "pam.conf");
  if (!conf) {
    if (conf.error().step != zjail::Step::PamConfig || conf.error().context.rfind("pam.conf:", 0) != 0)
      __builtin_trap();
    return 0;
  }
  for (const auto& rule : conf->rules) {
    if (rule.line <= 0) __builtin_trap();
    if (rule.kind == zjail::PamRule::Kind::Everyone) continue;
    // The rule itself matches its subject, unless an earlier one does first.
    auto m = rule.kind == zjail::PamRule::Kind::User ? zjail::match_pam_rule(*conf, rule.name, {})
                                                     : zjail::match_pam_rule(*conf, "", {rule.name});
    if (!m || m->line > rule.line) __builtin_trap();
  }
  return 0;
}
