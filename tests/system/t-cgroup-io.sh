#!/bin/bash
# IOReadBandwidthMax= bites: a jailed O_DIRECT read of 3 MiB from a file on
# the VM's disk, under `IOReadBandwidthMax=<that file> 1M` (systemd puts the
# disk behind it in io.max of zjail's scope), runs at about 1 MiB/s, while
# the same read in the same jail without the limit runs many times faster.
# TCG's speed varies, so the test asserts a band and a ratio, not a time.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

profile_dir=/etc/zjail/profiles
data=/var/tmp/zjail-systest-io.dat

cleanup() {
  vm "rm -f $profile_dir/systest-io-free.profile $profile_dir/systest-io-1m.profile $data" \
    >/dev/null 2>&1 || true
}
trap cleanup EXIT

fact() { sed -n "s/^$1=//p" <<<"$2" | head -n 1; }

vm "cat >$profile_dir/systest-io-free.profile" <<EOF
[Jail]
Include=base-service
BindReadOnlyPaths=$data:/data
EOF
vm "cat >$profile_dir/systest-io-1m.profile" <<EOF
[Jail]
Include=systest-io-free
IOReadBandwidthMax=$data 1M
EOF

facts=$(vm bash -s -- "$ZJAIL_GUEST_BIN" "$data" <<'EOF'
zjail=$1 data=$2
dd if=/dev/urandom of="$data" bs=1M count=3 status=none && sync
chmod 0644 "$data"
# Once unjailed, so that both measured reads find the image's blocks in the
# host's page cache alike (O_DIRECT bypasses only the guest's).
dd if="$data" of=/dev/null bs=256K iflag=direct status=none
# dd's last line: "3145728 bytes (3.1 MB, 3.0 MiB) copied, 3.01 s, 1.0 MB/s"
secs() { "$zjail" --profile "$1" -- /usr/bin/dd if=/data of=/dev/null bs=256K iflag=direct 2>&1 |
  tee /dev/stderr | sed -n 's/^3145728 bytes .* copied, \([0-9.e-]*\) s, .*/\1/p'; }
echo free_s=$(secs systest-io-free)
echo limited_s=$(secs systest-io-1m)
EOF
)
printf '%s\n' "$facts"
free_s=$(fact free_s "$facts")
limited_s=$(fact limited_s "$facts")
[[ $free_s =~ ^[0-9.e-]+$ ]] || fail "the unlimited read did not complete (dd: '$free_s')"
[[ $limited_s =~ ^[0-9.e-]+$ ]] || fail "the limited read did not complete (dd: '$limited_s')"
verdict=$(awk -v f="$free_s" -v l="$limited_s" 'BEGIN {
  lr = 3 / l; fr = 3 / (f > 0 ? f : 1e-6)
  printf "free %.1f MiB/s, limited %.2f MiB/s, ratio %.1f\n", fr, lr, fr / lr
  if (lr > 1.5 || lr < 0.5) print "BAND"
  if (fr < 4 * lr) print "RATIO"
}')
printf '%s\n' "$verdict"
grep -q '^BAND$' <<<"$verdict" &&
  fail "IOReadBandwidthMax=1M: the limited read ran at $(head -n 1 <<<"$verdict" | sed 's/.*limited \([^,]*\),.*/\1/'), not about 1 MiB/s (0.5-1.5)"
grep -q '^RATIO$' <<<"$verdict" &&
  fail "the unlimited read was not 4 times faster than the limited one: $(head -n 1 <<<"$verdict")"
echo "ok: $(head -n 1 <<<"$verdict")"
