#!/bin/bash
# Builds (or finds) the cached Debian 12 VM image of the system-test tier.
#
#   image.sh [build]   ensure the image exists; print its directory on stdout
#   image.sh path      print the directory the current recipe maps to
#   image.sh prune     delete cached images of other recipes
#
# The cache lives outside the repo, in $ZJAIL_VM_CACHE (default
# /var/cache/zjail-vm), one directory per recipe:
#   <sha256 of the recipe>/rootfs.img   raw ext4 (sparse), the root fs
#   <sha256 of the recipe>/vmlinuz      kernel, booted with qemu -kernel
#   <sha256 of the recipe>/initrd.img   its initramfs
#   <sha256 of the recipe>/id_ed25519   root's ssh key into the image
# The recipe is the build functions of this script, image.packages and
# $ZJAIL_VM_EXTRA_PACKAGES.
# An entry is built under a temporary name and renamed into place when
# complete, under a lock, so concurrent or interrupted builds never leave a
# half-built entry behind.
#
# Environment:
#   ZJAIL_VM_CACHE            cache directory (default /var/cache/zjail-vm)
#   ZJAIL_VM_MIRROR           Debian mirror (default: the host's apt source)
#   ZJAIL_VM_EXTRA_PACKAGES   more packages, space or comma separated
#   ZJAIL_VM_IMAGE_SIZE       size of the ext4 image (default 4G, sparse)
set -euo pipefail

readonly SUITE=bookworm
here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
readonly here
readonly cache=${ZJAIL_VM_CACHE:-/var/cache/zjail-vm}
readonly image_size=${ZJAIL_VM_IMAGE_SIZE:-4G}

log() { printf 'image.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Package names from image.packages plus $ZJAIL_VM_EXTRA_PACKAGES, one a line.
packages() {
  sed -e 's/#.*//' -e 's/[[:space:]]//g' -e '/^$/d' "$here/image.packages"
  local extra=${ZJAIL_VM_EXTRA_PACKAGES:-}
  if [[ -n $extra ]]; then
    tr -s ', ' '\n' <<<"$extra" | sed '/^$/d'
  fi
}

# The recipe is what goes into the image: the package list and the
# functions that build it (not this script's other plumbing, so editing
# e.g. prune does not rebuild the image). Bump RECIPE_VERSION to force one.
readonly RECIPE_VERSION=1
recipe_hash() {
  {
    printf 'recipe=%s suite=%s\n' "$RECIPE_VERSION" "$SUITE"
    packages
    declare -f build configure_root
    printf 'extra=%s\n' "${ZJAIL_VM_EXTRA_PACKAGES:-}"
    printf 'size=%s\n' "$image_size"
  } | sha256sum | cut -d' ' -f1
}

# The first plain Debian archive URI this host's apt uses for $SUITE: on the
# CI machines that is the only mirror that is reachable.
host_mirror() {
  local f uri=""
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -f $f ]] || continue
    uri=$(awk -v suite="$SUITE" '
      BEGIN { RS = ""; FS = "\n" }
      {
        types = ""; uris = ""; suites = ""; enabled = "yes"
        for (i = 1; i <= NF; i++) {
          if ($i ~ /^Types:/)   { types = $i }
          if ($i ~ /^URIs:/)    { uris = $i }
          if ($i ~ /^Suites:/)  { suites = $i }
          if ($i ~ /^Enabled:/) { enabled = $i }
        }
        if (types ~ /[[:space:]]deb([[:space:]]|$)/ && enabled !~ /no/ &&
            (" " suites " ") ~ ("[[:space:]]" suite "[[:space:]]")) {
          sub(/^URIs:[[:space:]]*/, "", uris); split(uris, u, /[[:space:]]+/)
          print u[1]; exit
        }
      }' "$f")
    [[ -n $uri ]] && { printf '%s\n' "$uri"; return; }
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -f $f ]] || continue
    uri=$(awk -v suite="$SUITE" '
      $1 == "deb" {
        n = 2; if ($2 ~ /^\[/) { while (n <= NF && $n !~ /\]$/) n++; n++ }
        if ($(n + 1) == suite) { print $n; exit }
      }' "$f")
    [[ -n $uri ]] && { printf '%s\n' "$uri"; return; }
  done
  printf '%s\n' http://deb.debian.org/debian
}

# Unmounts whatever a failed debootstrap left mounted below $1 (proc, sys).
umount_below() {
  local dir=$1 target
  awk -v d="$dir/" 'index($2, d) == 1 { print $2 }' /proc/self/mounts |
    sort -r | while read -r target; do umount -l -- "$target" || true; done
}

