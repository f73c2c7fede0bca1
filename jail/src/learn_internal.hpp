// The learn-mode writer's parts (docs/learn.md): learn_write.cpp assembles
// the profile from sections, learn_paths.cpp decides the file-system lines,
// learn_evidence.cpp keeps the facts. Everything here is pure: observations
// (and a loaded base profile) in, text out; nothing is run.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "zjail/learn.hpp"

namespace zjail::learn::detail {

// One generated directive and the evidence comment above it.
struct Line {
  std::string key;
  std::string value;             // as written after '=' (list words already quoted)
  std::vector<std::string> why;  // comment lines, raw: escaped when written
};

// A part of the profile: its lines, and comment-only notes on what was seen
// but not granted (or granted otherwise), with the reason.
struct Section {
  std::string title;
  std::vector<Line> lines;
  std::vector<std::string> notes;
};

// Text made safe for a comment line: control bytes and DEL as \xNN, so a
// comment is one line whatever a path or an example holds (idempotent).
std::string comment_safe(std::string_view text);
// "seen 3 times, e.g. EXAMPLE" (the example cut to a readable length).
std::string seen(const Evidence& e);
std::string access_text(unsigned access);  // "read, written"

// `p` equals `dir` or lies beneath it.
bool under(std::string_view p, std::string_view dir);
std::string parent_of(const std::string& p);

// What learn_paths.cpp decides, as sections (file system; devices, /proc).
struct PathResult {
  Section files;
  Section devices;
  bool proc_all = false;        // a /proc file outside the process directories was read
  Evidence proc_evidence;
  bool tmp_used = false;
  Evidence tmp_evidence;
};

// `base`: only what the base profile does not already give.
PathResult plan_paths(const Observations& o, const Profile* base,
                      const std::function<bool(const std::string&)>& holds_secrets);

// learn_network.cpp: PrivateNetwork=, the address families, the sockets
// zjail binds (ListenStream=) and the Landlock port rules.
Section network_section(const Observations& o, const Profile* base, int landlock_abi);

// Names that mark a secret, and the host scan behind the folding rule.
bool is_secret_path(const std::string& p);
bool host_dir_holds_secrets(const std::string& dir);

}  // namespace zjail::learn::detail
