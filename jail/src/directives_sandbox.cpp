// The file-system sandbox directives (ProtectSystem=, ReadOnlyPaths=,
// PrivateDevices=, DeviceAllow=, ...), with systemd's value syntax. They fill
// Profile::sandbox, which plan_sandbox.cpp turns into mounts.
#include <algorithm>

#include "directives.hpp"
#include "show.hpp"

namespace zjail {
namespace {

using std::string;
using std::string_view;

Sandbox& box(Profile& p) { return p.sandbox; }

Error invalid(const Assignment& a, string_view expected) { return invalid_value(a, expected); }

// A scalar that takes a boolean or one of its own words, as systemd's
// ProtectSystem=, ProtectHome=, PrivateTmp= and ProtectControlGroups= do.
template <class E>
struct Word {
  const char* name;
  E value;
};

template <class E, size_t N>
Status word_or_bool(Setting<E>& s, const Assignment& a, E no, E yes, const Word<E> (&words)[N], const char* expected) {
  if (a.value.empty()) return s = {}, Status{};
  for (const auto& w : words)
    if (a.value == w.name) return assign(s, w.value, a.origin), Status{};
  auto b = parse_bool(a.value);
  if (!b) return invalid(a, expected);
  assign(s, *b ? yes : no, a.origin);
  return {};
}

template <class E, size_t N>
const char* name_of(E v, const Word<E> (&words)[N]) {
  for (const auto& w : words)
    if (w.value == v) return w.name;
  return "no";
}

constexpr Word<ProtectSystem> kProtectSystem[] = {
    {"no", ProtectSystem::No}, {"yes", ProtectSystem::Yes}, {"full", ProtectSystem::Full}, {"strict", ProtectSystem::Strict}};
constexpr Word<ProtectHome> kProtectHome[] = {
    {"no", ProtectHome::No}, {"yes", ProtectHome::Yes}, {"read-only", ProtectHome::ReadOnly}, {"tmpfs", ProtectHome::Tmpfs}};
constexpr Word<PrivateTmp> kPrivateTmp[] = {
    {"no", PrivateTmp::No}, {"yes", PrivateTmp::Yes}, {"disconnected", PrivateTmp::Disconnected}};
constexpr Word<ProtectControlGroups> kProtectCgroups[] = {{"no", ProtectControlGroups::No},
                                                          {"yes", ProtectControlGroups::Yes},
                                                          {"private", ProtectControlGroups::Private},
                                                          {"strict", ProtectControlGroups::Strict}};
constexpr Word<DevicePolicy> kDevicePolicy[] = {
    {"auto", DevicePolicy::Auto}, {"closed", DevicePolicy::Closed}, {"strict", DevicePolicy::Strict}};

Status protect_system(Profile& p, const Assignment& a) {
  return word_or_bool(box(p).protect_system, a, ProtectSystem::No, ProtectSystem::Yes, kProtectSystem,
                      "expected a boolean, 'full' or 'strict'");
}

Status protect_home(Profile& p, const Assignment& a) {
  return word_or_bool(box(p).protect_home, a, ProtectHome::No, ProtectHome::Yes, kProtectHome,
                      "expected a boolean, 'read-only' or 'tmpfs'");
}

Status private_tmp(Profile& p, const Assignment& a) {
  return word_or_bool(box(p).private_tmp, a, PrivateTmp::No, PrivateTmp::Yes, kPrivateTmp,
                      "expected a boolean or 'disconnected'");
}

Status protect_control_groups(Profile& p, const Assignment& a) {
  return word_or_bool(box(p).protect_control_groups, a, ProtectControlGroups::No, ProtectControlGroups::Yes,
                      kProtectCgroups, "expected a boolean, 'private' or 'strict'");
}

Status device_policy(Profile& p, const Assignment& a) {
  Setting<DevicePolicy>& s = box(p).device_policy;
  if (a.value.empty()) return s = {}, Status{};
  for (const auto& w : kDevicePolicy)
    if (a.value == w.name) return assign(s, w.value, a.origin), Status{};
  return invalid(a, "expected 'auto', 'closed' or 'strict'");
}

template <Setting<bool> Sandbox::*M>
Status flag(Profile& p, const Assignment& a) {
  if (a.value.empty()) return box(p).*M = {}, Status{};
  auto b = parse_bool(a.value);
  if (!b) return invalid(a, "expected a boolean");
  assign(box(p).*M, *b, a.origin);
  return {};
}

// "[-][+]PATH" words: '-' first, then '+', as systemd reads them.
template <std::vector<Item<PathRule>> Sandbox::*M>
Status path_list(Profile& p, const Assignment& a) {
  if (a.value.empty()) return (box(p).*M).clear(), Status{};
  std::vector<string> words;
  string why;
  if (!split_words(a.value, words, why)) return invalid(a, why);
  std::vector<PathRule> rules;
  for (const auto& w : words) {
    PathRule r;
    string_view v = w;
    if (v.starts_with('-')) r.optional = true, v.remove_prefix(1);
    if (v.starts_with('+')) r.plus = true, v.remove_prefix(1);
    if (!valid_path(v))
      return invalid_value(Assignment{a.key, w, a.origin},
                           "expected [-][+]PATH, an absolute path without '..' ('-' before '+')");
    r.path = string(v);
    rules.push_back(std::move(r));
  }
  for (auto& r : rules) (box(p).*M).push_back({std::move(r), a.origin});
  return {};
}

// DeviceAllow=SPECIFIER [rwm], one device per line as in systemd.
Status device_allow(Profile& p, const Assignment& a) {
  auto& list = box(p).device_allow;
  if (a.value.empty()) return list.clear(), Status{};
  size_t space = a.value.find_first_of(" \t");
  DeviceRule r;
  r.specifier = string(a.value.substr(0, space));
  string_view access = space == string_view::npos ? "" : trim(a.value.substr(space));
  bool node = r.specifier.starts_with("/dev/") && valid_path(r.specifier);
  auto named = [&](string_view prefix) {
    return r.specifier.starts_with(prefix) && r.specifier.size() > prefix.size() &&
           r.specifier.find_first_of(" \t") == string::npos;
  };
  if (!node && !named("char-") && !named("block-"))
    return invalid(a, "expected a /dev path, char-NAME or block-NAME, then optionally r, w and m");
  if (!access.empty()) {
    if (access.find_first_not_of("rwm") != string_view::npos)
      return invalid(a, "the access is a combination of r, w and m");
    r.read = access.find('r') != string_view::npos;
    r.write = access.find('w') != string_view::npos;
    r.mknod = access.find('m') != string_view::npos;
  }
  list.push_back({std::move(r), a.origin});
  return {};
}

// --- --show ---------------------------------------------------------------

template <class E, size_t N>
void show_word(ShowWriter& w, const char* key, const Setting<E>& s, const Word<E> (&words)[N]) {
  scalar(w, key, s, [&](E v) { return string(name_of(v, words)); });
}

void show_paths(ShowWriter& w, const char* key, const std::vector<Item<PathRule>>& list) {
  for (const auto& i : list)
    w.word(i.origin, key, "",
           quote_word(string(i.value.optional ? "-" : "") + (i.value.plus ? "+" : "") + i.value.path));
}

void show_sandbox(ShowWriter& w, const Profile& p) {
  const Sandbox& s = p.sandbox;
  show_word(w, "ProtectSystem", s.protect_system, kProtectSystem);
  show_word(w, "ProtectHome", s.protect_home, kProtectHome);
  show_paths(w, "ReadWritePaths", s.read_write_paths);
  show_paths(w, "ReadOnlyPaths", s.read_only_paths);
  show_paths(w, "InaccessiblePaths", s.inaccessible_paths);
  show_paths(w, "ExecPaths", s.exec_paths);
  show_paths(w, "NoExecPaths", s.no_exec_paths);
  show_word(w, "PrivateTmp", s.private_tmp, kPrivateTmp);
  boolean(w, "PrivateDevices", s.private_devices);
  show_word(w, "DevicePolicy", s.device_policy, kDevicePolicy);
  for (const auto& i : s.device_allow) {
    const DeviceRule& d = i.value;
    string access = string(d.read ? "r" : "") + (d.write ? "w" : "") + (d.mknod ? "m" : "");
    w.set(i.origin, "DeviceAllow", d.specifier + " " + access);
  }
  boolean(w, "MountAPIVFS", s.mount_api_vfs);
  boolean(w, "ProtectKernelTunables", s.protect_kernel_tunables);
  boolean(w, "ProtectKernelModules", s.protect_kernel_modules);
  boolean(w, "ProtectKernelLogs", s.protect_kernel_logs);
  show_word(w, "ProtectControlGroups", s.protect_control_groups, kProtectCgroups);
}

}  // namespace

const std::vector<Directive>& sandbox_directives() {
  using M = Directive::Merge;
  static const std::vector<Directive> table = {
      // One row shows the whole family, in this order.
      {"ProtectSystem", protect_system, M::Replace, show_sandbox},
      {"ProtectHome", protect_home},
      {"ReadWritePaths", path_list<&Sandbox::read_write_paths>, M::Accumulate},
      {"ReadOnlyPaths", path_list<&Sandbox::read_only_paths>, M::Accumulate},
      {"InaccessiblePaths", path_list<&Sandbox::inaccessible_paths>, M::Accumulate},
      {"ExecPaths", path_list<&Sandbox::exec_paths>, M::Accumulate},
      {"NoExecPaths", path_list<&Sandbox::no_exec_paths>, M::Accumulate},
      // The names systemd had before 231, which it still reads.
      {"ReadWriteDirectories", path_list<&Sandbox::read_write_paths>, M::Accumulate},
      {"ReadOnlyDirectories", path_list<&Sandbox::read_only_paths>, M::Accumulate},
      {"InaccessibleDirectories", path_list<&Sandbox::inaccessible_paths>, M::Accumulate},
      {"PrivateTmp", private_tmp},
      {"PrivateDevices", flag<&Sandbox::private_devices>},
      {"DevicePolicy", device_policy},
      {"DeviceAllow", device_allow, M::Accumulate},
      {"MountAPIVFS", flag<&Sandbox::mount_api_vfs>},
      {"ProtectKernelTunables", flag<&Sandbox::protect_kernel_tunables>},
      {"ProtectKernelModules", flag<&Sandbox::protect_kernel_modules>},
      {"ProtectKernelLogs", flag<&Sandbox::protect_kernel_logs>},
      {"ProtectControlGroups", protect_control_groups},
  };
  return table;
}

}  // namespace zjail