build() {
  local hash=$1 final=$2 tmp=$3
  local root=$tmp/root mirror start=$SECONDS
  mirror=${ZJAIL_VM_MIRROR:-$(host_mirror)}
  local include
  include=$(packages | paste -sd, -)
  log "building image $hash from $mirror"
  log "packages: $include"

  mkdir -p -- "$root" "$cache/debs"
  # Root only: the key and the image grant root in the VM.
  chmod 0700 -- "$tmp"
  # In its own process group, waited for in the background: a signal to this
  # script then stops the whole install at once (see cleanup_build).
  setsid debootstrap --variant=minbase --merged-usr --components=main \
    --include="$include" --cache-dir="$cache/debs" \
    "$SUITE" "$root" "$mirror" </dev/null >"$tmp/debootstrap.log" 2>&1 &
  debootstrap_pid=$!
  local rc=0
  wait "$debootstrap_pid" || rc=$?
  debootstrap_pid=""
  if ((rc != 0)); then
    tail -n 30 -- "$tmp/debootstrap.log" >&2
    [[ -f $root/debootstrap/debootstrap.log ]] &&
      tail -n 30 -- "$root/debootstrap/debootstrap.log" >&2
    die "debootstrap failed (log above)"
  fi
  log "debootstrap done in $((SECONDS - start)) s"
  umount_below "$root"

  configure_root "$root" "$tmp"

  local kernel initrd
  kernel=$(find "$root/boot" -maxdepth 1 -name 'vmlinuz-*' | sort -V | tail -n 1)
  initrd=$(find "$root/boot" -maxdepth 1 -name 'initrd.img-*' | sort -V | tail -n 1)
  [[ -n $kernel && -n $initrd ]] || die "no kernel or initrd in $root/boot"
  cp -- "$kernel" "$tmp/vmlinuz"
  cp -- "$initrd" "$tmp/initrd.img"
  printf '%s\n' "${kernel##*/vmlinuz-}" >"$tmp/kernel-version"

  # A raw ext4 image filled straight from the directory: no loop mount.
  truncate -s "$image_size" -- "$tmp/rootfs.img"
  mkfs.ext4 -q -F -L zjail-root -E lazy_itable_init=1,lazy_journal_init=1 \
    -d "$root" "$tmp/rootfs.img"
  rm -rf --one-file-system -- "$root"

  packages >"$tmp/packages"
  printf '%s\n' "$mirror" >"$tmp/mirror"
  printf 'built %s in %d s\n' "$(date -u +%FT%TZ)" "$((SECONDS - start))" >"$tmp/built"
  # The rename publishes the whole entry at once.
  mv -T -- "$tmp" "$final"
  log "image ready in $((SECONDS - start)) s: $final"
}

