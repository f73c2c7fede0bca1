#!/usr/bin/env python3
"""zjail export --format k8s with hostile profile values (red team).

Every value a profile or the command line gives must reach Kubernetes as
written, or the export must refuse it (exit 125): no value may add a YAML
document or field, make the YAML unreadable, or be changed by the reader.
Names must be what the API server takes: metadata.name a DNS-1123
subdomain, the container's name and the Pod's hostname DNS-1123 labels.

    k8s_values_test.py ZJAIL PROFILE_DIR
"""
import os
import re
import subprocess
import sys
import tempfile

import yaml

ZJAIL, PROFILES = sys.argv[1], sys.argv[2]
ENV = dict(os.environ, ZJAIL_PROFILE_PATH=PROFILES, ZJAIL_PROFILE_OWNER=str(os.getuid()))
DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")

failures = []
tmp = tempfile.mkdtemp(prefix="zjail-k8s-values-")


def check(cond, where, what):
    if not cond:
        failures.append(f"{where}: {what}")


def write_profile(directory, name, body):
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, name)
    with open(path, "wb") as f:
        f.write(b"[Jail]\nInclude=base-service\n" + body)
    return path


def export(where, profile, *command):
    args = [ZJAIL, "export", "--format", "k8s", "-p", profile, "-u", "nobody", "-g", "nogroup"]
    if command:
        args += ["--", *command]
    r = subprocess.run(args, env=ENV, capture_output=True)
    if r.returncode == 125:
        return None  # refused: acceptable for a value Kubernetes cannot take
    check(r.returncode == 0, where, f"exit {r.returncode}: {r.stderr!r}")
    try:
        return list(d for d in yaml.safe_load_all(r.stdout.decode("utf-8")) if d is not None)
    except Exception as e:  # noqa: BLE001 - any reader error is the finding
        failures.append(f"{where}: the YAML does not read: {str(e).splitlines()[0]}")
        return None


def only_two(where, docs):
    if docs is None:
        return False
    kinds = [d.get("kind") for d in docs]
    check(len(docs) == 2, where, f"{len(docs)} documents, kinds {kinds}")
    return len(docs) == 2


# 1. A profile's path with a newline: the comment header "# zjail export ...
#    -p PATH" must not end at the newline and start a document of its own.
evil_dir = os.path.join(tmp, "x\n---\nkind: Secret\napiVersion: v1\nmetadata: {name: injected}\n#")
docs = export("profile path with a newline", write_profile(evil_dir, "svc.profile", b""))
only_two("profile path with a newline", docs)

# 2. Environment= values: every character must come back as written.
values = {
    "DEL": "a\x7fb",              # YAML forbids DEL unescaped
    "C1": "a\u009bb",             # C1 controls are not printable in YAML
    "NEL": "a\u0085   b",         # a line break to YAML 1.1 readers, folded
    "LS": "x\u2028   y",          # likewise: the spaces after it are eaten
    "PS": "x\u2029 y",
    "BOM": "\ufeffz",
    "QUOTE": 'q"\': - [x] {y} # z',
}
for key, value in values.items():
    line = f'Environment="{key}={value}"\n'.encode("utf-8")
    where = f"Environment={key}={value!r}"
    docs = export(where, write_profile(tmp, f"env-{key.lower()}.profile", line))
    if not only_two(where, docs):
        continue
    env = {e["name"]: e.get("value") for e in docs[1]["containers"][0].get("env", [])}
    check(env.get(key) == value, where, f"reads back as {env.get(key)!r}")

# 3. A command argument after --, the same characters.
for key, value in values.items():
    where = f"command argument {value!r}"
    docs = export(where, "base-service", "/bin/echo", value)
    if only_two(where, docs):
        check(docs[1]["containers"][0].get("command") == ["/bin/echo", value], where,
              f"reads back as {docs[1]['containers'][0].get('command')!r}")

# 4. Names: a profile file name with dots, a dot next to a dash, or longer
#    than a label; a Hostname= with a dot.
for fname in ("redis.v2.profile", "a.-b.profile", "x" * 70 + ".profile"):
    where = f"profile file {fname}"
    docs = export(where, write_profile(tmp, fname, b""))
    if not only_two(where, docs):
        continue
    name = docs[0]["metadata"]["name"]
    check(len(name) <= 253 and DNS_SUBDOMAIN.match(name), where, f"metadata.name {name!r}")
    cname = docs[1]["containers"][0]["name"]
    check(len(cname) <= 63 and DNS_LABEL.match(cname), where, f"container name {cname!r} is no DNS-1123 label")

docs = export("Hostname=web.example", write_profile(tmp, "host.profile", b"Hostname=web.example\n"))
if only_two("Hostname=web.example", docs) and "hostname" in docs[1]:
    h = docs[1]["hostname"]
    check(len(h) <= 63 and DNS_LABEL.match(h), "Hostname=web.example", f"Pod hostname {h!r} is no DNS-1123 label")

# 5. A CPU quota below 1m must not become a limit of 0 (which is no limit).
docs = export("CPUQuota=0.05%", write_profile(tmp, "cpu.profile", b"CPUQuota=0.05%\n"))
if only_two("CPUQuota=0.05%", docs):
    cpu = docs[1]["containers"][0].get("resources", {}).get("limits", {}).get("cpu")
    check(cpu is not None and cpu not in ("0", "0m"), "CPUQuota=0.05%", f"limits.cpu {cpu!r}: no limit at all")

# 6. MemoryMax=50% is resolved against the RAM of the host that parses the
#    profile (directives_resources.cpp): the exporting host's RAM must not
#    become every pod's limit; the limit is refused or listed, not guessed.
docs = export("MemoryMax=50%", write_profile(tmp, "mem.profile", b"MemoryMax=50%\n"))
if only_two("MemoryMax=50%", docs):
    mem = docs[1]["containers"][0].get("resources", {}).get("limits", {}).get("memory")
    half = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2
    check(mem is None or abs(int(mem) - half) > 4096, "MemoryMax=50%",
          f"limits.memory {mem}: half of the exporting host's RAM")

for f in failures:
    print("FAIL:", f)
print(f"{len(failures)} failures")
sys.exit(1 if failures else 0)
