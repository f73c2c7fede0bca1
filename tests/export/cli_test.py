#!/usr/bin/env python3
"""zjail export's command line: --unit reads the unit's own zjail command
line (its profiles, overrides and command) or, for a unit without zjail, its
command and User=; bad input exits 125 and writes nothing; the export does
not depend on the exporter's environment.

    cli_test.py ZJAIL PROFILE_DIR
"""
import json
import stat
import os
import subprocess
import sys
import tempfile

ZJAIL, PROFILES = sys.argv[1], sys.argv[2]
ENV = dict(os.environ, ZJAIL_PROFILE_PATH=PROFILES, ZJAIL_PROFILE_OWNER=str(os.getuid()))
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)


def export(*args, env=ENV):
    return subprocess.run([ZJAIL, "export", *args], env=env, capture_output=True, text=True)


with tempfile.TemporaryDirectory() as tmp:
    def unit(name, text):
        path = os.path.join(tmp, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    # A unit that runs zjail: its profiles and overrides are what is exported.
    jailed = unit("jailed.service", "[Service]\nExecStart=/usr/bin/zjail --profile untrusted -u nobody "
                                    "--setenv MODE=ro -- /bin/true --flag\n")
    by_unit = export("--format", "oci-seccomp", "--unit", jailed)
    by_profile = export("--format", "oci-seccomp", "-p", "untrusted", "-u", "nobody")
    check(by_unit.returncode == 0, f"--unit jailed: exit {by_unit.returncode}: {by_unit.stderr}")
    check(by_unit.stdout == by_profile.stdout, "--unit of a zjail unit differs from its --profile")
    k8s = export("--format", "k8s", "--unit", jailed)
    check(k8s.returncode == 0 and 'command: ["/bin/true","--flag"]' in k8s.stdout,
          f"--unit's command not exported: {k8s.stdout[-600:]}")
    check('name: "MODE"' in k8s.stdout, "--unit's --setenv not exported")
    check('"jailed"' in k8s.stdout, "the SeccompProfile is not named after the unit")
    # --profile on the command line replaces the unit's profiles.
    other = export("--format", "oci-seccomp", "--unit", jailed, "-p", "base-service")
    base = export("--format", "oci-seccomp", "-p", "base-service", "-u", "nobody")
    check(other.stdout == base.stdout, "--profile does not replace the unit's profiles")

    # A unit without zjail: its command and User=; the profile from --profile.
    native = unit("native.service", "[Service]\nUser=nobody\nExecStart=-/bin/sleep 5\n")
    r = export("--format", "k8s", "--unit", native)
    check(r.returncode == 125 and r.stdout == "", "a unit without zjail and no --profile is not refused")
    r = export("--format", "k8s", "--unit", native, "-p", "untrusted")
    check(r.returncode == 0 and 'command: ["/bin/sleep","5"]' in r.stdout and "runAsUser: 65534" in r.stdout,
          f"a unit without zjail: command or User= not taken: {r.stderr}{r.stdout[-400:]}")

    # A unit whose zjail command line zjail would not accept.
    bad = unit("bad.service", "[Service]\nExecStart=/usr/bin/zjail --no-such-option -p untrusted -- /bin/true\n")
    r = export("--format", "oci-seccomp", "--unit", bad)
    check(r.returncode == 125 and r.stdout == "", f"a bad ExecStart= is not refused: exit {r.returncode}")

    # --output: written whole, mode 0644; on error, nothing.
    out = os.path.join(tmp, "out.json")
    r = export("--format", "oci-seccomp", "-p", "untrusted", "--output", out)
    check(r.returncode == 0 and r.stdout == "" and json.load(open(out))["defaultAction"], "--output not written")
    check(os.stat(out).st_mode & 0o777 == 0o644, "--output mode")
    before = open(out).read()
    r = export("--format", "oci-seccomp", "-p", "no-such-profile", "--output", out)
    check(r.returncode == 125 and open(out).read() == before, "a failed export touched --output")
    check(not [f for f in os.listdir(tmp) if f.startswith("out.json.")], "a temporary file was left behind")

    # A path that is no regular file is written through, never replaced by
    # a plain file: a symlink (to its target), a FIFO, a character device.
    target = os.path.join(tmp, "target.json")
    open(target, "w").close()
    link = os.path.join(tmp, "link.json")
    os.symlink(target, link)
    r = export("--format", "oci-seccomp", "-p", "untrusted", "--output", link)
    check(r.returncode == 0 and os.path.islink(link) and json.load(open(target))["defaultAction"],
          f"--output through a symlink: exit {r.returncode}, link kept {os.path.islink(link)}: {r.stderr}")
    fifo = os.path.join(tmp, "fifo")
    os.mkfifo(fifo)
    reader = subprocess.Popen(["cat", fifo], stdout=subprocess.PIPE, text=True)
    r = export("--format", "oci-seccomp", "-p", "untrusted", "--output", fifo)
    got = reader.communicate(timeout=20)[0]
    check(r.returncode == 0 and stat.S_ISFIFO(os.lstat(fifo).st_mode) and json.loads(got)["defaultAction"],
          f"--output to a FIFO: exit {r.returncode}: {r.stderr}")
    r = export("--format", "oci-seccomp", "-p", "untrusted", "--output", "/dev/null")
    check(r.returncode == 0 and stat.S_ISCHR(os.lstat("/dev/null").st_mode),
          f"--output /dev/null: exit {r.returncode}, still a device: {stat.S_ISCHR(os.lstat('/dev/null').st_mode)}")
    r = export("--format", "oci-seccomp", "-p", "untrusted", "--output", "/dev/full")
    check(r.returncode == 125 and "No space left on device" in r.stderr and stat.S_ISCHR(os.lstat("/dev/full").st_mode),
          f"--output /dev/full: exit {r.returncode}: {r.stderr}")

# The exporter's environment does not reach the export.
a = export("--format", "k8s", "-p", "untrusted", "-u", "nobody", env=dict(ENV, ZJAIL_TEST_SECRET="s3cret"))
check("s3cret" not in a.stdout, "the exporter's environment leaked into the export")
r = export("-p", "untrusted")
check(r.returncode == 125 and "--format" in r.stderr, f"export without --format: exit {r.returncode}")

for f in failures:
    print("FAIL:", f)
print(f"{len(failures)} failures")
sys.exit(1 if failures else 0)