# Everything the VM needs beyond the packages: login, console, fstab,
# hostname, DHCP on the virtio NIC, and fewer timers to disturb the tests.
configure_root() {
  local root=$1 tmp=$2

  ssh-keygen -q -t ed25519 -N '' -C zjail-system-tests -f "$tmp/id_ed25519"
  install -d -m 0700 -- "$root/root/.ssh"
  install -m 0600 -- "$tmp/id_ed25519.pub" "$root/root/.ssh/authorized_keys"
  # No password works anywhere: root logs in with the key only.
  chroot "$root" passwd -l root >/dev/null
  cat >"$root/etc/ssh/sshd_config.d/zjail-tests.conf" <<'EOF'
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UseDNS no
EOF

  printf 'zjail-vm\n' >"$root/etc/hostname"
  cat >"$root/etc/hosts" <<'EOF'
127.0.0.1	localhost
127.0.1.1	zjail-vm
::1	localhost ip6-localhost ip6-loopback
EOF
  # pass 0: the root fs is a fresh copy-on-write overlay at every boot.
  printf '/dev/vda\t/\text4\trw,relatime\t0\t0\n' >"$root/etc/fstab"
  printf 'nameserver 10.0.2.3\n' >"$root/etc/resolv.conf"

  cat >"$root/etc/systemd/network/80-zjail-vm.network" <<'EOF'
[Match]
Name=en* eth*

[Network]
DHCP=ipv4
EOF
  chroot "$root" systemctl enable -q systemd-networkd.service
  # Daemons from image.packages stay off until a test starts one under its
  # profile: a boot under TCG should not pay for them.
  local svc
  for svc in nginx redis-server memcached postgresql unbound haproxy \
      mosquitto chrony lighttpd nftables; do
    if [[ -e $root/lib/systemd/system/$svc.service ]]; then
      chroot "$root" systemctl disable -q "$svc.service" 2>/dev/null || true
    fi
  done
  # The serial getty comes from console=ttyS0 on the kernel command line.
  # Timers that would wake up in the middle of a measurement:
  local unit
  for unit in apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer \
      fstrim.timer man-db.timer getty@tty1.service e2scrub_reap.service; do
    ln -sf /dev/null "$root/etc/systemd/system/$unit"
  done
  # Drivers udev would load for emulated hardware no test uses; under TCG
  # each costs boot time.
  printf 'blacklist %s\n' floppy pcspkr cfg80211 kvm kvm_amd kvm_intel \
    >"$root/etc/modprobe.d/zjail-vm.conf"
  # One fixed machine id: no first-boot logic at each boot.
  rm -f -- "$root/etc/machine-id" "$root/var/lib/dbus/machine-id"
  chroot "$root" systemd-machine-id-setup >/dev/null
  mkdir -p -- "$root/var/log/journal"

  install -d -- "$root/opt/zjail" "$root/usr/share/zjail/profiles" "$root/etc/zjail/profiles"

  # A small initramfs with just what mounts /dev/vda: the stock one (every
  # storage driver) costs seconds to unpack and probe under TCG.
  printf 'MODULES=list\n' >"$root/etc/initramfs-tools/conf.d/zjail-vm.conf"
  printf '%s\n' virtio_pci virtio_blk ext4 >>"$root/etc/initramfs-tools/modules"
  local kver
  for kver in "$root"/lib/modules/*; do
    chroot "$root" update-initramfs -u -k "${kver##*/}" >/dev/null 2>&1 ||
      die "update-initramfs failed for ${kver##*/}"
  done

  rm -rf -- "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*_Packages
}

build_tmp="" debootstrap_pid=""
cleanup_build() {
  if [[ -n $debootstrap_pid ]]; then
    kill -TERM -- "-$debootstrap_pid" 2>/dev/null || true
    wait "$debootstrap_pid" 2>/dev/null || true
  fi
  if [[ -n $build_tmp && -d $build_tmp ]]; then
    umount_below "$build_tmp"
    rm -rf --one-file-system -- "$build_tmp"
  fi
}

main() {
  local cmd=${1:-build}
  case $cmd in
    -h|--help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; return ;;
    build|path|prune) ;;
    *) die "unknown command '$cmd' (build, path, prune)" ;;
  esac
  local hash final
  hash=$(recipe_hash)
  final=$cache/$hash
  case $cmd in
    path) printf '%s\n' "$final"; return ;;
    prune)
      local d
      for d in "$cache"/*/; do
        d=${d%/}
        [[ -d $d && $d != "$final" && ${d##*/} =~ ^[0-9a-f]{64}$ ]] || continue
        log "removing $d"; rm -rf --one-file-system -- "$d"
      done
      for d in "$cache"/.lock-*; do
        [[ -f $d && $d != "$cache/.lock-$hash" ]] && rm -f -- "$d"
      done
      return ;;
  esac

  if [[ -f $final/rootfs.img ]]; then
    printf '%s\n' "$final"; return
  fi
  [[ $(id -u) == 0 ]] || die "building the image needs root (debootstrap, chroot)"
  local tool
  for tool in debootstrap mkfs.ext4 ssh-keygen chroot; do
    command -v "$tool" >/dev/null || die "missing tool: $tool"
  done
  mkdir -p -- "$cache"
  chmod 0700 -- "$cache"
  # One builder per recipe; the others wait and then find the entry.
  exec {lock}>"$cache/.lock-$hash"
  if ! flock -n "$lock"; then
    log "another build of image $hash is running; waiting for it"
    flock "$lock"
  fi
  if [[ -f $final/rootfs.img ]]; then
    printf '%s\n' "$final"; return
  fi
  # Leftovers of interrupted builds of this recipe.
  local old
  for old in "$cache/.build-$hash".*; do
    [[ -d $old ]] || continue
    umount_below "$old"; rm -rf --one-file-system -- "$old"
  done
  build_tmp=$(mktemp -d -- "$cache/.build-$hash.XXXXXX")
  trap cleanup_build EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  build "$hash" "$final" "$build_tmp"
  build_tmp=""
  printf '%s\n' "$final"
}

main "$@"
