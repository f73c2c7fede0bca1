// What the export formats share (export.hpp): the planned jail they are
// written from, and the seccomp rules combined into one filter.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "zjail/export.hpp"
#include "zjail/plan.hpp"
#include "zjail/profile.hpp"
#include "zjail/seccomp.hpp"

namespace zjail::exporting {

// Insertion-ordered, so that the output is the same bytes every time.
using Json = nlohmann::ordered_json;

// What every format is written from.
struct Source {
  const Profile& profile;
  const Plan& plan;                                // check_plan()'s: ids, mounts, capabilities, limits
  const std::vector<SeccompRuleFilter>& seccomp;   // jail_seccomp_rules(): every filter, in order
  const ExportRequest& req;
};

// What a format cannot carry, one line each; every format writes them
// where it can (a comment block, or the docs' table where it has none).
using Losses = std::vector<std::string>;

// The filters combined into the one filter that OCI runtimes and the
// security-profiles-operator take: the kernel's verdict for every call and
// argument is the same as under zjail's filters, which it applies in turn
// (the strictest wins, and between equals the later filter). OCI's
// "seccomp" object; the SeccompProfile's spec is the same fields.
//
// For the SeccompProfile (top_bit = false), no value compares bit 63: the
// operator's schema takes argument values as int64 of at least 0. Every
// argument zjail compares is an int or a flag word that the kernel reads
// in its low 32 bits, or a pointer that bit 63 makes a kernel address
// (EFAULT): an argument with bit 63 set gets the verdict it would get
// without it.
Json oci_seccomp(const std::vector<SeccompRuleFilter>& filters, Losses& losses, bool top_bit = true);

// The formats, each in its own module.
Result<std::string> export_systemd(const Source& src);  // export_systemd.cpp
Result<std::string> export_oci(const Source& src);      // export_oci.cpp
Result<std::string> export_k8s(const Source& src);      // export_k8s.cpp

// The capabilities in `mask` by name, in number order, as the formats
// write them: "CAP_NET_BIND_SERVICE".
std::vector<std::string> capability_names_of(uint64_t mask, int last_cap);

// JSON text as the formats write it: two-space indent, a final newline.
std::string json_text(const Json& j);

}  // namespace zjail::exporting
