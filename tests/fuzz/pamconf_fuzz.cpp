// libFuzzer target: arbitrary bytes as /etc/zjail/pam.conf. The parser must
// accept or return a "file:line: message" error, and whatever it accepts
// must match consistently: the first rule that names a user wins.
#include <cerrno>
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
  // Every subject resolves, to an id of its own (the parser refuses a
  // subject listed twice).
  auto resolve = [](const zjail::PamRule& r) {
    zjail::PamSubject s;
    s.state = zjail::PamSubject::State::Found;
    s.id = static_cast<unsigned>(r.line) + (r.kind == zjail::PamRule::Kind::User ? 100000 : 200000);
    return s;
  };
  for (const auto& rule : conf->rules) {
    if (rule.line <= 0) __builtin_trap();
    if (rule.kind == zjail::PamRule::Kind::Everyone) continue;
    // The rule itself matches its subject, unless an earlier one does first.
    zjail::PamLogin who{"", 1, {}};
    if (rule.kind == zjail::PamRule::Kind::User) who = {rule.name, static_cast<uid_t>(rule.line + 100000), {}};
    else who.groups = {static_cast<gid_t>(rule.line + 200000)};
    auto m = zjail::match_pam_rule(*conf, who, resolve);
    if (!m || !*m || (*m)->line > rule.line) __builtin_trap();
    // With NSS down, the login is refused unless a line before any lookup
    // ('*') decides it.
    auto down = zjail::match_pam_rule(*conf, who, [](const zjail::PamRule&) {
      return zjail::PamSubject{zjail::PamSubject::State::Failed, 0, {}, EIO};
    });
    if (down && !(*down && (*down)->kind == zjail::PamRule::Kind::Everyone)) __builtin_trap();
  }
  return 0;
}
