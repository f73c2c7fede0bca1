// Reading a service unit's [Service] section from its file and drop-ins, for
// `zjail --analyze --unit`. Only what scoring needs: keys and raw values, the
// reset by empty assignment, and systemd's order of files.
#include "zjail/unit_file.hpp"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "syntax.hpp"
#include "unit_bus.hpp"

namespace zjail {
namespace {

namespace fs = std::filesystem;
using std::string;
using std::string_view;

const std::vector<string> kEmpty;

Result<string> slurp(const string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(Step::Profile, errno ? errno : ENOENT, path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

bool is_dev_null(const string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3);
}

// "foo@bar.service" -> "foo@.service"; "" for a name that is no instance.
string template_of(const string& name) {
  size_t at = name.find('@');
  size_t dot = name.rfind('.');
  if (at == string::npos || dot == string::npos || dot < at || at + 1 == dot) return "";
  return name.substr(0, at + 1) + name.substr(dot);
}

// The socket units that activate `unit`: those its Sockets= names, or else
// NAME.socket, looked for beside the unit file first, then in `dirs`. Only
// their [Socket] sections are kept (parse_unit_text).
Status add_socket_units(UnitFile& unit, const string& beside, const std::vector<string>& dirs) {
  std::vector<string> names;
  std::vector<string> words;
  string why;
  for (const auto& v : unit.all("Sockets"))
    if (split_words(v, words, why)) names.insert(names.end(), words.begin(), words.end());
  if (names.empty() && unit.name.ends_with(".service"))
    names.push_back(unit.name.substr(0, unit.name.size() - 8) + ".socket");
  UnitFile sockets;
  for (const auto& n : names) {
    std::vector<string> where;
    if (!beside.empty()) where.push_back(beside);
    where.insert(where.end(), dirs.begin(), dirs.end());
    for (const auto& d : where) {
      string p = d + "/" + n;
      if (!fs::exists(fs::symlink_status(p)) || is_dev_null(p)) continue;
      ZJAIL_TRY_ASSIGN(auto text, slurp(p));
      ZJAIL_TRY(parse_unit_text(sockets, text, p));
      break;
    }
  }
  for (auto& [k, v] : sockets.socket) {
    auto& mine = unit.socket[k];
    mine.insert(mine.end(), v.begin(), v.end());
  }
  unit.sources.insert(unit.sources.end(), sockets.sources.begin(), sockets.sources.end());
  return {};
}

}  // namespace

bool UnitFile::has(string_view key) const {
  auto it = service.find(key);
  return it != service.end() && !it->second.empty() && !it->second.back().empty();
}

string UnitFile::last(string_view key) const {
  auto it = service.find(key);
  return it == service.end() || it->second.empty() ? "" : it->second.back();
}

const std::vector<string>& UnitFile::all(string_view key) const {
  auto it = service.find(key);
  return it == service.end() ? kEmpty : it->second;
}

std::vector<string> unit_search_path() {
  return {"/etc/systemd/system", "/run/systemd/system", "/usr/lib/systemd/system",
          "/lib/systemd/system"};
}

Status parse_unit_text(UnitFile& into, string_view text, const string& file) {
  std::map<string, std::vector<string>, std::less<>>* section = nullptr;
  int lineno = 0;
  string pending;  // a line continued with a trailing backslash
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    string_view raw = text.substr(pos, nl == string_view::npos ? string_view::npos : nl - pos);
    pos = nl == string_view::npos ? text.size() + 1 : nl + 1;
    ++lineno;
    string_view line = trim(raw);
    if (pending.empty() && (line.empty() || line[0] == '#' || line[0] == ';')) continue;
    if (!pending.empty() && !line.empty() && (line[0] == '#' || line[0] == ';')) continue;
    if (!line.empty() && line.back() == '\\') {
      pending.append(line.substr(0, line.size() - 1)).push_back(' ');
      continue;
    }
    string full = pending + string(line);
    pending.clear();
    if (full.empty()) continue;
    if (full.front() == '[') {
      if (full.back() != ']')
        return make_error(Step::Profile, 0, file + ":" + std::to_string(lineno) + ": bad section header");
      section = full == "[Service]" ? &into.service : full == "[Socket]" ? &into.socket : nullptr;
      continue;
    }
    size_t eq = full.find('=');
    if (eq == string::npos)
      return make_error(Step::Profile, 0, file + ":" + std::to_string(lineno) + ": expected Key=value");
    if (!section) continue;
    string key(trim(string_view(full).substr(0, eq)));
    string value(trim(string_view(full).substr(eq + 1)));
    auto& values = (*section)[key];
    // The reset is kept as an "" first value: for a few settings
    // (CapabilityBoundingSet=) the empty assignment has a meaning of its own.
    if (value.empty()) values.assign(1, "");
    else values.push_back(std::move(value));
  }
  into.sources.push_back(file);
  return {};
}

Result<UnitFile> load_unit(const string& name_or_path, const std::vector<string>& dirs) {
  UnitFile unit;
  string fragment;
  if (name_or_path.find('/') != string::npos) {
    fragment = name_or_path;
    unit.name = fs::path(name_or_path).filename().string();
  } else {
    unit.name = name_or_path.find('.') == string::npos ? name_or_path + ".service" : name_or_path;
    string tmpl = template_of(unit.name);
    for (const string& name : {unit.name, tmpl}) {
      for (const auto& d : dirs) {
        if (name.empty() || !fragment.empty()) break;
        string p = d + "/" + name;
        if (fs::exists(fs::symlink_status(p))) fragment = p;
      }
    }
    if (fragment.empty())
      return make_error(Step::Profile, ENOENT, "unit " + unit.name + " (looked in /etc, /run, /usr/lib, /lib systemd/system)");
  }
  if (is_dev_null(fragment)) return make_error(Step::Profile, 0, "unit " + unit.name + " is masked");
  ZJAIL_TRY_ASSIGN(auto text, slurp(fragment));
  ZJAIL_TRY(parse_unit_text(unit, text, fragment));
  if (name_or_path.find('/') != string::npos) {
    ZJAIL_TRY(add_socket_units(unit, fs::path(fragment).parent_path().string(), {}));
    return unit;
  }

  // Drop-ins: by file name across every directory, the first directory's
  // file of a name masking the others.
  std::map<string, string> dropins;  // file name -> path
  string tmpl = template_of(unit.name);
  string type = unit.name.substr(unit.name.rfind('.') + 1);
  for (const auto& d : dirs) {
    for (const string& base : {type, tmpl, unit.name}) {
      if (base.empty()) continue;
      std::error_code ec;
      for (const auto& e : fs::directory_iterator(d + "/" + base + ".d", ec)) {
        string fname = e.path().filename().string();
        if (fname.size() > 5 && fname.ends_with(".conf")) dropins.emplace(fname, e.path().string());
      }
    }
  }
  for (const auto& [fname, path] : dropins) {
    if (is_dev_null(path)) continue;
    ZJAIL_TRY_ASSIGN(auto t, slurp(path));
    ZJAIL_TRY(parse_unit_text(unit, t, path));
  }
  ZJAIL_TRY(add_socket_units(unit, fs::path(fragment).parent_path().string(), dirs));
  return unit;
}

Result<UnitFile> load_system_unit(const string& name_or_path) {
  if (name_or_path.find('/') == string::npos) {
    string name = name_or_path.find('.') == string::npos ? name_or_path + ".service" : name_or_path;
    auto files = unit_files_from_bus(name);
    if (files) {
      UnitFile unit;
      unit.name = name;
      unit.from_bus = true;
      for (const auto& f : *files) {
        if (is_dev_null(f)) continue;
        ZJAIL_TRY_ASSIGN(auto text, slurp(f));
        ZJAIL_TRY(parse_unit_text(unit, text, f));
      }
      ZJAIL_TRY(add_socket_units(unit, files->empty() ? "" : fs::path(files->front()).parent_path().string(),
                                 unit_search_path()));
      return unit;
    }
  }
  return load_unit(name_or_path, unit_search_path());
}

std::vector<string> exec_start_words(const UnitFile& unit) {
  std::vector<string> argv;
  string cmd;
  for (const auto& e : unit.all("ExecStart"))
    if (!e.empty()) {
      cmd = e;
      break;
    }
  // systemd's prefixes: - @ : + ! !!
  size_t start = cmd.find_first_not_of("-@:+!");
  if (start == string::npos) return argv;
  string why;
  if (!split_words(string_view(cmd).substr(start), argv, why)) argv.clear();
  return argv;
}

bool runs_zjail(const std::vector<string>& words) {
  return !words.empty() && fs::path(words[0]).filename() == "zjail";
}

std::vector<string> zjail_profiles_of(const UnitFile& unit) {
  std::vector<string> profiles;
  auto argv = exec_start_words(unit);
  if (!runs_zjail(argv)) return profiles;
  for (size_t i = 1; i < argv.size(); ++i) {
    const string& a = argv[i];
    if (a == "--") break;
    if ((a == "--profile" || a == "-p") && i + 1 < argv.size()) profiles.push_back(argv[++i]);
    else if (a.starts_with("--profile=")) profiles.push_back(a.substr(10));
  }
  return profiles;
}

}  // namespace zjail
