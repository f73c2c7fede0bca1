// parity_compare: compares two observe reports, a native systemd service's
// and a zjail jail's, key by key, and says for each key whether zjail is
// equal, tighter or looser (README.md: "How reports compare").
//
//   parity_compare [--case NAME] [--keys FILE] [--gaps FILE] [--strict] [--quiet]
//                  NATIVE ZJAIL DELIBERATE
//   parity_compare --diff A B          the keys whose values differ, both values
//   parity_compare --filter KEYS R     the lines of report R whose key KEYS matches
//
// DELIBERATE lists the differences zjail means to have, one per line:
//   KEY-GLOB LEVEL [case=CASE-GLOB] REASON
// LEVEL is the furthest the difference may go: "tighter" (also covers both
// sides refusing with different errnos), "differs" (tighter, or values that
// do not compare) or "looser".
// --gaps FILE, in the same format, lists differences that are zjail's
// faults awaiting a fix: reported as "known-gap", loudly, without failing.
// --keys FILE compares only the keys matching one of its globs (the keys
// that are the same on any machine, for a report recorded elsewhere).
// A looser or incomparable key listed in neither file fails (exit 1); with
// --strict an unlisted tighter key fails too. Exit 2: bad usage or input.
#include <fnmatch.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace {

using Report = std::map<std::string, std::string>;

enum class Verdict { Equal, Tighter, Looser, Differs, SameDenied, Info };

const char* verdict_name(Verdict v) {
  switch (v) {
    case Verdict::Equal: return "equal";
    case Verdict::Tighter: return "tighter";
    case Verdict::Looser: return "LOOSER";
    case Verdict::Differs: return "DIFFERS";
    case Verdict::SameDenied: return "denied-both";
    case Verdict::Info: return "info";
  }
  return "?";
}

// How the values of a key kind are ordered (README.md lists them).
enum class Kind { Exact, Access, Flags, Set, Op, Sys, Caps, BitsSuperset, Ordered, Cgroup, Info };

struct Rule {
  const char* prefix;
  Kind kind;
  std::vector<std::string> order;  // Kind::Ordered: tightest first
};

const std::vector<Rule>& rules() {
  static const std::vector<Rule> r = {
      {"path.", Kind::Access, {}},
      {"mnt.", Kind::Flags, {}},
      {"ls.", Kind::Set, {}},
      {"id.groups", Kind::Set, {}},
      {"net.ifaces", Kind::Set, {}},
      {"dev.", Kind::Op, {}},
      {"op.", Kind::Op, {}},
      {"af.", Kind::Op, {}},
      {"ns.", Kind::Op, {}},
      {"abi.", Kind::Op, {}},
      {"sys.", Kind::Sys, {}},
      {"cap.", Kind::Caps, {}},
      {"securebits", Kind::BitsSuperset, {}},
      {"umask", Kind::BitsSuperset, {}},
      {"nnp", Kind::Ordered, {"1", "0"}},
      {"seccomp", Kind::Ordered, {"1", "2", "0"}},
      {"kernel.kallsyms", Kind::Ordered, {"absent", "denied", "empty", "zeroed", "addresses"}},
      {"proc.others", Kind::Ordered, {"hidden", "visible"}},
      {"cgroup.path", Kind::Cgroup, {}},
      {"scratch", Kind::Info, {}},
  };
  return r;
}

const Rule* rule_for(const std::string& key) {
  const Rule* best = nullptr;
  size_t len = 0;
  for (const auto& r : rules()) {
    std::string p = r.prefix;
    bool match = p.back() == '.' ? key.rfind(p, 0) == 0 : key == p;
    if (match && p.size() > len) {
      best = &r;
      len = p.size();
    }
  }
  return best;
}

std::set<std::string> items(const std::string& v, char sep) {
  std::set<std::string> out;
  std::string cur;
  std::istringstream in(v);
  while (std::getline(in, cur, sep))
    if (!cur.empty() && cur != "-") out.insert(cur);
  return out;
}

bool subset(const std::set<std::string>& a, const std::set<std::string>& b) {
  return std::includes(b.begin(), b.end(), a.begin(), a.end());
}

Verdict by_subset(const std::set<std::string>& z, const std::set<std::string>& n) {
  if (z == n) return Verdict::Equal;
  return subset(z, n) ? Verdict::Tighter : Verdict::Looser;
}

