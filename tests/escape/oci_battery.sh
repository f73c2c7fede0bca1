#!/usr/bin/env bash
# The escape battery under crun, from `zjail export --format oci` of the
# untrusted and base-service profiles (docs/fleet.md): host-setup makes
# the host's targets, crun runs the battery with the catalog's expectations
# for that profile, and host-setup checks the host afterwards. Every probe
# must end as under zjail, except those in `kOciOpen` below, which OCI
# cannot block (each one is in docs/fleet.md with the reason).
#
#   tests/escape/oci_battery.sh ZJAIL BATTERY     # as root; exit 77: no crun
#
# Prints the battery's lines for each profile, then one verdict per profile.
set -euo pipefail

zjail=${1:?usage: oci_battery.sh ZJAIL BATTERY}
battery=${2:?usage: oci_battery.sh ZJAIL BATTERY}
repo=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd)
crun=/usr/bin/crun

# profile:probe that crun lets through (or stops otherwise) where zjail
# blocks: see docs/fleet.md, "The escape battery under crun".
kOciOpen=(
  # No init: crun execs the payload as PID 1, so the probes of the jail's
  # launcher meet the payload itself (its own memory, exe and cmdline), and
  # /proc/1 is visible to it where zjail's init is hidden (ENOENT).
  untrusted:launcher-init-exe untrusted:launcher-init-mem untrusted:init-cmdline
  untrusted:setns-proc1-mnt untrusted:setns-proc1-user untrusted:setns-proc1-net untrusted:setns-proc1-pid
  base-service:launcher-init-exe base-service:launcher-init-mem base-service:init-cmdline
  base-service:setns-proc1-mnt base-service:setns-proc1-user base-service:setns-proc1-net base-service:setns-proc1-pid
  # Landlock's path rules: a host directory passed in as an fd is readable.
  base-service:passed-dirfd
)

if ((EUID != 0)); then echo "oci_battery: SKIPPED: needs root (crun runs the bundles)" >&2; exit 77; fi
if [[ ! -x $crun ]]; then echo "oci_battery: SKIPPED: no $crun (tests/setup.sh installs it)" >&2; exit 77; fi

# crun 1.8 refuses a hybrid cgroup layout whose v2 hierarchy holds a
# controller (this host's /sys/fs/cgroup/unified has hugetlb): there it runs
# in a mount namespace of its own without that hierarchy (cgroup v1 alone).
crun() {
  if [[ -n $(cat /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null) ]]; then
    unshare --mount -- /bin/sh -c 'umount -l /sys/fs/cgroup/unified && exec /usr/bin/crun "$@"' crun "$@"
  else
    /usr/bin/crun "$@"
  fi
}

work=$(mktemp -d /tmp/zjail-oci-battery.XXXXXX)
chmod 0755 "$work"
setup_pid=
cleanup() {
  [[ -n $setup_pid ]] && kill "$setup_pid" 2>/dev/null || true
  for id in "${ids[@]:-}"; do [[ -n $id ]] && crun delete --force "$id" >/dev/null 2>&1 || true; done
  rm -rf -- "$work"
}
ids=()
trap cleanup EXIT

failed=0
for profile in untrusted base-service; do
  targets=$work/$profile-targets
  # host-setup prints ARGS, waits for a line on stdin, then checks the host.
  coproc SETUP { exec "$battery" host-setup --uid "$(id -u nobody)" --dir "$targets" --zjail "$zjail" 2>&1; }
  setup_pid=$SETUP_PID
  args=
  while IFS= read -r line <&"${SETUP[0]}"; do
    if [[ $line == ARGS\ * ]]; then args=${line#ARGS }; break; fi
  done
  [[ -n $args ]] || { echo "oci_battery: host-setup printed no ARGS line" >&2; exit 1; }

  bundle=$work/$profile
  mkdir -p "$bundle/rootfs"
  # shellcheck disable=SC2086  # ARGS is a word list by design
  ZJAIL_PROFILE_PATH=$repo/profiles "$zjail" export --format oci --profile "$profile" --ro-bind "$targets" \
    --output "$bundle/config.json" -- "$battery" --profile-expect "$profile" $args
  id=zjail-oci-battery-$$-$profile
  ids+=("$id")
  # crun gives its stdio to the payload's user (fchown): files of its own,
  # never the host's /dev/null.
  : >"$bundle/stdin"
  crun run --bundle "$bundle" "$id" <"$bundle/stdin" >"$bundle/out" 2>&1 || true
  crun delete --force "$id" >/dev/null 2>&1 || true

  echo >&"${SETUP[1]}"
  report=$(cat <&"${SETUP[0]}")
  wait "$setup_pid" || true
  setup_pid=

  echo "== $profile under crun"
  cat "$bundle/out"
  echo "$report" | grep '^host-' || true
  if ! grep -q '^summary ' "$bundle/out"; then
    echo "oci_battery: $profile: the battery did not finish under crun" >&2
    failed=1
    continue
  fi
  if ! grep -q '^host-summary failed=0' <<<"$report"; then
    echo "oci_battery: $profile: the host checks failed" >&2
    failed=1
  fi
  # Each probe that is not as under zjail must be a known OCI loss, and
  # each known loss must still be one (else the list is stale).
  while IFS= read -r line; do
    probe=$(sed -n 's/^probe=\([^ ]*\) .*/\1/p' <<<"$line")
    verdict=$(sed -n 's/.* verdict=\([^ ]*\) .*/\1/p' <<<"$line")
    known=0
    for k in "${kOciOpen[@]}"; do [[ $k == "$profile:$probe" ]] && known=1; done
    if [[ $verdict == FAIL && $known == 0 ]]; then
      echo "oci_battery: $profile: $probe is not blocked as under zjail, and no listed OCI loss: $line" >&2
      failed=1
    elif [[ $verdict != FAIL && $known == 1 ]]; then
      echo "oci_battery: $profile: $probe is listed as an OCI loss but passes now: $line" >&2
      failed=1
    fi
  done < <(grep '^probe=' "$bundle/out")
done
if ((failed)); then echo "oci_battery: FAILED" >&2; exit 1; fi
echo "oci_battery: ok (every other probe blocked as under zjail)"
