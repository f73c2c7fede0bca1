// systemd's unit-file value syntax (syntax.cpp), the lowest layer of the
// profile code: the parser, the directives, --show and the unit-file reader
// use it; it uses none of them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "zjail/profile.hpp"
#include "zjail/result.hpp"

namespace zjail {

// Leading and trailing whitespace removed.
std::string_view trim(std::string_view s);

// "file:line: message" as a Step::Profile error.
Error profile_error(const Origin& origin, std::string_view message);

// systemd's word splitting for list values: words are separated by
// whitespace; double or single quotes group, also in mid-word (A="b c");
// C-style escapes (\n, \t, \\, \", \', \s, \xNN, \NNN) are decoded inside and
// outside quotes. `error` receives a message on failure.
bool split_words(std::string_view value, std::vector<std::string>& out, std::string& error);

// Scalar value syntax (parser.cpp).
std::optional<bool> parse_bool(std::string_view v);           // yes/no, true/false, on/off, 1/0, y/n, t/f
bool parse_uint(std::string_view s, uint64_t& out);           // decimal digits only
// A size as systemd writes it: "512", "1.5G", "1G 512M" (sums, largest
// unit first); units B, K, M, G, T, P, E, powers of `base` (1024, or 1000
// where systemd says so).
bool parse_size(std::string_view s, uint64_t& out, uint64_t base = 1024);
// A share as systemd writes it: "20%", "12.5%", "5‰" or "50‱"; in 1/10000
// (permyriad). `max` bounds it (10000 = 100%).
bool parse_permyriad(std::string_view s, uint64_t max, uint64_t& out);
bool parse_time_usec(std::string_view s, uint64_t bare, uint64_t& out);  // 10s, 5min, 50ms; bare N = N*bare
bool valid_path(std::string_view p);       // absolute, no ".." component
bool valid_user_name(std::string_view n);  // a user/group name as useradd accepts it, or a numeric id
bool valid_env_name(std::string_view n);   // [A-Za-z_][A-Za-z0-9_]*
bool valid_hostname(std::string_view n);   // 1 to 64 of A-Z, a-z, 0-9, '.' and '-'
// systemd's credential_name_valid(): a file name and a $LISTEN_FDNAMES entry
// at once (printable ASCII, no '/', no ':').
bool valid_credential_name(std::string_view n);

// systemd's cunescape(): the C-style escapes of split_words decoded in a
// value taken whole (no words, no quotes), as SetCredential= reads it.
bool c_unescape(std::string_view value, std::string& out, std::string& error);
// The inverse of c_unescape: backslashes, control bytes and whitespace at
// either end escaped, so that the value survives trimming and reads back.
std::string c_escape(std::string_view value);

// The inverse of split_words: a word that split_words reads back unchanged.
std::string quote_word(std::string_view word);

// "EPERM" for EPERM, "" if the number has no name.
std::string errno_name(int err);

}  // namespace zjail
