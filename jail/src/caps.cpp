// Capability names and masks. libcap knows the names; the kernel knows which
// capabilities exist (cap_max_bits()).
#include "zjail/caps.hpp"

#include <sys/capability.h>

#include <algorithm>
#include <cctype>

#include "zjail/suggest.hpp"

namespace zjail {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

int last_capability() {
  int bits = static_cast<int>(cap_max_bits());
  return std::clamp(bits - 1, 0, 63);
}

std::string capability_name(int cap) {
  char* n = cap_to_name(static_cast<cap_value_t>(cap));
  if (!n) return "cap_" + std::to_string(cap);
  std::string s = n;
  cap_free(n);
  return s;
}

std::optional<int> capability_from_name(std::string_view name) {
  std::string n = lower(name);
  if (n.rfind("cap_", 0) != 0) n = "cap_" + n;
  cap_value_t v;
  // libcap also accepts bare numbers; a profile must name capabilities.
  if (n.size() <= 4 || std::isdigit(static_cast<unsigned char>(n[4]))) return std::nullopt;
  if (cap_from_name(n.c_str(), &v) != 0) return std::nullopt;
  if (v < 0 || v > last_capability()) return std::nullopt;
  return static_cast<int>(v);
}

std::vector<std::string> capability_names() {
  std::vector<std::string> names;
  for (int c = 0; c <= last_capability(); ++c) names.push_back(capability_name(c));
  return names;
}

Result<uint64_t> capability_mask(const NameList& list) {
  if (!list.is_set) return uint64_t{0};
  uint64_t mask = 0;
  for (const auto& item : list.names) {
    auto cap = capability_from_name(item.value);
    if (!cap)
      return make_error(Step::Profile, 0, item.origin.str() + ": unknown capability '" + item.value + "'" +
                                              did_you_mean(lower(item.value), capability_names()));
    mask |= 1ULL << *cap;
  }
  if (!list.invert) return mask;
  uint64_t all = last_capability() >= 63 ? ~0ULL : (1ULL << (last_capability() + 1)) - 1;
  return all & ~mask;
}

}  // namespace zjail
