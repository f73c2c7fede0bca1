// Internal to the profile parser: the directive table and the value syntax
// shared by parser.cpp, directives.cpp and show.cpp.
#pragma once

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
  const char* name;
  // nullptr: handled by the file parser itself (Include=).
  Status (*parse)(Profile&, const Assignment&);
};

// Every directive, in the order show_profile prints them.
const std::vector<Directive>& directive_table();
const Directive* find_directive(std::string_view name);
std::vector<std::string> directive_names();

// Leading and trailing whitespace removed.
std::string_view trim(std::string_view s);

// "file:line: message" as a Step::Profile error.
Error profile_error(const Origin& origin, std::string_view message);

// systemd's word splitting for list values: words are separated by
// whitespace; double or single quotes group, also in mid-word (A="b c");
// C-style escapes (\n, \t, \\, \", \', \s, \xNN, \NNN) are decoded inside and
// outside quotes. `error` receives a message on failure.
bool split_words(std::string_view value, std::vector<std::string>& out, std::string& error);

// The inverse: a word that split_words reads back unchanged.
std::string quote_word(std::string_view word);

// "EPERM" for EPERM, "" if the number has no name.
std::string errno_name(int err);

// RLIMIT_* -> "NOFILE" for LimitNOFILE=, nullptr for unknown resources.
const char* limit_suffix(int resource);

}  // namespace zjail
