#!/bin/bash
# zjail --analyze against systemd-analyze security on the real units: for each
# daemon with a shipped profile and drop-in, systemd's figure for Debian's
# unit alone, zjail's figure for the same unit alone, and zjail's for the unit
# wrapped by the drop-in in its profile, which must be lower than systemd's.
# A unit's files come from systemd over D-Bus; one changed on disk
# since is read from the unit directories.
# --threshold gates on the score.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

source_dir=${ZJAIL_SOURCE_DIR:-$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd)}
units=(nginx redis-server memcached chrony)
cleanup() {
  local u
  for u in "${units[@]}"; do vm "rm -rf /etc/systemd/system/$u.service.d" >/dev/null 2>&1 || true; done
}
trap cleanup EXIT

# The "exposure" of zjail --analyze --json.
exposure() { sed -n 's/^  "exposure": \([0-9.]*\),$/\1/p' <<<"$1"; }

printf '%-14s %10s %12s %14s\n' unit systemd zjail-alone zjail-wrapped
for u in "${units[@]}"; do
  dropin=$source_dir/units/dropins/$u.service.d/zjail.conf.in
  [[ -f $source_dir/profiles/$u.profile && -f $dropin ]] || { echo "no profile or drop-in for $u, skipped"; continue; }
  vm systemctl cat "$u.service" >/dev/null 2>&1 || { echo "$u is not installed in the image, skipped"; continue; }

  sd=$(vm systemd-analyze security --no-pager "$u.service" | sed -n 's/^→ Overall exposure level for .*: \([0-9.]*\) .*/\1/p')
  [[ $sd =~ ^[0-9]+\.[0-9]$ ]] || fail "$u: no figure from systemd-analyze security"

  alone=$(exposure "$(vm "$ZJAIL_GUEST_BIN" --analyze --unit "$u" --json)")
  # Unchanged since systemd read it: zjail takes its files from systemd.
  assert_match "$u: unit files asked of systemd over D-Bus" 'as systemd loaded it\)$' \
    "$(vm "$ZJAIL_GUEST_BIN" --analyze --unit "$u" | head -n 1)"
  [[ $alone =~ ^[0-9]+\.[0-9]$ ]] || fail "$u: zjail --analyze computed no figure for the unit alone"

  sed -e "s|@ZJAIL_BIN@|$ZJAIL_GUEST_BIN|g" -e "s|@ZJAIL_CONF_DIR@|/usr/share/zjail/conf|g" -- "$dropin" |
    vm "mkdir -p /etc/systemd/system/$u.service.d && cat >/etc/systemd/system/$u.service.d/zjail.conf"
  # Not reloaded yet (NeedDaemonReload): read from disk, as it will apply.
  json=$(vm "$ZJAIL_GUEST_BIN" --analyze --unit "$u" --json)
  wrapped=$(exposure "$json")
  [[ $wrapped =~ ^[0-9]+\.[0-9]$ ]] || fail "$u: zjail --analyze computed no figure for the wrapped unit"
  grep -q "\"profile\": \"$u\"" <<<"$json" || fail "$u: the profile was not taken from the drop-in's ExecStart="
  printf '%-14s %10s %12s %14s\n' "$u" "$sd" "$alone" "$wrapped"
  awk -v w="$wrapped" -v s="$sd" 'BEGIN { exit !(w < s) }' ||
    fail "$u: wrapped in zjail it scores $wrapped, not lower than systemd-analyze's $sd"

  # CI gating: above the threshold exits 1, at or below it 0.
  rc=0
  vm "$ZJAIL_GUEST_BIN" --analyze --unit "$u" --threshold 0.0 >/dev/null || rc=$?
  assert_eq "$u: exit status above --threshold" 1 "$rc"
  vm "$ZJAIL_GUEST_BIN" --analyze --unit "$u" --threshold "$wrapped" >/dev/null ||
    fail "$u: --threshold $wrapped (its own score) failed"
  vm "rm -rf /etc/systemd/system/$u.service.d"
done

# The table names every item and ends with the overall figure.
table=$(vm "$ZJAIL_GUEST_BIN" --analyze --profile base-service)
assert_match "table has the network item" '^\+ PrivateNetwork= +yes' "$table"
assert_match "table ends with the overall level" '^Overall exposure level: [0-9]+\.[0-9] [A-Z]+$' "$table"
