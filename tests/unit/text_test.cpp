#include <gtest/gtest.h>

#include <string>

#include "zjail/text.hpp"

namespace zjail {
namespace {

using namespace std::string_literals;

TEST(Text, ControlCharactersAreEscaped) {
  EXPECT_EQ(escape_unprintable("a\nb\rc\td"), "a\\x0ab\\x0dc\\x09d");
  EXPECT_EQ(escape_unprintable("\x1b[2J\x7f"), "\\x1b[2J\\x7f");
  EXPECT_EQ(escape_unprintable("nul\0here"s), "nul\\x00here");
  EXPECT_EQ(escape_unprintable("\xc2\x9b" "1m"), "\\xc2\\x9b1m");  // C1 CSI, as UTF-8
  EXPECT_EQ(escape_unprintable("\x9b" "1m"), "\\x9b1m");           // and as one byte
}

TEST(Text, PrintableTextIsKept) {
  EXPECT_EQ(escape_unprintable("/etc/zjail/web.profile:3: value 'x'"), "/etc/zjail/web.profile:3: value 'x'");
  EXPECT_EQ(escape_unprintable("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"), "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
  // A backslash is escaped only when asked, so that an error keeps its text.
  EXPECT_EQ(escape_unprintable("a\\b\"c"), "a\\b\"c");
  EXPECT_EQ(escape_unprintable("a\\b\"c", "\"\\"), "a\\\\b\\\"c");
}

TEST(Text, MalformedUtf8IsEscapedByteByByte) {
  EXPECT_EQ(escape_unprintable("\xff\xc3"), "\\xff\\xc3");        // not UTF-8, cut short
  EXPECT_EQ(escape_unprintable("\xc0\xaf"), "\\xc0\\xaf");        // overlong '/'
  EXPECT_EQ(escape_unprintable("\xed\xa0\x80"), "\\xed\\xa0\\x80");  // a surrogate
  EXPECT_EQ(escape_unprintable("\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80");  // above U+10FFFF
}

}  // namespace
}  // namespace zjail
