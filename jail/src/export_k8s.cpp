// zjail export --format k8s: a security-profiles-operator SeccompProfile and
// the Pod spec fragment that runs a container under it (docs/fleet.md).
//
// YAML is written by hand: every scalar is a JSON scalar (quoted strings,
// plain numbers), which YAML reads as JSON does, and the structure is two
// fixed documents. Comments carry what Kubernetes cannot express.
#include <algorithm>
#include <cctype>

#include "export_internal.hpp"

namespace zjail::exporting {
namespace {

void yaml(const Json& j, int indent, std::string& out);

// A scalar (or a flow list of them) as JSON with every character outside
// ASCII escaped: YAML reads NEL, U+2028 and U+2029 as line breaks and
// refuses DEL and the C1 controls, which JSON's escapes keep out.
std::string scalar(const Json& j) { return j.dump(-1, ' ', true); }

// A value after "key:" or "- ": scalars and flow lists of scalars on the
// same line, maps and lists of maps on the lines below.
void yaml_value(const Json& j, int indent, std::string& out) {
  bool nested = (j.is_object() && !j.empty()) ||
                (j.is_array() && std::any_of(j.begin(), j.end(), [](const Json& e) { return e.is_structured(); }));
  if (!nested) {
    out += " " + scalar(j) + "\n";
    return;
  }
  out += "\n";
  yaml(j, indent, out);
}

void yaml(const Json& j, int indent, std::string& out) {
  std::string pad(static_cast<size_t>(indent), ' ');
  if (j.is_object()) {
    for (const auto& [k, v] : j.items()) {
      out += pad + k + ":";
      yaml_value(v, indent + 2, out);
    }
    return;
  }
  for (const auto& e : j) {
    // A map as a list item: its first key on the "- " line.
    std::string item;
    yaml(e, indent + 2, item);
    out += pad + "- " + item.substr(static_cast<size_t>(indent) + 2);
  }
}

// A DNS-1123 label (lower-case letters, digits and '-', at most 63, a
// letter or digit at each end), which is also a valid subdomain: the
// SeccompProfile's and the container's name. "" if nothing is left.
std::string dns_label(const std::string& text) {
  std::string name;
  for (char c : text) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    name += ok ? c : '-';
  }
  auto trim = [&] {
    while (!name.empty() && name.front() == '-') name.erase(0, 1);
    while (!name.empty() && name.back() == '-') name.pop_back();
  };
  trim();
  if (name.size() > 63) name.resize(63);
  trim();
  return name;
}

// The unit's or the last profile's name.
std::string object_name(const Source& src) {
  std::string base = src.req.name;
  if (base.empty() && !src.req.profile_names.empty()) base = src.req.profile_names.back();
  if (auto slash = base.rfind('/'); slash != std::string::npos) base = base.substr(slash + 1);
  for (const char* suffix : {".service", ".profile"})
    if (base.size() > strlen(suffix) && base.ends_with(suffix)) base.resize(base.size() - strlen(suffix));
  std::string name = dns_label(base);
  return name.empty() ? "zjail" : name;
}

// Kubernetes names capabilities without "CAP_".
std::vector<std::string> capability_list(uint64_t mask, int last_cap) {
  auto out = capability_names_of(mask, last_cap);
  for (auto& n : out) n = n.substr(4);
  return out;
}

// What the Pod spec cannot say of this profile, in the order of the profile.
void pod_losses(const Source& src, Losses& losses) {
  const Profile& p = src.profile;
  const Plan& plan = src.plan;
  losses.push_back(
      "the file system: zjail builds the root from the profile's binds; a container's root is its image, kept "
      "read-only here (readOnlyRootFilesystem), and what the profile binds must be in the image or a volume");
  if (plan.private_network)
    losses.push_back("PrivateNetwork=yes: a pod always has the cluster network; a NetworkPolicy that denies all "
                     "ingress and egress comes closest");
  if (!p.listen_stream.empty() || !p.listen_datagram.empty())
    losses.push_back("ListenStream=/ListenDatagram=: sockets bound outside the jail; in a pod the container binds "
                     "its own (a Service routes to it)");
  if (!p.security.socket_bind_allow.empty() || !p.security.socket_bind_deny.empty() ||
      !p.security.socket_connect_allow.empty() || !p.security.socket_connect_deny.empty())
    losses.push_back("SocketBind*=/SocketConnect*= (Landlock): no Pod field; a NetworkPolicy limits connections "
                     "between pods, not the ports a process binds");
  losses.push_back("Landlock (file access beneath the binds, RestrictAbstractUnixSockets=, RestrictSignals=): no "
                   "Pod field");
  if (!p.limits.empty()) {
    std::string names;
    for (const auto& [res, item] : p.limits) names += (names.empty() ? "" : ", ") + item.value.directive + "=";
    losses.push_back("resource limits (" + names + "): no Pod field; the container runtime's defaults apply");
  }
  if (p.resources.tasks_max.is_set())
    losses.push_back("TasksMax=: the kubelet's podPidsLimit is per node, not per pod");
  if (p.resources.io_weight.is_set() || !p.resources.io_read_bandwidth_max.empty() ||
      !p.resources.io_write_bandwidth_max.empty() || p.resources.memory_swap_max.is_set() ||
      p.resources.memory_high.is_set() || p.resources.allowed_cpus.is_set() || p.resources.cpu_weight.is_set())
    losses.push_back("I/O, swap, MemoryHigh=, CPU weight and AllowedCPUs=: no container resource field");
  if (plan.ambient && plan.uid != 0)
    losses.push_back("AmbientCapabilities= for a user other than root: Kubernetes adds capabilities to the "
                     "bounding set only, so such a user gets them only from file capabilities");
  if (p.identity.umask.is_set()) losses.push_back("UMask=: no Pod field");
  if (p.identity.any_directory())
    losses.push_back("RuntimeDirectory= and the other service directories: volumes of the admin's choosing");
  losses.push_back("ProtectProc=/ProcSubset=: procMount Default masks /proc's kernel files; other processes of "
                   "the pod stay visible where the pod shares its process namespace");
  losses.push_back("the jail's init (sd_notify relay, signal forwarding, exit status): the kubelet supervises "
                   "the container itself");
}

}  // namespace

