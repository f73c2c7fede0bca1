// systemd's directive names that zjail does not take in a profile, and what
// to do instead (foreign_directives.cpp).
#pragma once

#include <optional>
#include <string_view>
#include <vector>

namespace zjail {

// What to do instead of NAME=, if NAME is systemd's and not zjail's.
std::optional<std::string_view> foreign_directive(std::string_view name);

// Every name in that table (for tests).
std::vector<std::string_view> foreign_directive_names();

}  // namespace zjail
