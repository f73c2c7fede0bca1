// sd-bus is loaded on demand: most launches need no scope, and linking
// libsystemd would add its start-up cost to every one of them.
#include "scope.hpp"

#include <poll.h>
#include <systemd/sd-bus.h>
#include <time.h>
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <string_view>
#include <memory>

#include "dl.hpp"
#include "scope_bpf.hpp"

namespace zjail {
namespace {

struct SdBusApi {
  decltype(&sd_bus_open_system) open_system;
  decltype(&sd_bus_open_user) open_user;
  decltype(&sd_bus_new) new_bus;
  decltype(&sd_bus_set_address) set_address;
  decltype(&sd_bus_start) start;
  decltype(&sd_bus_flush_close_unref) close_unref;
  decltype(&sd_bus_message_new_method_call) new_method_call;
  decltype(&sd_bus_message_append) append;
  decltype(&sd_bus_message_append_array) append_array;
  decltype(&sd_bus_message_open_container) open_container;
  decltype(&sd_bus_message_close_container) close_container;
  decltype(&sd_bus_call) call;
  decltype(&sd_bus_call_method) call_method;
  decltype(&sd_bus_message_read) read;
  decltype(&sd_bus_message_unref) message_unref;
  decltype(&sd_bus_error_free) error_free;
  decltype(&sd_bus_match_signal) match_signal;
  decltype(&sd_bus_slot_unref) slot_unref;
  decltype(&sd_bus_process) process;
  decltype(&sd_bus_wait) wait;
  decltype(&sd_bus_get_property) get_property;
  decltype(&sd_bus_message_enter_container) enter_container;
  decltype(&sd_bus_message_at_end) at_end;
};

Result<SdBusApi> load_sd_bus(DlHandle& lib) {
  lib.reset(dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL));
  if (!lib) return make_error(Step::Cgroup, 0, std::string("cannot load libsystemd.so.0: ") + dlerror());
  SdBusApi a{};
  void* h = lib.get();
  bool ok = sym(h, "sd_bus_open_system", a.open_system) && sym(h, "sd_bus_open_user", a.open_user) &&
            sym(h, "sd_bus_new", a.new_bus) && sym(h, "sd_bus_set_address", a.set_address) &&
            sym(h, "sd_bus_start", a.start) &&
            sym(h, "sd_bus_flush_close_unref", a.close_unref) &&
            sym(h, "sd_bus_message_new_method_call", a.new_method_call) &&
            sym(h, "sd_bus_message_append", a.append) &&
            sym(h, "sd_bus_message_append_array", a.append_array) &&
            sym(h, "sd_bus_message_open_container", a.open_container) &&
            sym(h, "sd_bus_message_close_container", a.close_container) && sym(h, "sd_bus_call", a.call) &&
            sym(h, "sd_bus_call_method", a.call_method) && sym(h, "sd_bus_message_read", a.read) &&
            sym(h, "sd_bus_message_unref", a.message_unref) && sym(h, "sd_bus_error_free", a.error_free) &&
            sym(h, "sd_bus_match_signal", a.match_signal) && sym(h, "sd_bus_slot_unref", a.slot_unref) &&
            sym(h, "sd_bus_get_property", a.get_property) &&
            sym(h, "sd_bus_message_enter_container", a.enter_container) && sym(h, "sd_bus_message_at_end", a.at_end) &&
            sym(h, "sd_bus_process", a.process) && sym(h, "sd_bus_wait", a.wait);
  if (!ok) return make_error(Step::Cgroup, 0, "libsystemd.so.0 lacks the sd-bus API zjail needs");
  return a;
}

uint64_t now_usec() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000 + static_cast<uint64_t>(ts.tv_nsec) / 1000;
}

struct JobWait {
  std::string job;     // our job's object path, once known
  std::string result;  // its result, once removed
  std::vector<std::pair<std::string, std::string>> removed;  // seen before the path was known
  const SdBusApi* api;
};

int on_job_removed(sd_bus_message* m, void* userdata, sd_bus_error*) {
  auto* w = static_cast<JobWait*>(userdata);
  uint32_t id;
  const char *path, *unit, *result;
  if (w->api->read(m, "uoss", &id, &path, &unit, &result) < 0) return 0;
  w->removed.emplace_back(path, result);
  return 0;
}

