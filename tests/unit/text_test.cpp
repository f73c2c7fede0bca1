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
  // A line separator, and a right-to-left override that would show
  // "gnp.exe" as "exe.png".
  EXPECT_EQ(escape_unprintable("a\xe2\x80\xa8" "b"), "a\\xe2\\x80\\xa8b");
  EXPECT_EQ(escape_unprintable("x\xe2\x80\xaegnp.exe"), "x\\xe2\\x80\\xaegnp.exe");
  EXPECT_EQ(escape_unprintable("\xe2\x81\xa6" "y"), "\\xe2\\x81\\xa6y");  // U+2066
  EXPECT_EQ(escape_unprintable("\xe2\x80\x94"), "\xe2\x80\x94");            // an em dash stays
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
