// "did you mean": the closest candidate by edit distance, where a swap of two
// neighbouring letters ("opne") counts as one edit, as a typo does.
#include "zjail/suggest.hpp"

#include <algorithm>
#include <cctype>
#include <limits>

namespace zjail {
namespace {

char lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

// Optimal string alignment distance: insertions, deletions, substitutions and
// transpositions of adjacent characters, compared case-insensitively.
size_t distance(std::string_view a, std::string_view b) {
  const size_t n = a.size(), m = b.size();
  std::vector<std::vector<size_t>> d(n + 1, std::vector<size_t>(m + 1));
  for (size_t i = 0; i <= n; ++i) d[i][0] = i;
  for (size_t j = 0; j <= m; ++j) d[0][j] = j;
  for (size_t i = 1; i <= n; ++i) {
    for (size_t j = 1; j <= m; ++j) {
      size_t cost = lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2]) && lower(a[i - 2]) == lower(b[j - 1]))
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[n][m];
}

}  // namespace

std::string closest_match(std::string_view word, const std::vector<std::string>& candidates) {
  if (word.empty()) return "";
  // A third of the word, at least one and at most three edits: "Usr" finds
  // "User", but "Foo" does not find "Group".
  const size_t limit = std::clamp<size_t>(word.size() / 3, 1, 3);
  size_t best = std::numeric_limits<size_t>::max();
  const std::string* found = nullptr;
  for (const auto& c : candidates) {
    // Cheap rejection: lengths alone already differ by more than the limit.
    size_t diff = c.size() > word.size() ? c.size() - word.size() : word.size() - c.size();
    if (diff > limit) continue;
    size_t d = distance(word, c);
    if (d < best) {
      best = d;
      found = &c;
    }
  }
  return found && best <= limit ? *found : "";
}

std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates) {
  std::string m = closest_match(word, candidates);
  return m.empty() ? "" : " (did you mean '" + m + "'?)";
}

}  // namespace zjail
