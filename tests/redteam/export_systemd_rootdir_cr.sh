#!/bin/sh
# Red team: RootDirectory= naming a directory with a CR reaches the drop-in
# raw; systemd's read_line() ends a line at CR, so the rest is a directive.
# Usage (root): tests/redteam/export_systemd_rootdir_cr.sh ZJAIL. Exit 1: injected.
set -eu
zjail=${1:-build/jail/zjail}
dir=$(mktemp -d /root/rt-XXXXXX)
trap 'rm -rf "$dir"' EXIT
chmod 700 "$dir"
root=$(printf '%s/r\rExecStartPre=+id' "$dir")
mkdir "$root"
printf '[Jail]\nRootDirectory=%s\n' "$root" > "$dir/p.profile"
if ZJAIL_PROFILE_PATH=$(pwd)/profiles "$zjail" export --format systemd -p "$dir/p.profile" |
   tr '\r' '\n' | grep -q '^ExecStartPre=+id'; then
  echo "injected: RootDirectory= with a CR gives an ExecStartPre=+ line" >&2
  exit 1
fi
