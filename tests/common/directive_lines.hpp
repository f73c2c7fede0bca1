// Profiles built from directive lines, as the directive tests write them:
// each test file names its own profile file, which its errors then show.
#pragma once

#include <gtest/gtest.h>

#include <initializer_list>
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

}  // namespace zjail
