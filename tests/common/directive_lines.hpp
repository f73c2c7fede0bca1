// Profiles built from directive lines, as the directive tests write them:
// each test file names its own profile file, which its errors then show.
#pragma once

#include <gtest/gtest.h>

#include <initializer_list>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>

#include "zjail/parser.hpp"

namespace zjail {

struct DirectiveLines {
  const char* file;

  // key=value as line `line` of `file`.
  Status apply(Profile& p, std::string_view key, std::string_view value, int line = 1) const {
    return apply_directive(p, key, value, Origin{file, line});
  }

  // A profile of {key, value} lines, numbered from 1, each of which must apply.
  Profile profile(std::initializer_list<std::pair<const char*, const char*>> lines) const {
    Profile p;
    int line = 0;
    for (const auto& [key, value] : lines) {
      auto st = apply(p, key, value, ++line);
      EXPECT_TRUE(st) << key << "=" << value << ": " << st.error().message();
    }
    return p;
  }
};

// --show, with its comment lines left out.
inline std::string shown_without_comments(const std::string& s) {
  std::string out;
  std::istringstream in(s);
  for (std::string line; std::getline(in, line);)
    if (line.rfind("#", 0) != 0) out += line + "\n";
  return out;
}

// show -> parse -> the same profile, as `dump` sees it; and showing that
// again gives the same text.
template <class Dump>
void expect_show_round_trip(const Profile& p, Dump dump) {
  std::string shown = show_profile(p);
  Profile back;
  auto st = load_profile_text(back, shown, "<show>", {}, ProfileTrust::any());
  ASSERT_TRUE(st) << st.error().message() << "\n" << shown;
  EXPECT_EQ(dump(back), dump(p)) << shown;
  EXPECT_EQ(shown_without_comments(show_profile(back)), shown_without_comments(shown));
}

}  // namespace zjail
