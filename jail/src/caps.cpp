// Capability names and masks. libcap knows the names; the kernel knows which
// capabilities exist (cap_max_bits(), probed by libcap at start-up).
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

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// "net_admin", "CAP_NET_ADMIN" -> "cap_net_admin".
std::string canonical(std::string_view name) {
  std::string n = lower(name);
  if (n.rfind("cap_", 0) != 0) n = "cap_" + n;
  return n;
}

// libcap's number for a name, whether or not the running kernel has it.
// libcap also accepts bare numbers; a profile must name capabilities.
std::optional<int> libcap_value(const std::string& canon) {
  if (canon.size() <= 4 || std::isdigit(static_cast<unsigned char>(canon[4]))) return std::nullopt;
  cap_value_t v;
  if (cap_from_name(canon.c_str(), &v) != 0 || v < 0) return std::nullopt;
  return static_cast<int>(v);
}

uint64_t all_capabilities() {
  int last = last_capability();
  return last >= 63 ? ~0ULL : (1ULL << (last + 1)) - 1;
}

}  // namespace

int last_capability() {
  int bits = static_cast<int>(cap_max_bits());
  return std::clamp(bits - 1, 0, 63);
}

// A capability newer than libcap has no name there (cap_to_name gives the
// number); it is called "cap_N" then, and capability_from_name accepts that.
std::string capability_name(int cap) {
  char* n = cap_to_name(static_cast<cap_value_t>(cap));
  std::string s = n ? n : "";
  cap_free(n);
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) return "cap_" + std::to_string(cap);
  return s;
}

std::optional<int> capability_from_name(std::string_view name) {
  std::string n = canonical(name);
  if (auto v = libcap_value(n)) {
    if (*v > last_capability()) return std::nullopt;
    return v;
  }
  for (int c = 0; c <= last_capability(); ++c)
    if (capability_name(c) == n) return c;
  return std::nullopt;
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
    if (cap) {
      mask |= 1ULL << *cap;
      continue;
    }
    if (libcap_value(canonical(item.value)))
      return make_error(Step::Profile, 0, item.origin.str() + ": capability '" + item.value +
                                              "' is not known to the running kernel");
    std::vector<std::string> names;
    for (const auto& n : capability_names()) names.push_back(upper(n));
    return make_error(Step::Profile, 0, item.origin.str() + ": unknown capability '" + item.value + "'" +
                                            did_you_mean(upper(canonical(item.value)), names));
  }
  return list.invert ? all_capabilities() & ~mask : mask;
}

}  // namespace zjail