// IPAddressAllow=/IPAddressDeny= (a(iayu): family, address, prefix length)
// and RestrictNetworkInterfaces= ((bas): allow list or not, names), as
// systemd's transient units take them.
int append_filter(const SdBusApi& api, sd_bus_message* m, const NetworkFilter& f) {
  int rc = 0;
  for (const auto* list : {&f.allow, &f.deny}) {
    if (list->empty()) continue;
    rc = api.open_container(m, 'r', "sv");
    if (rc >= 0) rc = api.append(m, "s", list == &f.allow ? "IPAddressAllow" : "IPAddressDeny");
    if (rc >= 0) rc = api.open_container(m, 'v', "a(iayu)");
    if (rc >= 0) rc = api.open_container(m, 'a', "(iayu)");
    for (const auto& p : *list) {
      if (rc >= 0) rc = api.open_container(m, 'r', "iayu");
      if (rc >= 0) rc = api.append(m, "i", static_cast<int32_t>(p.family));
      if (rc >= 0) rc = api.append_array(m, 'y', p.addr.data(), p.bytes());
      if (rc >= 0) rc = api.append(m, "u", static_cast<uint32_t>(p.len));
      if (rc >= 0) rc = api.close_container(m);
    }
    for (int i = 0; i < 3 && rc >= 0; ++i) rc = api.close_container(m);
    if (rc < 0) return rc;
  }
  if (!f.interfaces_set) return rc;
  rc = api.open_container(m, 'r', "sv");
  if (rc >= 0) rc = api.append(m, "s", "RestrictNetworkInterfaces");
  if (rc >= 0) rc = api.open_container(m, 'v', "(bas)");
  if (rc >= 0) rc = api.open_container(m, 'r', "bas");
  if (rc >= 0) rc = api.append(m, "b", !f.interfaces_invert);
  if (rc >= 0) rc = api.open_container(m, 'a', "s");
  for (const auto& name : f.interfaces)
    if (rc >= 0) rc = api.append(m, "s", name.c_str());
  for (int i = 0; i < 4 && rc >= 0; ++i) rc = api.close_container(m);
  return rc;
}

// The cgroup `pid` is in ("self" for zjail), as a path of the v2 hierarchy.
std::string cgroup_of(const std::string& pid) {
  std::string text;
  if (FILE* f = fopen(("/proc/" + pid + "/cgroup").c_str(), "re")) {
    char line[4096];
    while (fgets(line, sizeof line, f))
      if (std::string_view l(line); l.starts_with("0::")) {
        text.assign(l.substr(3));
        if (!text.empty() && text.back() == '\n') text.pop_back();
      }
    fclose(f);
  }
  return text;
}

using Message = std::unique_ptr<sd_bus_message, sd_bus_message* (*)(sd_bus_message*)>;

// The first of IPAddressAllow=, IPAddressDeny=, RestrictNetworkInterfaces=
// that `unit` sets, "" if none (or if it is no unit: a cgroup of a
// delegated subtree).
Result<std::string> unit_filter(const SdBusApi& api, sd_bus* bus, const std::string& unit) {
  const char* iface = unit.ends_with(".scope")     ? "org.freedesktop.systemd1.Scope"
                      : unit.ends_with(".slice")   ? "org.freedesktop.systemd1.Slice"
                      : unit.ends_with(".service") ? "org.freedesktop.systemd1.Service"
                                                   : nullptr;
  if (!iface) return std::string();
  sd_bus_error err = SD_BUS_ERROR_NULL;
  sd_bus_message* raw = nullptr;
  int rc = api.call_method(bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                           "org.freedesktop.systemd1.Manager", "GetUnit", &err, &raw, "s", unit.c_str());
  Message reply(raw, api.message_unref);
  api.error_free(&err);
  const char* path = nullptr;
  if (rc < 0 || api.read(reply.get(), "o", &path) < 0 || !path) return std::string();
  std::string object = path;
  for (auto [key, ifaces] : {std::pair{"IPAddressAllow", false}, std::pair{"IPAddressDeny", false},
                             std::pair{"RestrictNetworkInterfaces", true}}) {
    raw = nullptr;
    rc = api.get_property(bus, "org.freedesktop.systemd1", object.c_str(), iface, key, &err, &raw,
                          ifaces ? "(bas)" : "a(iayu)");
    Message value(raw, api.message_unref);
    bool unknown = err.name && std::string_view(err.name) == "org.freedesktop.DBus.Error.UnknownProperty";
    api.error_free(&err);
    if (rc < 0 && unknown) continue;  // a systemd older than the directive
    if (rc < 0) return make_error(Step::Cgroup, -rc, std::string("reading ") + key + " of " + unit);
    int allow = 0;
    if (ifaces) {
      rc = api.enter_container(value.get(), 'r', "bas");
      if (rc >= 0) rc = api.read(value.get(), "b", &allow);
      if (rc >= 0) rc = api.enter_container(value.get(), 'a', "s");
    } else {
      rc = api.enter_container(value.get(), 'a', "(iayu)");
    }
    if (rc >= 0) rc = api.at_end(value.get(), 0);
    if (rc < 0) return make_error(Step::Cgroup, -rc, std::string("reading ") + key + " of " + unit);
    if (rc == 0) return std::string(key) + "=";
  }
  return std::string();
}

