// The files systemd itself read for a loaded unit, asked over D-Bus: its
// FragmentPath and DropInPaths. That covers what a search of the unit
// directories misses (aliases, generator and transient directories,
// system.control). sd-bus is dlopen'ed as in scope.cpp, so that zjail keeps
// needing nothing but libc at run time.
#include <systemd/sd-bus.h>

#include <cstdlib>
#include <memory>

#include "dl.hpp"
#include "unit_bus.hpp"

namespace zjail {
namespace {

struct Api {
  decltype(&sd_bus_open_system) open_system;
  decltype(&sd_bus_flush_close_unref) close_unref;
  decltype(&sd_bus_call_method) call_method;
  decltype(&sd_bus_message_read) read;
  decltype(&sd_bus_message_unref) message_unref;
  decltype(&sd_bus_error_free) error_free;
  decltype(&sd_bus_get_property_string) get_string;
  decltype(&sd_bus_get_property_strv) get_strv;
  decltype(&sd_bus_get_property_trivial) get_trivial;
};

Error fail(const std::string& what) { return make_error(Step::Profile, 0, what); }

}  // namespace

Result<std::vector<std::string>> unit_files_from_bus(const std::string& name) {
  DlHandle lib(dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL));
  if (!lib) return fail("cannot load libsystemd.so.0");
  Api a{};
  void* h = lib.get();
  if (!(sym(h, "sd_bus_open_system", a.open_system) && sym(h, "sd_bus_flush_close_unref", a.close_unref) &&
        sym(h, "sd_bus_call_method", a.call_method) && sym(h, "sd_bus_message_read", a.read) &&
        sym(h, "sd_bus_message_unref", a.message_unref) && sym(h, "sd_bus_error_free", a.error_free) &&
        sym(h, "sd_bus_get_property_string", a.get_string) && sym(h, "sd_bus_get_property_strv", a.get_strv) &&
        sym(h, "sd_bus_get_property_trivial", a.get_trivial)))
    return fail("libsystemd.so.0 lacks the sd-bus API");

  sd_bus* raw = nullptr;
  if (a.open_system(&raw) < 0) return fail("no system bus");
  auto bus = std::unique_ptr<sd_bus, sd_bus* (*)(sd_bus*)>(raw, a.close_unref);
  const char* dest = "org.freedesktop.systemd1";
  const char* unit_iface = "org.freedesktop.systemd1.Unit";

  // LoadUnit: systemd drops an inactive unit soon after it was last used,
  // and loads it again from its files on request, which is all this asks.
  sd_bus_error err = SD_BUS_ERROR_NULL;
  sd_bus_message* reply_raw = nullptr;
  int r = a.call_method(bus.get(), dest, "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager",
                        "LoadUnit", &err, &reply_raw, "s", name.c_str());
  a.error_free(&err);
  if (r < 0) return fail("systemd cannot load " + name);
  auto reply = std::unique_ptr<sd_bus_message, sd_bus_message* (*)(sd_bus_message*)>(reply_raw, a.message_unref);
  const char* path_c = nullptr;
  if (a.read(reply.get(), "o", &path_c) < 0 || !path_c) return fail("LoadUnit: bad reply");
  std::string path = path_c;

  // Files changed since systemd read them: what is on disk is what will apply.
  int need_reload = 0;
  r = a.get_trivial(bus.get(), dest, path.c_str(), unit_iface, "NeedDaemonReload", &err, 'b', &need_reload);
  a.error_free(&err);
  if (r < 0 || need_reload) return fail("unit " + name + " needs a daemon-reload");

  char* fragment = nullptr;
  r = a.get_string(bus.get(), dest, path.c_str(), unit_iface, "FragmentPath", &err, &fragment);
  a.error_free(&err);
  std::unique_ptr<char, decltype(&free)> fragment_owner(fragment, free);
  if (r < 0 || !fragment || !*fragment) return fail("unit " + name + " has no unit file");
  std::vector<std::string> files{fragment};

  char** dropins = nullptr;
  r = a.get_strv(bus.get(), dest, path.c_str(), unit_iface, "DropInPaths", &err, &dropins);
  a.error_free(&err);
  if (r < 0) return fail("DropInPaths of " + name);
  for (char** p = dropins; p && *p; ++p) {
    files.emplace_back(*p);
    free(*p);
  }
  free(dropins);
  return files;
}

}  // namespace zjail