// "absent" hides more than "denied", which hides more than anything shown.
int hidden_rank(const std::string& v) { return v == "absent" ? 0 : v == "denied" ? 1 : 2; }

Verdict hidden_order(const std::string& n, const std::string& z) {
  int rn = hidden_rank(n), rz = hidden_rank(z);
  if (rn == rz) return Verdict::Equal;
  return rz < rn ? Verdict::Tighter : Verdict::Looser;
}

Verdict outcome(const std::string& n, const std::string& z, const char* open) {
  bool no = n == open, zo = z == open;
  if (no && zo) return Verdict::Equal;
  if (no) return Verdict::Tighter;
  if (zo) return Verdict::Looser;
  return Verdict::SameDenied;  // both refused, with different answers
}

// An errno name ("EPERM"), a signal ("SIGSYS") or no value at all.
bool refused(const std::string& v) {
  if (v == "(missing)" || v == "unreadable") return true;
  if (v.size() < 3 || !(v[0] == 'E' || v.rfind("SIG", 0) == 0)) return false;
  return std::all_of(v.begin(), v.end(), [](char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); });
}

bool parse_bits(const std::string& v, unsigned long long& out) {
  if (v.empty()) return false;
  char* end = nullptr;
  // Capability masks are bare hex; umask is octal with a leading 0.
  int base = v.rfind("0x", 0) == 0 ? 16 : (v.size() == 16 ? 16 : 8);
  out = std::strtoull(v.c_str(), &end, base);
  return end && *end == '\0';
}

Verdict compare_value(const std::string& key, const std::string& n, const std::string& z) {
  if (n == z) return Verdict::Equal;
  const Rule* r = rule_for(key);
  Kind kind = r ? r->kind : Kind::Exact;
  switch (kind) {
    case Kind::Exact:
      // A value zjail could not even read (an errno, a killed group, a key
      // that never came) tells less than the one systemd's service read.
      if (refused(z) && !refused(n)) return Verdict::Tighter;
      if (refused(n) && !refused(z)) return Verdict::Looser;
      return Verdict::Differs;
    case Kind::Info: return Verdict::Info;
    case Kind::Access: {
      if (hidden_rank(n) < 2 || hidden_rank(z) < 2) return hidden_order(n, z);
      size_t cn = n.find(':'), cz = z.find(':');
      if (cn == std::string::npos || cz == std::string::npos || n.substr(0, cn) != z.substr(0, cz))
        return Verdict::Differs;  // another file type in its place
      std::set<std::string> pn, pz;
      for (char c : n.substr(cn + 1))
        if (c != '-') pn.insert(std::string(1, c));
      for (char c : z.substr(cz + 1))
        if (c != '-') pz.insert(std::string(1, c));
      return by_subset(pz, pn);
    }
    case Kind::Flags: {
      if (hidden_rank(n) < 2 || hidden_rank(z) < 2) return hidden_order(n, z);
      auto fn = items(n, ','), fz = items(z, ',');  // more restricting flags: tighter
      if (fn == fz) return Verdict::Equal;
      return subset(fn, fz) ? Verdict::Tighter : Verdict::Looser;
    }
    case Kind::Set:
      if (hidden_rank(n) < 2 || hidden_rank(z) < 2) return hidden_order(n, z);
      return by_subset(items(z, ','), items(n, ','));
    case Kind::Op: return outcome(n, z, "ok");
    case Kind::Sys: return outcome(n, z, "reached");
    case Kind::Caps: {
      unsigned long long bn = 0, bz = 0;
      if (!parse_bits(n, bn) || !parse_bits(z, bz)) return Verdict::Differs;
      if (bn == bz) return Verdict::Equal;
      return (bz & ~bn) == 0 ? Verdict::Tighter : Verdict::Looser;
    }
    case Kind::BitsSuperset: {
      unsigned long long bn = 0, bz = 0;
      if (!parse_bits(n, bn) || !parse_bits(z, bz)) return Verdict::Differs;
      if (bn == bz) return Verdict::Equal;
      return (bn & ~bz) == 0 ? Verdict::Tighter : Verdict::Looser;
    }
    case Kind::Ordered: {
      auto in = std::find(r->order.begin(), r->order.end(), n);
      auto iz = std::find(r->order.begin(), r->order.end(), z);
      if (in == r->order.end() || iz == r->order.end()) return Verdict::Differs;
      return iz < in ? Verdict::Tighter : Verdict::Looser;
    }
    case Kind::Cgroup:
      // "/": the root of a cgroup namespace of its own.
      if (z == "/") return Verdict::Tighter;
      if (n == "/") return Verdict::Looser;
      return Verdict::Differs;
  }
  return Verdict::Differs;
}