// A jail moved into its scope leaves its caller's units (those of zjail's
// cgroup the scope is not under), and the filters systemd holds on them:
// refused, rather than the jail running with fewer than its caller.
Status refuse_lost_filters(const SdBusApi& api, sd_bus* bus, const std::string& from, const std::string& to) {
  size_t common = 0;
  for (size_t i = 0; i < from.size() && i < to.size() && from[i] == to[i]; ++i)
    if (from[i] == '/') common = i + 1;
  size_t at = common;
  while (at < from.size()) {
    size_t end = from.find('/', at);
    if (end == std::string::npos) end = from.size();
    std::string unit = from.substr(at, end - at);
    at = end + 1;
    ZJAIL_TRY_ASSIGN(auto key, unit_filter(api, bus, unit));
    if (!key.empty())
      return make_error(Step::Cgroup, 0,
                        "zjail runs in " + unit + ", whose " + key + " the jail would leave for its own scope " +
                            to.substr(to.rfind('/') + 1) + ": give the profile the same filters (or Slice= under " +
                            "a slice that has them)");
  }
  return {};
}

}  // namespace

std::string scope_name(const std::string& name, pid_t pid) {
  std::string safe;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    safe += ok ? c : '_';
  }
  if (safe.empty()) safe = "jail";
  return "zjail-" + safe + "-" + std::to_string(pid) + ".scope";
}

Result<std::string> cpuset_mask(const std::string& list) {
  std::string mask;
  size_t i = 0;
  while (i < list.size()) {
    size_t j = list.find(',', i);
    if (j == std::string::npos) j = list.size();
    std::string part = list.substr(i, j - i);
    i = j + 1;
    if (part.empty()) continue;
    unsigned lo = 0, hi = 0;
    size_t dash = part.find('-');
    auto num = [](const std::string& s, unsigned& out) {
      auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
      return ec == std::errc() && p == s.data() + s.size() && out < 8192;
    };
    if (!num(part.substr(0, dash), lo) || !num(dash == std::string::npos ? part.substr(0, dash) : part.substr(dash + 1), hi) || hi < lo)
      return make_error(Step::Cgroup, 0, "invalid CPU list '" + list + "'");
    for (unsigned c = lo; c <= hi; ++c) {
      if (mask.size() <= c / 8) mask.resize(c / 8 + 1, '\0');
      mask[c / 8] = static_cast<char>(mask[c / 8] | (1 << (c % 8)));
    }
  }
  return mask;
}

