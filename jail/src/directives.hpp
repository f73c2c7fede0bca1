// Internal to the profile parser: the directive table and the value syntax
// shared by parser.cpp, directives.cpp and show.cpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "zjail/profile.hpp"
#include "zjail/result.hpp"

namespace zjail {

// One `Key=value` line (or command-line override) being applied.
struct Assignment {
  std::string_view key;
  std::string_view value;  // trimmed; "" is the reset
  const Origin& origin;
};

struct Directive {
  // How a later assignment combines with an earlier one; the parser refuses
  // an Include= that would silently undo lines above it (parser.cpp).
  enum class Merge : unsigned char {
    Replace,     // a scalar: the last assignment wins
    Ordered,     // a list whose result depends on the order (~ lists, Environment=)
    Accumulate,  // a list that only grows, except for the empty reset
  };
  const char* name;
  // nullptr: handled by the file parser itself (Include=).
  Status (*parse)(Profile&, const Assignment&);
  Merge merge = Merge::Replace;
};

// Every directive, in the order show_profile prints them.
const std::vector<Directive>& directive_table();
// The cgroup resource directives (directives_resources.cpp), part of the table.
const std::vector<Directive>& resource_directives();
const Directive* find_directive(std::string_view name);
std::vector<std::string> directive_names();

// Leading and trailing whitespace removed.
std::string_view trim(std::string_view s);

// "file:line: message" as a Step::Profile error.
Error profile_error(const Origin& origin, std::string_view message);

// "file:line: invalid value 'V' for Key=: expected" for the assignment `a`.
Error invalid_value(const Assignment& a, std::string_view expected);

// A scalar directive's value, with the line that set it.
template <class T>
void assign(Setting<T>& s, T value, const Origin& o) {
  s.value = std::move(value);
  s.origin = o;
}

// systemd's word splitting for list values: words are separated by
// whitespace; double or single quotes group, also in mid-word (A="b c");
// C-style escapes (\n, \t, \\, \", \', \s, \xNN, \NNN) are decoded inside and
// outside quotes. `error` receives a message on failure.
bool split_words(std::string_view value, std::vector<std::string>& out, std::string& error);

// Scalar value syntax (parser.cpp).
std::optional<bool> parse_bool(std::string_view v);           // yes/no, true/false, on/off, 1/0, y/n, t/f
bool parse_uint(std::string_view s, uint64_t& out);           // decimal digits only
bool parse_size(std::string_view s, uint64_t& out);           // N, NK, NM, NG, NT, NP, NE (powers of 1024)
bool parse_time_usec(std::string_view s, uint64_t bare, uint64_t& out);  // 10s, 5min, 50ms; bare N = N*bare
bool valid_path(std::string_view p);       // absolute, no ".." component
bool valid_user_name(std::string_view n);  // a user/group name as useradd accepts it, or a numeric id
bool valid_env_name(std::string_view n);   // [A-Za-z_][A-Za-z0-9_]*

// The inverse of split_words: a word that split_words reads back unchanged.
std::string quote_word(std::string_view word);

// "EPERM" for EPERM, "" if the number has no name.
std::string errno_name(int err);

// RLIMIT_* -> "NOFILE" for LimitNOFILE=, nullptr for unknown resources.
const char* limit_suffix(int resource);

}  // namespace zjail
