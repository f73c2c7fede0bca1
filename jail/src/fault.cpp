#include "zjail/fault.hpp"

#ifdef ZJAIL_FAULT_INJECTION
#include <cerrno>
#include <charconv>
#include <string>

namespace zjail {

Result<Fault> parse_fault(std::string_view spec) {
  Fault f;
  if (spec.empty()) return f;
  std::string_view name = spec.substr(0, spec.find(':'));
  f.err = EIO;
  if (name.size() < spec.size()) {
    std::string_view num = spec.substr(name.size() + 1);
    auto [end, ec] = std::from_chars(num.data(), num.data() + num.size(), f.err);
    if (ec != std::errc() || end != num.data() + num.size() || f.err <= 0)
      return make_error(Step::Profile, EINVAL, "ZJAIL_FAULT_STEP: bad errno '" + std::string(num) + "'");
  }
  for (int i = 0; i < static_cast<int>(Step::Count_); ++i) {
    if (name == step_name(static_cast<Step>(i))) {
      f.step = static_cast<Step>(i);
      return f;
    }
  }
  return make_error(Step::Profile, EINVAL, "ZJAIL_FAULT_STEP: unknown step '" + std::string(name) + "'");
}

std::optional<std::string> fault_list(std::string_view spec) {
  StepPath path;
  if (spec == "list" || spec == "list:launch") path = kLaunchPath;
  else if (spec == "list:session") path = kSessionPath;
  else if (spec == "list:fallback") path = kFallbackPath;
  else return std::nullopt;
  std::string names;
  for (const auto& s : kSteps)
    if (on_path(s.step, path)) names += std::string(s.name) + "\n";
  return names;
}

}  // namespace zjail
#endif
