// systemd's unit-file value syntax: words, quotes and escapes, booleans,
// sizes, times, paths and names. The profile parser, the directives, --show
// and the unit-file reader (--analyze --unit) all read and write values
// through here, so they agree on every one.
#include "syntax.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <cstring>

namespace zjail {
namespace {

using std::string;
using std::string_view;

// Escapes as systemd decodes them; `i` is at the backslash and is left on the
// last character consumed.
bool unescape(string_view v, size_t& i, string& word, string& error) {
  if (i + 1 >= v.size()) {
    error = "trailing backslash";
    return false;
  }
  char c = v[++i];
  static const string_view kFrom = "abfnrtv\\\"'s", kTo = "\a\b\f\n\r\t\v\\\"' ";
  if (size_t k = kFrom.find(c); k != string_view::npos) {
    word += kTo[k];
    return true;
  }
  unsigned value = 0;
  size_t digits = 0;
  if (c == 'x') {
    static const string_view kHex = "0123456789abcdef";
    for (; digits < 2 && i + 1 < v.size(); ++digits) {
      size_t h = kHex.find(static_cast<char>(std::tolower(static_cast<unsigned char>(v[i + 1]))));
      if (h == string_view::npos) break;
      value = value * 16 + static_cast<unsigned>(h);
      ++i;
    }
    if (digits != 2) {
      error = "\\x needs two hex digits";
      return false;
    }
  } else if (c >= '0' && c <= '7') {
    value = static_cast<unsigned>(c - '0');
    for (digits = 1; digits < 3 && i + 1 < v.size() && v[i + 1] >= '0' && v[i + 1] <= '7'; ++digits)
      value = value * 8 + static_cast<unsigned>(v[++i] - '0');
    if (digits != 3 || value > 0377) {
      error = "an octal escape is three digits, \\001 to \\377";
      return false;
    }
  } else {
    error = string("unknown escape '\\") + c + "'";
    return false;
  }
  if (value == 0) {
    error = "a NUL byte cannot be part of a value";
    return false;
  }
  word += static_cast<char>(value);
  return true;
}

}  // namespace

bool split_words(string_view v, std::vector<string>& out, string& error) {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  size_t i = 0;
  for (;;) {
    while (i < v.size() && space(v[i])) ++i;
    if (i >= v.size()) return true;
    string word;
    char quote = 0;
    for (; i < v.size(); ++i) {
      char c = v[i];
      if (quote && c == quote) {
        quote = 0;
      } else if (!quote && space(c)) {
        break;
      } else if (!quote && (c == '"' || c == '\'')) {
        quote = c;
      } else if (c == '\\') {
        if (!unescape(v, i, word, error)) return false;
      } else {
        word += c;
      }
    }
    if (quote) {
      error = string("unterminated ") + (quote == '"' ? "double" : "single") + " quote";
      return false;
    }
    out.push_back(std::move(word));
  }
}

bool c_unescape(string_view v, string& out, string& error) {
  out.clear();
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] != '\\') out += v[i];
    else if (!unescape(v, i, out, error)) return false;
  }
  return true;
}

