// The evidence block that ends every learned profile: one "# zjail-learn: "
// line per fact, read back exactly by parse_evidence(), so that `--merge`
// widens a learned profile with another run. Strings are quoted with
// escapes (a path may hold a newline, a quote, any byte but NUL); the block
// opens with a version line and closes with the number of facts, so a
// truncated or edited block is an error, never half an observation.
#include <algorithm>
#include <charconv>
#include <cstdio>

#include "learn_internal.hpp"
#include "syntax.hpp"
#include "zjail/result.hpp"

namespace zjail::learn {
namespace {

using std::string;
using std::string_view;

constexpr string_view kPrefix = "# zjail-learn: ";
constexpr string_view kVersion = "v1";

// --- Writing -------------------------------------------------------------------

string quoted(string_view s) {
  string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

// Access bits as letters, in a fixed order; directory and missing last.
constexpr struct {
  unsigned bit;
  char letter;
} kAccessLetters[] = {{kRead, 'r'}, {kWrite, 'w'}, {kExec, 'x'}, {kCreate, 'c'}, {kRemove, 'd'}, {kList, 'l'}};

string access_letters(const PathUse& u) {
  string out;
  for (auto [bit, letter] : kAccessLetters)
    if (u.access & bit) out += letter;
  if (u.directory) out += 'D';
  if (u.missing) out += 'M';
  return out.empty() ? "-" : out;
}

struct Writer {
  string out;
  size_t facts = 0;
  void fact(string_view kind, const string& rest) {
    out += kPrefix;
    out += kind;
    if (!rest.empty()) out += " " + rest;
    out += '\n';
    ++facts;
  }
  void evidence(string_view kind, const string& key, const Evidence& e) {
    fact(kind, (key.empty() ? "" : key + " ") + std::to_string(e.count) + " " + quoted(e.example));
  }
  template <class K>
  void all(string_view kind, const std::map<K, Evidence>& m) {
    for (const auto& [k, e] : m) {
      if constexpr (std::is_same_v<K, string>) evidence(kind, quoted(k), e);
      else evidence(kind, std::to_string(k), e);
    }
  }
};

// --- Reading -------------------------------------------------------------------

// Tokens of one fact line: bare words (no quote, no space) and quoted strings.
struct Token {
  string text;
  bool quoted = false;
};

bool tokenize(string_view line, std::vector<Token>& out, string& why) {
  size_t i = 0;
  while (i < line.size()) {
    if (line[i] == ' ') {
      if (i + 1 < line.size() && line[i + 1] == ' ') return why = "two spaces in a row", false;
      ++i;
      continue;
    }
    Token t;
    if (line[i] != '"') {
      size_t end = std::min(line.find(' ', i), line.size());
      t.text = string(line.substr(i, end - i));
      if (t.text.find_first_of("\"\\") != string::npos) return why = "a stray quote or backslash", false;
      i = end;
      out.push_back(std::move(t));
      continue;
    }
    t.quoted = true;
    ++i;
    bool closed = false;
    while (i < line.size()) {
      unsigned char c = line[i++];
      if (c == '"') {
        closed = true;
        break;
      }
      if (c < 0x20 || c == 0x7f) return why = "a raw control byte in a string", false;
      if (c != '\\') {
        t.text += static_cast<char>(c);
        continue;
      }
      if (i >= line.size()) return why = "a string ends in a backslash", false;
      char e = line[i++];
      if (e == '"' || e == '\\') {
        t.text += e;
      } else if (e == 'x' && i + 2 <= line.size()) {
        unsigned v = 0;
        auto [p, ec] = std::from_chars(line.data() + i, line.data() + i + 2, v, 16);
        if (ec != std::errc() || p != line.data() + i + 2) return why = "a bad \\x escape", false;
        t.text += static_cast<char>(v);
        i += 2;
      } else {
        return why = "an unknown escape", false;
      }
    }
    if (!closed) return why = "an unterminated string", false;
    if (i < line.size() && line[i] != ' ') return why = "text right after a string", false;
    out.push_back(std::move(t));
  }
  return true;
}

bool number(const Token& t, uint64_t& out) {
  if (t.quoted || t.text.empty() || t.text.size() > 20) return false;
  auto [p, ec] = std::from_chars(t.text.data(), t.text.data() + t.text.size(), out);
  return ec == std::errc() && p == t.text.data() + t.text.size() && (t.text == "0" || t.text[0] != '0');
}

class Reader {
 public:
  Reader(Observations& o, const string& file) : o_(o), file_(file) {}

  Status line(string_view body, int lineno) {
    lineno_ = lineno;
    std::vector<Token> t;
    string why;
    if (!tokenize(body, t, why)) return fail("garbled evidence line: " + why);
    if (t.empty() || t[0].quoted) return fail("garbled evidence line: no fact name");
    const string& kind = t[0].text;
    if (kind == "command") {
      if (t.size() < 2) return fail("command: expected its words");
      for (size_t i = 1; i < t.size(); ++i) {
        if (!t[i].quoted) return fail("command: expected quoted words");
        o_.command.push_back(t[i].text);
      }
      return {};
    }
    if (kind == "user") return string_field(t, o_.user);
    if (kind == "processes") return count_field(t, o_.processes);
    if (kind == "syscall") return keyed(t, o_.syscalls);
    if (kind == "family") return keyed(t, o_.families);
    if (kind == "connect") return keyed(t, o_.connects);
    if (kind == "listen") return keyed(t, o_.listens);
    if (kind == "capability") return keyed(t, o_.capabilities);
    if (kind == "user-switch") return keyed(t, o_.users);
    if (kind == "namespace") return keyed(t, o_.namespaces);
    if (kind == "rlimit") return keyed(t, o_.rlimits);
    if (kind == "tcp-bind") return port(t, o_.tcp_binds);
    if (kind == "udp-bind") return port(t, o_.udp_binds);
    if (kind == "write-execute") return single(t, o_.write_execute);
    if (kind == "socket-activation") return single(t, o_.socket_activation);
    if (kind == "notify") return single(t, o_.notify);
    if (kind == "rlimit-value") {
      uint64_t v = 0;
      if (t.size() != 3 || !t[1].quoted || !number(t[2], v)) return fail("rlimit-value: expected \"NAME\" VALUE");
      if (!o_.rlimit_values.emplace(t[1].text, v).second) return fail("rlimit-value " + t[1].text + " given twice");
      return {};
    }
    if (kind == "path") return path(t);
    return fail("unknown evidence fact '" + kind + "'");
  }

 private:
  Status fail(const string& message) const { return profile_error(Origin{file_, lineno_}, message); }

  Status string_field(const std::vector<Token>& t, string& out) {
    if (t.size() != 2 || !t[1].quoted) return fail(t[0].text + ": expected one quoted string");
    out = t[1].text;
    return {};
  }
  Status count_field(const std::vector<Token>& t, uint64_t& out) {
    if (t.size() != 2 || !number(t[1], out)) return fail(t[0].text + ": expected a number");
    return {};
  }
  // COUNT "EXAMPLE" from t[first]; a fact seen 0 times is no fact.
  Status evidence(const std::vector<Token>& t, size_t first, Evidence& e) {
    if (t.size() != first + 2 || !number(t[first], e.count) || !t[first + 1].quoted || e.count == 0)
      return fail(t[0].text + ": expected COUNT \"EXAMPLE\" with a count above 0");
    e.example = t[first + 1].text;
    return {};
  }
  Status keyed(const std::vector<Token>& t, std::map<string, Evidence>& m) {
    if (t.size() < 2 || !t[1].quoted || t[1].text.empty()) return fail(t[0].text + ": expected a quoted name");
    Evidence e;
    ZJAIL_TRY(evidence(t, 2, e));
    if (!m.emplace(t[1].text, std::move(e)).second) return fail(t[0].text + " '" + t[1].text + "' given twice");
    return {};
  }
  Status port(const std::vector<Token>& t, std::map<uint16_t, Evidence>& m) {
    uint64_t p = 0;
    if (t.size() < 2 || !number(t[1], p) || p > 65535) return fail(t[0].text + ": expected a port, 0 to 65535");
    Evidence e;
    ZJAIL_TRY(evidence(t, 2, e));
    if (!m.emplace(static_cast<uint16_t>(p), std::move(e)).second)
      return fail(t[0].text + " " + std::to_string(p) + " given twice");
    return {};
  }
  Status single(const std::vector<Token>& t, Evidence& e) {
    if (e.count) return fail(t[0].text + " given twice");
    return evidence(t, 1, e);
  }
  Status path(const std::vector<Token>& t) {
    if (t.size() < 3 || t[1].quoted || !t[2].quoted || t[2].text.empty() || t[2].text[0] != '/')
      return fail("path: expected ACCESS \"/ABSOLUTE/PATH\" COUNT \"EXAMPLE\"");
    PathUse u;
    const string& letters = t[1].text;
    for (size_t i = 0; i < letters.size(); ++i) {
      char c = letters[i];
      auto it = std::find_if(std::begin(kAccessLetters), std::end(kAccessLetters), [&](auto& a) { return a.letter == c; });
      if (it != std::end(kAccessLetters) && !(u.access & it->bit)) u.access |= it->bit;
      else if (c == 'D' && !u.directory) u.directory = true;
      else if (c == 'M' && !u.missing) u.missing = true;
      else if (!(c == '-' && letters.size() == 1)) return fail("path: bad access letters '" + letters + "'");
    }
    ZJAIL_TRY(evidence(t, 3, u.seen));
    if (!o_.paths.emplace(t[2].text, std::move(u)).second) return fail("path '" + t[2].text + "' given twice");
    return {};
  }

  Observations& o_;
  const string& file_;
  int lineno_ = 0;
};

}  // namespace

void merge(Observations& into, const Observations& from) {
  if (into.command.empty()) into.command = from.command;
  if (into.user.empty()) into.user = from.user;
  auto all = [](auto& a, const auto& b) {
    for (const auto& [k, e] : b) a[k].merge(e);
  };
  all(into.syscalls, from.syscalls);
  all(into.families, from.families);
  all(into.tcp_binds, from.tcp_binds);
  all(into.udp_binds, from.udp_binds);
  all(into.connects, from.connects);
  all(into.listens, from.listens);
  all(into.capabilities, from.capabilities);
  all(into.users, from.users);
  all(into.namespaces, from.namespaces);
  all(into.rlimits, from.rlimits);
  for (const auto& [k, v] : from.rlimit_values) into.rlimit_values[k] = std::max(into.rlimit_values[k], v);
  for (const auto& [p, u] : from.paths) {
    auto [it, fresh] = into.paths.try_emplace(p, u);
    if (fresh) continue;
    PathUse& mine = it->second;
    mine.access |= u.access;
    mine.directory = mine.directory || u.directory;
    // Missing only if every run found it missing.
    mine.missing = mine.missing && u.missing;
    mine.seen.merge(u.seen);
  }
  into.write_execute.merge(from.write_execute);
  into.socket_activation.merge(from.socket_activation);
  into.notify.merge(from.notify);
  into.processes += from.processes;
}

std::string evidence_block(const Observations& o) {
  Writer w;
  w.out += "# The evidence: every fact learn mode saw, read back by `zjail learn --merge`. Edit nothing below.\n";
  w.out += string(kPrefix) + string(kVersion) + "\n";
  if (!o.command.empty()) {
    string words;
    for (const auto& c : o.command) words += (words.empty() ? "" : " ") + quoted(c);
    w.fact("command", words);
  }
  if (!o.user.empty()) w.fact("user", quoted(o.user));
  if (o.processes) w.fact("processes", std::to_string(o.processes));
  w.all("syscall", o.syscalls);
  for (const auto& [p, u] : o.paths)
    w.fact("path", access_letters(u) + " " + quoted(p) + " " + std::to_string(u.seen.count) + " " + quoted(u.seen.example));
  w.all("family", o.families);
  w.all("tcp-bind", o.tcp_binds);
  w.all("udp-bind", o.udp_binds);
  w.all("listen", o.listens);
  w.all("connect", o.connects);
  w.all("capability", o.capabilities);
  w.all("user-switch", o.users);
  w.all("namespace", o.namespaces);
  w.all("rlimit", o.rlimits);
  for (const auto& [k, v] : o.rlimit_values) w.fact("rlimit-value", quoted(k) + " " + std::to_string(v));
  if (o.write_execute.count) w.evidence("write-execute", "", o.write_execute);
  if (o.socket_activation.count) w.evidence("socket-activation", "", o.socket_activation);
  if (o.notify.count) w.evidence("notify", "", o.notify);
  size_t facts = w.facts;
  w.out += string(kPrefix) + "end " + std::to_string(facts) + "\n";
  return w.out;
}

Result<Observations> parse_evidence(const std::string& text, const std::string& file) {
  Observations o;
  Reader r(o, file);
  enum { Before, In, After } state = Before;
  uint64_t facts = 0;
  int lineno = 0, start = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = std::min(text.find('\n', pos), text.size());
    string_view line(text.data() + pos, nl - pos);
    pos = nl + 1;
    ++lineno;
    bool evidence = line.starts_with(kPrefix);
    if (!evidence && line.starts_with(kPrefix.substr(0, kPrefix.size() - 1)))
      return profile_error(Origin{file, lineno}, "garbled evidence line: expected '" + string(kPrefix) + "'");
    if (state == After) {
      if (evidence) return profile_error(Origin{file, lineno}, "evidence after the block's end line");
      continue;
    }
    if (state == Before) {
      if (!evidence) continue;
      if (line.substr(kPrefix.size()) != kVersion)
        return profile_error(Origin{file, lineno},
                             "the evidence block starts with '" + string(line.substr(kPrefix.size())) +
                                 "', not '" + string(kVersion) + "' (written by another zjail?)");
      state = In;
      start = lineno;
      continue;
    }
    if (!evidence)
      return profile_error(Origin{file, lineno}, "the evidence block (from line " + std::to_string(start) +
                                                     ") is cut short: no end line before this one");
    string_view body = line.substr(kPrefix.size());
    if (body.starts_with("end ")) {
      uint64_t n = 0;
      if (!number(Token{string(body.substr(4)), false}, n) || n != facts)
        return profile_error(Origin{file, lineno}, "the evidence block's end line says '" + string(body.substr(4)) +
                                                       "' facts, and it holds " + std::to_string(facts));
      state = After;
      continue;
    }
    ZJAIL_TRY(r.line(body, lineno));
    ++facts;
  }
  if (state == Before) return make_error(Step::Profile, 0, file + ": no evidence block ('" + string(kPrefix) + "v1'): not written by zjail learn");
  if (state == In)
    return profile_error(Origin{file, lineno}, "the evidence block (from line " + std::to_string(start) +
                                                   ") is cut short: no end line");
  return o;
}

namespace detail {

std::string comment_safe(std::string_view text) {
  string out;
  for (unsigned char c : text) {
    if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::string seen(const Evidence& e) {
  string ex = e.example;
  // A readable cut, on a character boundary of UTF-8.
  if (ex.size() > 120) {
    size_t cut = 120;
    while (cut > 0 && (static_cast<unsigned char>(ex[cut]) & 0xc0) == 0x80) --cut;
    ex = ex.substr(0, cut) + "...";
  }
  string out = "seen " + (e.count == 1 ? string("once") : std::to_string(e.count) + " times");
  if (!ex.empty()) out += ", e.g. " + ex;
  return out;
}

std::string access_text(unsigned access) {
  static constexpr struct {
    unsigned bit;
    const char* word;
  } kWords[] = {{kRead, "read"},       {kWrite, "written"}, {kExec, "executed"},
                {kCreate, "created"}, {kRemove, "removed"}, {kList, "listed"}};
  string out;
  for (auto [bit, word] : kWords)
    if (access & bit) out += (out.empty() ? "" : ", ") + string(word);
  return out.empty() ? "looked up" : out;
}

bool under(std::string_view p, std::string_view dir) {
  if (dir == "/") return !p.empty() && p[0] == '/';
  return p.starts_with(dir) && (p.size() == dir.size() || p[dir.size()] == '/');
}

std::string parent_of(const std::string& p) {
  size_t slash = p.rfind('/');
  return slash == 0 || slash == string::npos ? "/" : p.substr(0, slash);
}

}  // namespace detail
}  // namespace zjail::learn
