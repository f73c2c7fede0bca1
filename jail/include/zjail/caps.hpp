// Capability names and the sets a profile asks for.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "zjail/profile.hpp"
#include "zjail/result.hpp"

namespace zjail {

// "CAP_NET_BIND_SERVICE" (case-insensitive, "CAP_" prefix optional) -> 10.
std::optional<int> capability_from_name(std::string_view name);
std::string capability_name(int cap);               // 10 -> "cap_net_bind_service"
std::vector<std::string> capability_names();        // every known name, for did-you-mean
int last_capability();                              // highest cap this kernel knows

// The mask a NameList denotes: bit N set = capability N in the set. An unset
// list yields 0 (zjail's default is no capabilities). Unknown names are
// reported against the Item's origin.
Result<uint64_t> capability_mask(const NameList& list);

}  // namespace zjail
