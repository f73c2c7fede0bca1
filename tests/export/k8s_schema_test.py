#!/usr/bin/env python3
"""zjail export --format k8s, read as Kubernetes reads it.

The SeccompProfile is checked field by field against the
security-profiles-operator's CRD (seccompprofiles.security-profiles-operator
.x-k8s.io, v1beta1): required fields, enums, integer ranges (values are
int64 of at least 0) and no field the schema lacks (the API server would
drop it without a word). The second document must parse as a fragment of
a Pod's spec: known fields, with the types core/v1 gives them. Its seccomp
rules must be the oci-seccomp export's, but for bit 63 (export_internal.hpp).

    k8s_schema_test.py ZJAIL PROFILE_DIR
"""
import json
import os
import re
import subprocess
import sys

import yaml

ZJAIL, PROFILES = sys.argv[1], sys.argv[2]
ENV = dict(os.environ, ZJAIL_PROFILE_PATH=PROFILES, ZJAIL_PROFILE_OWNER=str(os.getuid()))

ACTIONS = {"SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP",
           "SCMP_ACT_ERRNO", "SCMP_ACT_TRACE", "SCMP_ACT_ALLOW", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY"}
ARCHES = {"SCMP_ARCH_NATIVE", "SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32", "SCMP_ARCH_ARM",
          "SCMP_ARCH_AARCH64", "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64", "SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPSEL",
          "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC", "SCMP_ARCH_PPC64", "SCMP_ARCH_PPC64LE",
          "SCMP_ARCH_S390", "SCMP_ARCH_S390X", "SCMP_ARCH_PARISC", "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64"}
OPS = {"SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT",
       "SCMP_CMP_MASKED_EQ"}
INT64_MAX = 2**63 - 1
DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
CAP = re.compile(r"^[A-Z][A-Z_0-9]*$")
QUANTITY = re.compile(r"^[0-9]+(\.[0-9]+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$")

failures = []


def check(cond, where, what):
    if not cond:
        failures.append(f"{where}: {what}")


def fields(obj, allowed, where, required=()):
    check(isinstance(obj, dict), where, "not a map")
    if not isinstance(obj, dict):
        return
    for k in obj:
        check(k in allowed, where, f"field {k!r} is not in the schema")
    for k in required:
        check(k in obj, where, f"required field {k!r} is missing")


def is_int(v, lo=0, hi=INT64_MAX):
    return isinstance(v, int) and not isinstance(v, bool) and lo <= v <= hi


def check_seccomp_profile(doc, where):
    fields(doc, {"apiVersion", "kind", "metadata", "spec"}, where, ("apiVersion", "kind", "metadata", "spec"))
    check(doc.get("apiVersion") == "security-profiles-operator.x-k8s.io/v1beta1", where, "apiVersion")
    check(doc.get("kind") == "SeccompProfile", where, "kind")
    name = doc.get("metadata", {}).get("name", "")
    check(len(name) <= 253 and DNS_SUBDOMAIN.match(name or "-"), where, f"metadata.name {name!r}")
    spec = doc.get("spec", {})
    fields(spec, {"architectures", "baseProfileName", "defaultAction", "disabled", "flags", "listenerMetadata",
                  "listenerPath", "syscalls", "defaultErrnoRet"}, where + ".spec", ("defaultAction", "disabled"))
    check(spec.get("defaultAction") in ACTIONS, where, "spec.defaultAction")
    check(isinstance(spec.get("disabled"), bool), where, "spec.disabled is no boolean")
    for a in spec.get("architectures", []):
        check(a in ARCHES, where, f"architecture {a!r}")
    for i, sc in enumerate(spec.get("syscalls", [])):
        w = f"{where}.spec.syscalls[{i}]"
        fields(sc, {"action", "args", "errnoRet", "names"}, w, ("action", "names"))
        check(sc.get("action") in ACTIONS, w, "action")
        check(isinstance(sc.get("names"), list) and sc["names"] and all(isinstance(n, str) for n in sc["names"]),
              w, "names")
        if "errnoRet" in sc:
            check(is_int(sc["errnoRet"], 0, 4095), w, "errnoRet")
        args = sc.get("args", [])
        check(isinstance(args, list) and len(args) <= 6, w, "args: at most 6")
        for j, a in enumerate(args):
            wa = f"{w}.args[{j}]"
            fields(a, {"index", "op", "value", "valueTwo"}, wa, ("index", "op"))
            check(is_int(a.get("index"), 0, 5), wa, "index")
            check(a.get("op") in OPS, wa, "op")
            for k in ("value", "valueTwo"):
                if k in a:
                    check(is_int(a[k]), wa, f"{k} {a[k]} is no int64 of at least 0")


def check_pod_fragment(doc, where):
    fields(doc, {"hostUsers", "automountServiceAccountToken", "enableServiceLinks", "hostname", "securityContext",
                 "containers"}, where, ("securityContext", "containers"))
    for k in ("hostUsers", "automountServiceAccountToken", "enableServiceLinks"):
        if k in doc:
            check(isinstance(doc[k], bool), where, f"{k} is no boolean")
    if "hostname" in doc:
        check(len(doc["hostname"]) <= 63 and DNS_LABEL.match(doc["hostname"]), where, "hostname")
    sc = doc.get("securityContext", {})
    fields(sc, {"runAsUser", "runAsGroup", "runAsNonRoot", "supplementalGroups", "seccompProfile"},
           where + ".securityContext")
    for k in ("runAsUser", "runAsGroup"):
        check(is_int(sc.get(k), 0, 2**31 - 1), where, k)
    if "runAsNonRoot" in sc:
        check(sc["runAsNonRoot"] is True and sc.get("runAsUser") != 0, where, "runAsNonRoot with uid 0")
    for g in sc.get("supplementalGroups", []):
        check(is_int(g, 0, 2**31 - 1), where, "supplementalGroups")
    sp = sc.get("seccompProfile", {})
    fields(sp, {"type", "localhostProfile"}, where + ".seccompProfile", ("type",))
    check(sp.get("type") == "Localhost" and isinstance(sp.get("localhostProfile"), str)
          and not sp["localhostProfile"].startswith("/") and ".." not in sp["localhostProfile"].split("/"),
          where, "seccompProfile: Localhost with a descending path")
    containers = doc.get("containers", [])
    check(isinstance(containers, list) and len(containers) == 1, where, "one container")
    for c in containers:
        w = where + ".containers[0]"
        fields(c, {"name", "command", "workingDir", "env", "resources", "securityContext"}, w, ("name",))
        check(DNS_LABEL.match(c.get("name", "-")) and len(c["name"]) <= 63, w, "name")
        if "command" in c:
            check(all(isinstance(a, str) for a in c["command"]), w, "command")
        for e in c.get("env", []):
            fields(e, {"name", "value"}, w + ".env", ("name",))
        for k, v in c.get("resources", {}).get("limits", {}).items():
            check(k in ("memory", "cpu") and isinstance(v, str) and QUANTITY.match(v), w, f"limit {k}={v!r}")
        csc = c.get("securityContext", {})
        fields(csc, {"allowPrivilegeEscalation", "privileged", "readOnlyRootFilesystem", "capabilities"},
               w + ".securityContext", ("allowPrivilegeEscalation", "capabilities"))
        check(csc.get("allowPrivilegeEscalation") is False, w, "allowPrivilegeEscalation must be false")
        check(csc.get("privileged") is False, w, "privileged must be false")
        check(csc.get("readOnlyRootFilesystem") is True, w, "readOnlyRootFilesystem must be true")
        caps = csc.get("capabilities", {})
        fields(caps, {"add", "drop"}, w + ".capabilities", ("drop",))
        check(caps.get("drop") == ["ALL"], w, "capabilities.drop must be [ALL]")
        for cap in caps.get("add", []):
            check(CAP.match(cap) and not cap.startswith("CAP_"), w, f"capability {cap!r}")


def export(fmt, profile):
    args = [ZJAIL, "export", "--format", fmt, "-p", profile, "-u", "nobody", "-g", "nogroup"]
    r = subprocess.run(args, env=ENV, capture_output=True, text=True)
    if r.returncode != 0:
        failures.append(f"{profile}: {' '.join(args[1:])}: exit {r.returncode}: {r.stderr.strip()}")
        return None
    return r.stdout


profiles = sorted(f[:-len(".profile")] for f in os.listdir(PROFILES) if f.endswith(".profile"))
for name in profiles:
    text = export("k8s", name)
    if text is None:
        continue
    check(text == export("k8s", name), name, "two exports differ")
    docs = [d for d in yaml.safe_load_all(text) if d is not None]
    check(len(docs) == 2, name, f"{len(docs)} YAML documents, not 2")
    if len(docs) != 2:
        continue
    check_seccomp_profile(docs[0], name)
    check_pod_fragment(docs[1], name)
    # The same calls, actions and defaults as the OCI seccomp export.
    oci = json.loads(export("oci-seccomp", name) or "{}")
    spec = docs[0]["spec"]
    for k in ("defaultAction", "defaultErrnoRet", "architectures"):
        check(spec.get(k) == oci.get(k), name, f"spec.{k} differs from oci-seccomp")
    plain = lambda s: sorted(json.dumps(e, sort_keys=True) for e in s.get("syscalls", []) if "args" not in e)
    check(plain(spec) == plain(oci), name, "the unconditional rules differ from oci-seccomp")
    argued = lambda s: sorted({n for e in s.get("syscalls", []) if "args" in e for n in e["names"]})
    check(argued(spec) == argued(oci), name, "the calls with argument rules differ from oci-seccomp")
    check(docs[1]["securityContext"]["seccompProfile"]["localhostProfile"] ==
          f"operator/{docs[0]['metadata']['name']}.json", name, "the Pod does not name the SeccompProfile")

# Bad input writes nothing and exits 125.
r = subprocess.run([ZJAIL, "export", "--format", "k8s", "-p", "no-such-profile"], env=ENV, capture_output=True,
                   text=True)
check(r.returncode == 125 and r.stdout == "" and r.stderr.count("\n") == 1, "bad profile",
      f"exit {r.returncode}, stdout {r.stdout!r}, stderr {r.stderr!r}")

# An unknown format, or a profile error, with --output: nothing is written.
for args in (["--format", "yaml", "-p", "echo"], ["--format", "oci-seccomp", "-p", "no-such-profile"]):
    out = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"zjail-export-{os.getpid()}.out")
    r = subprocess.run([ZJAIL, "export", *args, "--output", out], env=ENV, capture_output=True, text=True)
    check(r.returncode == 125 and not os.path.exists(out), " ".join(args), f"exit {r.returncode}, wrote {out}")
    if os.path.exists(out):
        os.unlink(out)

for f in failures:
    print("FAIL:", f)
print(f"{len(profiles)} profiles exported, {len(failures)} failures")
sys.exit(1 if failures else 0)
