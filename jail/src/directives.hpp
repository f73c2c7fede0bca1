// Internal to the profile parser: the directive table, shared by parser.cpp,
// directives.cpp, directives_resources.cpp and show.cpp. The value syntax
// the directives read is syntax.hpp's.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "syntax.hpp"
#include "zjail/profile.hpp"
#include "zjail/result.hpp"

namespace zjail {

class ShowWriter;

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
  // Writes the directive's resolved value for --show (show.hpp); nullptr for
  // the directives show.cpp writes itself.
  void (*show)(ShowWriter&, const Profile&) = nullptr;
};

// The AF_* number of a family name RestrictAddressFamilies= accepted.
int address_family_number(std::string_view name);

// Every directive, in the order show_profile prints them.
const std::vector<Directive>& directive_table();
// Parts of the table, each in a file of its own:
const std::vector<Directive>& resource_directives();  // cgroup limits (directives_resources.cpp)
const std::vector<Directive>& sandbox_directives();   // the file-system sandbox (directives_sandbox.cpp)
const std::vector<Directive>& security_directives();  // kernel interfaces, process properties (directives_security.cpp)
const std::vector<Directive>& identity_directives();  // identity, directories, credentials (directives_identity.cpp)
const std::vector<Directive>& network_directives();   // veth, user mode, filters, ports (directives_network.cpp)
const Directive* find_directive(std::string_view name);
std::vector<std::string> directive_names();

// "file:line: invalid value 'V' for Key=: expected" for the assignment `a`,
// or for one `word` of its value.
Error invalid_value(const Assignment& a, std::string_view expected);
Error invalid_word(const Assignment& a, std::string_view word, std::string_view expected);

// The value's words, unquoted (syntax.hpp's split_words), or the error.
Result<std::vector<std::string>> words_of(const Assignment& a);

// Checks one word of a list and returns its canonical spelling.
using NameCheck = Result<std::string> (*)(const Assignment& a, const std::string& word);

// A NameList directive in systemd's list semantics (profile.hpp): "" resets,
// a leading '~' makes a deny list, the opposite polarity removes names.
Status name_list_directive(NameList& list, const Assignment& a, NameCheck check);

// A scalar directive's value, with the line that set it.
template <class T>
void assign(Setting<T>& s, T value, const Origin& o) {
  s.value = std::move(value);
  s.origin = o;
}

}  // namespace zjail