string c_escape(string_view v) {
  string out;
  for (size_t i = 0; i < v.size(); ++i) {
    auto c = static_cast<unsigned char>(v[i]);
    bool edge = i == 0 || i + 1 == v.size();
    if (c == '\\') {
      out += "\\\\";
    } else if (c < ' ' || c == 0x7f || (edge && c == ' ')) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

string_view trim(string_view s) {
  const char* ws = " \t\r\n\f\v";
  size_t b = s.find_first_not_of(ws);
  if (b == string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(ws) - b + 1);
}

Error profile_error(const Origin& origin, string_view message) {
  return make_error(Step::Profile, 0, origin.str() + ": " + string(message));
}


std::optional<bool> parse_bool(string_view v) {
  string s(v);
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const char* t : {"1", "yes", "y", "true", "t", "on"})
    if (s == t) return true;
  for (const char* f : {"0", "no", "n", "false", "f", "off"})
    if (s == f) return false;
  return std::nullopt;
}

bool parse_uint(string_view s, uint64_t& out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

namespace {

// A number with an optional unit from `units`; a bare number counts `bare`.
bool parse_with_unit(string_view s, std::initializer_list<std::pair<string_view, uint64_t>> units,
                     uint64_t bare, uint64_t& out) {
  size_t digits = 0;
  while (digits < s.size() && s[digits] >= '0' && s[digits] <= '9') ++digits;
  uint64_t n = 0;
  if (!parse_uint(s.substr(0, digits), n)) return false;
  string_view unit = s.substr(digits);
  if (unit.empty()) return !__builtin_mul_overflow(n, bare, &out);
  for (const auto& [name, factor] : units)
    if (unit == name) return !__builtin_mul_overflow(n, factor, &out);
  return false;
}

}  // namespace

bool parse_size(string_view s, uint64_t& out, uint64_t base) {
  // Units largest first; each component must use a smaller unit than the
  // one before it, and a bare number can only come last.
  static constexpr string_view kUnits = "EPTGMKB";
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n'; };
  uint64_t total = 0;
  size_t next_unit = 0, i = 0;
  bool any = false;
  while (true) {
    while (i < s.size() && space(s[i])) ++i;
    if (i == s.size()) {
      if (any) out = total;
      return any;
    }
    size_t d = i;
    while (d < s.size() && std::isdigit(static_cast<unsigned char>(s[d]))) ++d;
    uint64_t whole = 0;
    if (d == i || !parse_uint(s.substr(i, d - i), whole)) return false;
    // The fraction, as a count of digits over a power of ten ("10." is 10).
    uint64_t frac = 0, scale = 1;
    if (d < s.size() && s[d] == '.') {
      for (++d; d < s.size() && std::isdigit(static_cast<unsigned char>(s[d])); ++d)
        if (scale < 1000000000000ULL) frac = frac * 10 + static_cast<uint64_t>(s[d] - '0'), scale *= 10;
    }
    while (d < s.size() && space(s[d])) ++d;
    uint64_t factor = 1;
    size_t u = d < s.size() ? kUnits.find(s[d], next_unit) : string_view::npos;
    if (u != string_view::npos) {
      for (size_t k = u; k + 1 < kUnits.size(); ++k)
        if (__builtin_mul_overflow(factor, base, &factor)) return false;
      next_unit = u + 1;
      ++d;
    } else {
      next_unit = kUnits.size();  // a bare number ends the value
    }
    uint64_t part = 0;
    unsigned __int128 f = static_cast<unsigned __int128>(frac) * factor / scale;
    if (__builtin_mul_overflow(whole, factor, &part) || __builtin_add_overflow(part, static_cast<uint64_t>(f), &part) ||
        __builtin_add_overflow(total, part, &total))
      return false;
    any = true;
    i = d;
    if (u == string_view::npos && i < s.size()) {
      while (i < s.size() && space(s[i])) ++i;
      if (i < s.size()) return false;
    }
  }
}

bool parse_permyriad(string_view s, uint64_t max, uint64_t& out) {
  // "%" with up to two decimals, "‰" with one, "‱" with none.
  struct Unit {
    string_view sign;
    uint64_t per;     // permyriad per unit
    size_t decimals;  // allowed after the point
  };
  for (const Unit& unit : {Unit{"%", 100, 2}, Unit{"\u2030", 10, 1}, Unit{"\u2031", 1, 0}}) {
    if (!s.ends_with(unit.sign)) continue;
    string_view n = s.substr(0, s.size() - unit.sign.size());
    size_t dot = n.find('.');
    string_view whole = n.substr(0, dot);
    string_view frac = dot == string_view::npos ? string_view() : n.substr(dot + 1);
    uint64_t w = 0, f = 0;
    if (!parse_uint(whole, w) || (dot != string_view::npos && (frac.empty() || frac.size() > unit.decimals)))
      return false;
    if (!frac.empty() && !parse_uint(frac, f)) return false;
    for (size_t k = frac.size(); k < unit.decimals; ++k) f *= 10;
    uint64_t v = 0;
    // The decimals are exactly the permyriads below one unit.
    if (__builtin_mul_overflow(w, unit.per, &v) || __builtin_add_overflow(v, f, &v)) return false;
    if (v > max) return false;
    out = v;
    return true;
  }
  return false;
}

bool parse_time_usec(string_view s, uint64_t bare, uint64_t& out) {
  return parse_with_unit(s, {{"us", 1}, {"usec", 1}, {"ms", 1000}, {"msec", 1000},
                             {"s", 1000000}, {"sec", 1000000}, {"m", 60000000},
                             {"min", 60000000}, {"h", 3600000000}, {"hr", 3600000000},
                             {"d", 86400000000}},
                         bare, out);
}

bool valid_path(string_view p) {
  if (p.empty() || p[0] != '/') return false;
  size_t i = 0;
  while (i < p.size()) {
    size_t j = std::min(p.find('/', i), p.size());
    if (p.substr(i, j - i) == "..") return false;
    i = j + 1;
  }
  return true;
}

bool valid_user_name(string_view n) {
  if (n.empty() || n.size() > 256) return false;
  if (std::all_of(n.begin(), n.end(), [](char c) { return c >= '0' && c <= '9'; })) return true;
  if (n.back() == '$') n.remove_suffix(1);
  if (n.empty() || !(std::isalpha(static_cast<unsigned char>(n[0])) || n[0] == '_')) return false;
  return std::all_of(n.begin(), n.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
  });
}

bool valid_env_name(string_view n) {
  if (n.empty() || std::isdigit(static_cast<unsigned char>(n[0]))) return false;
  return std::all_of(n.begin(), n.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

bool valid_credential_name(std::string_view n) {
  if (n.empty() || n.size() > 255 || n == "." || n == "..") return false;
  return std::all_of(n.begin(), n.end(), [](char c) { return c >= ' ' && c < 0x7f && c != '/' && c != ':'; });
}

bool valid_hostname(string_view n) {
  return !n.empty() && n.size() <= 64 && std::all_of(n.begin(), n.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-';
  });
}

string quote_word(string_view word) {
  auto special = [](unsigned char c) { return c <= ' ' || c == 0x7f || c == '"' || c == '\'' || c == '\\'; };
  if (!word.empty() && std::none_of(word.begin(), word.end(), special)) return string(word);
  string out = "\"";
  for (unsigned char c : word) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < ' ' || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

string errno_name(int err) {
  const char* n = strerrorname_np(err);
  return n ? n : "";
}

}  // namespace zjail
