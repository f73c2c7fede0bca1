// Text from outside (a path, a payload's comm, a file name in a profile
// error) made safe for one log line.
#pragma once

#include <string>
#include <string_view>

namespace zjail {

// `text` with control characters (C0, DEL, C1, U+2028/9 and the
// bidirectional controls) and bytes that are not well-formed UTF-8 as C
// escapes ("\x1b"), and each character of `quoted`
// behind a backslash; printable UTF-8 stays as it is. Nothing from outside
// can then break a line in two, forge the next one, or reach a terminal as
// an escape sequence.
std::string escape_unprintable(std::string_view text, std::string_view quoted = {});

}  // namespace zjail
