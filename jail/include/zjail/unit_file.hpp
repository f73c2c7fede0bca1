// A systemd service unit as `zjail --analyze` needs it: the [Service]
// section of the unit file and its drop-ins, merged the way systemd merges
// them. The files are those systemd reports over D-Bus for a loaded unit, or
// found in the unit directories (no systemd, a unit not loaded, or one
// changed on disk since it was).
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "zjail/result.hpp"

namespace zjail {

struct UnitFile {
  std::string name;                  // "nginx.service"
  std::vector<std::string> sources;  // the unit file, then its drop-ins in order
  bool from_bus = false;             // the file list came from systemd over D-Bus
  // [Service] assignments: for each key, the values assigned since its last
  // empty assignment, in order; after a reset the list starts with "".
  std::map<std::string, std::vector<std::string>, std::less<>> service;
  // [Socket] assignments of the socket units that activate it (Sockets=, or
  // NAME.socket beside it), the same way: their sockets reach the payload.
  std::map<std::string, std::vector<std::string>, std::less<>> socket;

  bool has(std::string_view key) const;
  // The last value of a single-value setting, or "" when unset.
  std::string last(std::string_view key) const;
  // Every value of a list setting, in order (empty when never set; starting
  // with "" when reset).
  const std::vector<std::string>& all(std::string_view key) const;
};

// /etc/systemd/system, /run/systemd/system, /usr/lib/systemd/system,
// /lib/systemd/system: where a unit NAME is looked for, first match wins.
std::vector<std::string> unit_search_path();

// A unit by path (an argument containing '/') or by name ("nginx" means
// "nginx.service"; an instance "foo@bar.service" falls back to its template
// "foo@.service"), with the drop-ins of NAME.service.d/, the template's
// TEMPLATE@.service.d/ and service.d/ in every directory of `dirs`, sorted by
// file name; a file name in an earlier directory masks the same name in a
// later one. A unit linked to /dev/null is masked: an error.
Result<UnitFile> load_unit(const std::string& name_or_path, const std::vector<std::string>& dirs);

// What systemd uses for a unit NAME: for a unit systemd knows, without a
// pending daemon-reload, the FragmentPath and DropInPaths it reports over D-Bus;
// otherwise, and for a PATH, load_unit() over unit_search_path().
Result<UnitFile> load_system_unit(const std::string& name_or_path);

// Applies one unit file's text (for tests, and used by load_unit).
Status parse_unit_text(UnitFile& into, std::string_view text, const std::string& file);

// The words of the unit's first ExecStart=, systemd's prefixes (- @ : + !)
// taken off; empty when there is none or it cannot be split.
std::vector<std::string> exec_start_words(const UnitFile& unit);

// Whether those words run zjail.
bool runs_zjail(const std::vector<std::string>& words);

// The profiles named by --profile/-p on the unit's ExecStart= when it runs
// zjail, in order; empty when it does not run zjail.
std::vector<std::string> zjail_profiles_of(const UnitFile& unit);

}  // namespace zjail
