// "did you mean" for misspelt directives, syscalls, groups and capabilities.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace zjail {

// The candidate closest to `word` by edit distance, or "" when nothing is
// close enough to be a plausible typo.
std::string closest_match(std::string_view word, const std::vector<std::string>& candidates);

// " (did you mean 'X'?)" or "".
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace zjail