bool read_report(const std::string& path, Report& out) {
  std::ifstream f(path);
  if (!f) {
    std::fprintf(stderr, "parity_compare: cannot read %s\n", path.c_str());
    return false;
  }
  std::string line;
  int n = 0;
  while (std::getline(f, line)) {
    ++n;
    if (line.empty() || line[0] == '#') continue;
    size_t eq = line.find('=');
    if (eq == std::string::npos || eq == 0) {
      std::fprintf(stderr, "parity_compare: %s:%d: not a key=value line\n", path.c_str(), n);
      return false;
    }
    out[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return true;
}

struct Deliberate {
  std::string key_glob, case_glob, reason;
  Verdict level = Verdict::Tighter;
  std::string where;
  bool gap = false;  // a known gap, not a deliberate difference
};

// Whether a listed difference of `level` covers verdict v.
bool covers(Verdict level, Verdict v) {
  auto rank = [](Verdict x) {
    switch (x) {
      case Verdict::Tighter:
      case Verdict::SameDenied:
      case Verdict::Info: return 0;
      case Verdict::Differs: return 1;
      case Verdict::Looser: return 2;
      case Verdict::Equal: return -1;
    }
    return 3;
  };
  return rank(v) <= rank(level);
}

bool read_deliberate(const std::string& path, std::vector<Deliberate>& out, bool gap) {
  std::ifstream f(path);
  if (!f) {
    std::fprintf(stderr, "parity_compare: cannot read %s\n", path.c_str());
    return false;
  }
  std::string line;
  int n = 0;
  while (std::getline(f, line)) {
    ++n;
    std::istringstream in(line);
    Deliberate d;
    if (!(in >> d.key_glob) || d.key_glob[0] == '#') continue;
    std::string word;
    in >> word;
    if (word == "tighter") d.level = Verdict::Tighter;
    else if (word == "differs") d.level = Verdict::Differs;
    else if (word == "looser") d.level = Verdict::Looser;
    else {
      std::fprintf(stderr, "parity_compare: %s:%d: expected tighter, differs or looser after the key, not '%s'\n",
                   path.c_str(), n, word.c_str());
      return false;
    }
    in >> std::ws;
    if (in.peek() == 'c') {
      std::streampos at = in.tellg();
      in >> word;
      if (word.rfind("case=", 0) == 0) d.case_glob = word.substr(5);
      else in.seekg(at);
    }
    std::getline(in >> std::ws, d.reason);
    d.where = path + ":" + std::to_string(n);
    d.gap = gap;
    if (d.reason.empty()) {
      std::fprintf(stderr, "parity_compare: %s: a deliberate difference needs its reason\n", d.where.c_str());
      return false;
    }
    out.push_back(std::move(d));
  }
  return true;
}

bool read_globs(const std::string& path, std::vector<std::string>& out) {
  std::ifstream f(path);
  if (!f) {
    std::fprintf(stderr, "parity_compare: cannot read %s\n", path.c_str());
    return false;
  }
  std::string w;
  while (f >> w) {
    if (w[0] == '#') {
      std::getline(f, w);
      continue;
    }
    out.push_back(w);
  }
  return true;
}

bool matches(const std::vector<std::string>& globs, const std::string& s) {
  for (const auto& g : globs)
    if (fnmatch(g.c_str(), s.c_str(), 0) == 0) return true;
  return false;
}

int usage() {
  std::fprintf(stderr,
               "usage: parity_compare [--case NAME] [--keys FILE] [--strict] [--quiet] NATIVE ZJAIL DELIBERATE\n"
               "       parity_compare --diff A B\n"
               "       parity_compare --filter KEYS REPORT\n");
  return 2;
}

int diff(const std::string& a_path, const std::string& b_path) {
  Report a, b;
  if (!read_report(a_path, a) || !read_report(b_path, b)) return 2;
  std::set<std::string> keys;
  for (const auto& [k, v] : a) keys.insert(k);
  for (const auto& [k, v] : b) keys.insert(k);
  for (const auto& k : keys) {
    auto ia = a.find(k), ib = b.find(k);
    std::string va = ia == a.end() ? "(missing)" : ia->second, vb = ib == b.end() ? "(missing)" : ib->second;
    if (va != vb) std::printf("%s: %s -> %s\n", k.c_str(), va.c_str(), vb.c_str());
  }
  return 0;
}

int filter(const std::string& keys_path, const std::string& report_path) {
  std::vector<std::string> globs;
  Report r;
  if (!read_globs(keys_path, globs) || !read_report(report_path, r)) return 2;
  for (const auto& [k, v] : r)
    if (matches(globs, k)) std::printf("%s=%s\n", k.c_str(), v.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string case_name = "-", keys_file, gaps_file;
  bool strict = false, quiet = false;
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--diff") {
      if (argc != i + 3) return usage();
      return diff(argv[i + 1], argv[i + 2]);
    }
    if (a == "--filter") {
      if (argc != i + 3) return usage();
      return filter(argv[i + 1], argv[i + 2]);
    }
    if (a == "--case" && i + 1 < argc) case_name = argv[++i];
    else if (a == "--keys" && i + 1 < argc) keys_file = argv[++i];
    else if (a == "--gaps" && i + 1 < argc) gaps_file = argv[++i];
    else if (a == "--strict") strict = true;
    else if (a == "--quiet") quiet = true;
    else if (!a.empty() && a[0] == '-') return usage();
    else args.push_back(a);
  }
  if (args.size() != 3) return usage();
  Report native, zjail;
  std::vector<Deliberate> deliberate;
  std::vector<std::string> key_globs;
  if (!read_report(args[0], native) || !read_report(args[1], zjail) || !read_deliberate(args[2], deliberate, false))
    return 2;
  if (!gaps_file.empty() && !read_deliberate(gaps_file, deliberate, true)) return 2;
  if (!keys_file.empty() && !read_globs(keys_file, key_globs)) return 2;
  if (native.empty() || zjail.empty()) {
    std::fprintf(stderr, "parity_compare: %s: an empty report\n", native.empty() ? args[0].c_str() : args[1].c_str());
    return 2;
  }

  std::set<std::string> keys;
  for (const auto& [k, v] : native) keys.insert(k);
  for (const auto& [k, v] : zjail) keys.insert(k);
  std::map<Verdict, int> count;
  int listed = 0, gaps = 0, failures = 0, unlisted_tighter = 0;
  for (const auto& k : keys) {
    if (!key_globs.empty() && !matches(key_globs, k)) continue;
    auto in = native.find(k), iz = zjail.find(k);
    std::string n = in == native.end() ? "(missing)" : in->second;
    std::string z = iz == zjail.end() ? "(missing)" : iz->second;
    Verdict v = compare_value(k, n, z);
    ++count[v];
    if (v == Verdict::Equal) continue;
    const Deliberate* why = nullptr;
    for (const auto& d : deliberate)
      // A known gap is about a failure: a tighter key needs no excuse.
      if (covers(d.level, v) && !(d.gap && (v == Verdict::Tighter || v == Verdict::SameDenied)) && fnmatch(d.key_glob.c_str(), k.c_str(), 0) == 0 &&
          (d.case_glob.empty() || fnmatch(d.case_glob.c_str(), case_name.c_str(), 0) == 0)) {
        why = &d;
        break;
      }
    bool bad = (v == Verdict::Looser || v == Verdict::Differs) && !why;
    if (v == Verdict::Tighter && !why) {
      ++unlisted_tighter;
      bad = bad || strict;
    }
    if (why) ++(why->gap ? gaps : listed);
    if (bad) ++failures;
    // Known gaps are printed even with --quiet: they are faults, only tolerated.
    if (quiet && !bad && !(why && why->gap)) continue;
    const char* label = why ? (why->gap ? "KNOWN-GAP" : "deliberate") : verdict_name(v);
    std::printf("%-11s %s: native=%s zjail=%s%s%s\n", label, k.c_str(), n.c_str(), z.c_str(), why ? " -- " : "",
                why ? why->reason.c_str() : "");
  }
  std::printf("parity %s: %d equal, %d tighter, %d denied both (errno differs), %d looser, %d differ; "
              "%d deliberate, %d known gaps, %d unlisted tighter%s\n",
              case_name.c_str(), count[Verdict::Equal], count[Verdict::Tighter], count[Verdict::SameDenied],
              count[Verdict::Looser], count[Verdict::Differs], listed, gaps, unlisted_tighter,
              failures ? "; FAILED" : "");
  return failures ? 1 : 0;
}