Status start_scope(const Resources& r, const std::string& name, pid_t pid, bool system_bus,
                   const NetworkFilter* filter, const std::string& unified_root) {
  DlHandle lib;
  ZJAIL_TRY_ASSIGN(const SdBusApi api, load_sd_bus(lib));
  // Before anything moves (a login session moves itself).
  const std::string caller = cgroup_of("self");

  // Root talks to systemd directly on its private socket, as systemctl
  // does: no bus daemon relays the calls and the signal, and systemd sends
  // its signals to every direct client unasked. Without that socket (or not
  // root), the bus.
  sd_bus* raw = nullptr;
  int rc = -1;
  bool direct = false;
  if (system_bus && geteuid() == 0 && api.new_bus(&raw) >= 0) {
    if (api.set_address(raw, "unix:path=/run/systemd/private") >= 0 && api.start(raw) >= 0) {
      rc = 0;
      direct = true;
    } else {
      raw = api.close_unref(raw);
    }
  }
  if (!direct) rc = system_bus ? api.open_system(&raw) : api.open_user(&raw);
  auto bus = std::unique_ptr<sd_bus, sd_bus* (*)(sd_bus*)>(raw, api.close_unref);
  if (rc < 0)
    return make_error(Step::Cgroup, -rc, std::string("connecting to the ") + (system_bus ? "system" : "user") +
                                             " bus for a systemd scope to hold the profile's limits");

  JobWait wait;
  wait.api = &api;
  sd_bus_slot* slot_raw = nullptr;
  // A direct connection's messages carry no sender to match on.
  rc = api.match_signal(bus.get(), &slot_raw, direct ? nullptr : "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                        "org.freedesktop.systemd1.Manager", "JobRemoved", on_job_removed, &wait);
  auto slot = std::unique_ptr<sd_bus_slot, sd_bus_slot* (*)(sd_bus_slot*)>(slot_raw, api.slot_unref);
  if (rc < 0) return make_error(Step::Cgroup, -rc, "subscribing to JobRemoved");
  sd_bus_error err = SD_BUS_ERROR_NULL;
  if (!direct) {
    api.call_method(bus.get(), "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                    "org.freedesktop.systemd1.Manager", "Subscribe", &err, nullptr, "");
    api.error_free(&err);
  }

  std::string unit = scope_name(name, pid);
  sd_bus_message* m_raw = nullptr;
  rc = api.new_method_call(bus.get(), &m_raw, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                           "org.freedesktop.systemd1.Manager", "StartTransientUnit");
  auto m = std::unique_ptr<sd_bus_message, sd_bus_message* (*)(sd_bus_message*)>(m_raw, api.message_unref);
  if (rc < 0) return make_error(Step::Cgroup, -rc, "StartTransientUnit message");
  std::string desc = "zjail: " + name;
  auto u64 = [&](const char* prop, const Setting<uint64_t>& s) {
    return s.is_set() ? api.append(m.get(), "(sv)", prop, "t", *s.value) : 0;
  };
  rc = api.append(m.get(), "ss", unit.c_str(), "fail");
  if (rc >= 0) rc = api.open_container(m.get(), 'a', "(sv)");
  if (rc >= 0) rc = api.append(m.get(), "(sv)", "Description", "s", desc.c_str());
  if (rc >= 0) rc = api.append(m.get(), "(sv)", "PIDs", "au", 1, static_cast<uint32_t>(pid));
  if (rc >= 0) rc = api.append(m.get(), "(sv)", "Delegate", "b", 1);
  if (rc >= 0) rc = api.append(m.get(), "(sv)", "CollectMode", "s", "inactive-or-failed");
  if (rc >= 0 && r.slice.is_set()) rc = api.append(m.get(), "(sv)", "Slice", "s", r.slice.value->c_str());
  if (rc >= 0) rc = u64("MemoryMax", r.memory_max);
  if (rc >= 0) rc = u64("MemoryHigh", r.memory_high);
  if (rc >= 0) rc = u64("MemorySwapMax", r.memory_swap_max);
  if (rc >= 0) rc = u64("TasksMax", r.tasks_max);
  if (rc >= 0) rc = u64("CPUQuotaPerSecUSec", r.cpu_quota_per_sec_usec);
  if (rc >= 0) rc = u64("CPUWeight", r.cpu_weight);
  if (rc >= 0) rc = u64("IOWeight", r.io_weight);
  if (rc >= 0 && r.allowed_cpus.is_set()) {
    ZJAIL_TRY_ASSIGN(auto mask, cpuset_mask(*r.allowed_cpus.value));
    rc = api.open_container(m.get(), 'r', "sv");
    if (rc >= 0) rc = api.append(m.get(), "s", "AllowedCPUs");
    if (rc >= 0) rc = api.open_container(m.get(), 'v', "ay");
    if (rc >= 0) rc = api.append_array(m.get(), 'y', mask.data(), mask.size());
    if (rc >= 0) rc = api.close_container(m.get());
    if (rc >= 0) rc = api.close_container(m.get());
  }
  for (const auto* list : {&r.io_read_bandwidth_max, &r.io_write_bandwidth_max}) {
    if (rc < 0 || list->empty()) continue;
    rc = api.open_container(m.get(), 'r', "sv");
    if (rc >= 0) rc = api.append(m.get(), "s", list == &r.io_read_bandwidth_max ? "IOReadBandwidthMax" : "IOWriteBandwidthMax");
    if (rc >= 0) rc = api.open_container(m.get(), 'v', "a(st)");
    if (rc >= 0) rc = api.open_container(m.get(), 'a', "(st)");
    for (const auto& item : *list)
      if (rc >= 0) rc = api.append(m.get(), "(st)", item.value.path.c_str(), item.value.bytes_per_sec);
    if (rc >= 0) rc = api.close_container(m.get());
    if (rc >= 0) rc = api.close_container(m.get());
    if (rc >= 0) rc = api.close_container(m.get());
  }
  if (rc >= 0 && filter) rc = append_filter(api, m.get(), *filter);
  if (rc >= 0) rc = api.close_container(m.get());
  if (rc >= 0) rc = api.append(m.get(), "a(sa(sv))", 0);
  if (rc < 0) return make_error(Step::Cgroup, -rc, "building StartTransientUnit for " + unit);

  sd_bus_message* reply_raw = nullptr;
  rc = api.call(bus.get(), m.get(), 10 * 1000000ULL, &err, &reply_raw);
  auto reply = std::unique_ptr<sd_bus_message, sd_bus_message* (*)(sd_bus_message*)>(reply_raw, api.message_unref);
  if (rc < 0) {
    std::string what = "StartTransientUnit " + unit + (err.message ? std::string(": ") + err.message : "");
    api.error_free(&err);
    return make_error(Step::Cgroup, -rc, what);
  }
  const char* job = nullptr;
  if (api.read(reply.get(), "o", &job) < 0 || !job) return make_error(Step::Cgroup, EBADMSG, "StartTransientUnit reply");
  wait.job = job;

  // Wait until systemd reports the job done: only then is the jail's init
  // really in the scope, with the limits applied.
  uint64_t deadline = now_usec() + 10 * 1000000ULL;
  for (;;) {
    for (const auto& [path, result] : wait.removed)
      if (path == wait.job) {
        if (result != "done")
          return make_error(Step::Cgroup, 0, "systemd job for " + unit + " ended with '" + result + "'");
        // The jail's init must be in the scope the programs are read from
        // (no "0::" line: a cgroup v1 host, which has no BPF filters).
        std::string cgroup = cgroup_of(std::to_string(pid));
        if ((filter || !cgroup.empty()) && !cgroup.ends_with("/" + unit))
          return make_error(Step::Cgroup, 0, "the jail's init is not in " + unit + " but in '" + cgroup + "'");
        // The kernel says at once whether the caller's units hold any
        // network program; only then are they asked which (several round
        // trips to systemd).
        if (!cgroup.empty()) {
          auto programs = unified_root.empty() ? Result<bool>(true) : runs_network_programs(unified_root + caller);
          if (!programs || *programs) ZJAIL_TRY(refuse_lost_filters(api, bus.get(), caller, cgroup));
        }
        if (!filter) return {};
        if (unified_root.empty()) return make_error(Step::Cgroup, 0, "no cgroup v2 hierarchy to read " + unit + " from");
        return verify_scope_filter(unified_root + cgroup, unit, *filter);
      }
    uint64_t now = now_usec();
    if (now >= deadline) return make_error(Step::Cgroup, ETIMEDOUT, "waiting for " + unit);
    rc = api.process(bus.get(), nullptr);
    if (rc < 0) return make_error(Step::Cgroup, -rc, "reading the bus");
    if (rc == 0) api.wait(bus.get(), deadline - now);
  }
}

}  // namespace zjail
