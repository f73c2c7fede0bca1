#include "zjail/text.hpp"

#include <cstdio>

namespace zjail {

namespace {

// The length of the well-formed UTF-8 sequence at `s[i]` that is neither a
// C1 control character (U+0080..U+009F) nor a line separator or
// bidirectional control, or 0.
size_t utf8_printable(std::string_view s, size_t i) {
  auto c = static_cast<unsigned char>(s[i]);
  size_t n = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k)
    if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return 0;
  auto c1 = static_cast<unsigned char>(s[i + 1]);
  if (c == 0xc2 && c1 < 0xa0) return 0;                 // C1 controls
  if ((c == 0xe0 && c1 < 0xa0) || (c == 0xf0 && c1 < 0x90) || (c == 0xf4 && c1 >= 0x90)) return 0;  // overlong, > U+10FFFF
  if (c == 0xed && c1 >= 0xa0) return 0;                // surrogates
  if (c == 0xe2 && n == 3) {
    // U+2028/U+2029 end a line for some readers; the bidirectional
    // controls (U+200E/F, U+202A..E, U+2066..9) reorder what follows them.
    auto c2 = static_cast<unsigned char>(s[i + 2]);
    if (c1 == 0x80 && (c2 == 0x8e || c2 == 0x8f || (c2 >= 0xa8 && c2 <= 0xae))) return 0;
    if (c1 == 0x81 && c2 >= 0xa6 && c2 <= 0xa9) return 0;
  }
  return n;
}

}  // namespace

std::string escape_unprintable(std::string_view text, std::string_view quoted) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    auto c = static_cast<unsigned char>(text[i]);
    if (quoted.find(static_cast<char>(c)) != std::string_view::npos) {
      out += '\\';
      out += static_cast<char>(c);
      ++i;
    } else if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
      ++i;
    } else if (size_t n = c >= 0x80 ? utf8_printable(text, i) : 0; n > 0) {
      out.append(text, i, n);
      i += n;
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
      ++i;
    }
  }
  return out;
}

}  // namespace zjail
