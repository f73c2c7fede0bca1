#!/usr/bin/env python3
"""zjail export refuses what a launch refuses, and --output widens no mode.

- A profile that a launch refuses is refused by the export too: exit 125,
  one line, nothing written (docs/fleet.md).
- --output does not make an existing file readable by more people than
  before: an export carries Environment= values.

    refusal_test.py ZJAIL PROFILE_DIR
"""
import os
import stat
import subprocess
import sys
import tempfile

ZJAIL, PROFILES = sys.argv[1], sys.argv[2]
ENV = dict(os.environ, ZJAIL_PROFILE_PATH=PROFILES, ZJAIL_PROFILE_OWNER=str(os.getuid()))
failures = []
tmp = tempfile.mkdtemp(prefix="zjail-export-cli-")


def check(cond, where, what):
    if not cond:
        failures.append(f"{where}: {what}")


def profile(name, body):
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        f.write("[Jail]\nInclude=base-service\n" + body)
    return path


# 1. IPAddressDeny= is zjail's to enforce (nftables in the jail's namespace,
#    or systemd's scope on the host's network): an engine's export would
#    drop it without a word, so the export refuses it.
ipd = profile("ipdeny.profile", "IPAddressDeny=any\n")
for fmt in ("oci-seccomp", "k8s"):
    out = os.path.join(tmp, f"ipdeny.{fmt}")
    r = subprocess.run([ZJAIL, "export", "--format", fmt, "-p", ipd, "-u", "nobody", "-g", "nogroup",
                        "--output", out], env=ENV, capture_output=True, text=True)
    check(r.returncode == 125 and not os.path.exists(out) and r.stderr.count("\n") == 1,
          f"IPAddressDeny=any, --format {fmt}",
          f"exit {r.returncode}, wrote {os.path.exists(out)}, stderr {r.stderr!r} (an engine would drop it)")

# 2. --output over an existing 0600 file: the export (with a secret in its
#    environment) must not become world-readable.
secret = profile("secret.profile", "Environment=DB_PASSWORD=hunter2\n")
out = os.path.join(tmp, "secret.yaml")
with open(out, "w") as f:
    f.write("old\n")
os.chmod(out, 0o600)
r = subprocess.run([ZJAIL, "export", "--format", "k8s", "-p", secret, "-u", "nobody", "-g", "nogroup",
                    "--output", out], env=ENV, capture_output=True, text=True)
check(r.returncode == 0, "--output over a 0600 file", f"exit {r.returncode}: {r.stderr!r}")
mode = stat.S_IMODE(os.stat(out).st_mode)
check(not mode & 0o077, "--output over a 0600 file", f"now mode {mode:04o}, with DB_PASSWORD in it")

for f in failures:
    print("FAIL:", f)
print(f"{len(failures)} failures")
sys.exit(1 if failures else 0)