Result<std::string> export_k8s(const Source& src) {
  const Plan& plan = src.plan;
  const Profile& p = src.profile;
  std::string name = object_name(src);
  Losses losses;
  Json seccomp = oci_seccomp(src.seccomp, losses, false);
  losses.push_back("argument values with bit 63 set are judged as without it: the SeccompProfile takes values "
                   "below 2^63 only, and no argument zjail compares has a meaning up there");
  pod_losses(src, losses);

  Json profile;
  profile["apiVersion"] = "security-profiles-operator.x-k8s.io/v1beta1";
  profile["kind"] = "SeccompProfile";
  profile["metadata"] = Json{{"name", name}};
  Json spec;
  spec["disabled"] = false;
  for (const auto& [k, v] : seccomp.items()) spec[k] = v;
  profile["spec"] = std::move(spec);

  Json pod_context;
  pod_context["runAsUser"] = plan.uid;
  pod_context["runAsGroup"] = plan.gid;
  if (plan.uid != 0) pod_context["runAsNonRoot"] = true;
  if (!plan.groups.empty()) pod_context["supplementalGroups"] = plan.groups;
  // The operator installs the profile at operator/NAME.json under the
  // kubelet's seccomp directory (older releases: operator/NAMESPACE/NAME.json).
  pod_context["seccompProfile"] = Json{{"type", "Localhost"}, {"localhostProfile", "operator/" + name + ".json"}};
  Json caps;
  caps["drop"] = Json::array({"ALL"});
  auto add = capability_list(plan.bounding, plan.last_cap);
  if (!add.empty()) caps["add"] = add;
  Json container;
  container["name"] = name;
  if (!src.req.command.empty()) container["command"] = src.req.command;
  if (p.working_directory.is_set()) container["workingDir"] = plan.workdir;
  Json env = Json::array();
  for (const auto& e : p.environment) {
    auto eq = e.value.find('=');
    if (eq != std::string::npos) env.push_back(Json{{"name", e.value.substr(0, eq)}, {"value", e.value.substr(eq + 1)}});
  }
  if (!env.empty()) container["env"] = std::move(env);
  Json limits;
  if (p.resources.as_share.count("MemoryMax"))
    losses.push_back("MemoryMax=" + p.resources.as_share.at("MemoryMax") +
                     ": a share of the node's memory; a container's limit is an amount");
  else if (p.resources.memory_max.is_set() && *p.resources.memory_max.value != kLimitInfinity)
    limits["memory"] = std::to_string(*p.resources.memory_max.value);
  // Millicores, rounded up: "0m" would be no limit at all.
  if (p.resources.cpu_quota_per_sec_usec.is_set())
    limits["cpu"] = std::to_string(std::max<uint64_t>(1, (*p.resources.cpu_quota_per_sec_usec.value + 999) / 1000)) + "m";
  if (!limits.empty()) container["resources"] = Json{{"limits", std::move(limits)}};
  container["securityContext"] = Json{{"allowPrivilegeEscalation", false},
                                      {"privileged", false},
                                      {"readOnlyRootFilesystem", true},
                                      {"capabilities", std::move(caps)}};
  Json pod;
  // zjail's user namespace: Kubernetes 1.33 turns it on by default.
  pod["hostUsers"] = false;
  pod["automountServiceAccountToken"] = false;
  pod["enableServiceLinks"] = false;
  if (!p.hostname.value.value_or("").empty()) {
    if (dns_label(plan.hostname) == plan.hostname) pod["hostname"] = plan.hostname;
    else losses.push_back("Hostname=" + scalar(Json(plan.hostname)) + ": a Pod's hostname is one DNS label");
  }
  pod["securityContext"] = std::move(pod_context);
  pod["containers"] = Json::array({std::move(container)});

  // Names as JSON strings: a newline in a profile's path stays in the comment.
  std::string out = "# zjail export --format k8s";
  for (const auto& n : src.req.profile_names) out += " -p " + scalar(Json(n));
  out += "\n# Apply the SeccompProfile in the pod's namespace; merge the Pod spec fragment below\n"
         "# into the Pod (or the template of a Deployment), with the container's image.\n"
         "# What Kubernetes cannot express of this profile:\n";
  for (const auto& l : losses) out += "#   - " + l + "\n";
  out += "---\n";
  yaml(profile, 0, out);
  out += "---\n# Pod spec fragment (the fields of a Pod's spec).\n";
  yaml(pod, 0, out);
  return out;
}

}  // namespace zjail::exporting
