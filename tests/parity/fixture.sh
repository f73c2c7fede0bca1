#!/bin/bash
# The files the parity cases point at, made the same way in the VM
# (guest.sh) and on this host (host_test.sh):
#
#   fixture.sh create | remove
#
#   /srv/zjail-parity/{rw,ro,hidden}   directories of nobody's (ReadWritePaths=,
#                                      ReadOnlyPaths=, InaccessiblePaths=, binds)
#   /srv/zjail-parity/hidden/file      something to hide
#   /srv/zjail-parity/exec/run         an executable (ExecPaths=, NoExecPaths=)
#   /srv/zjail-parity/cred             a root-only file for LoadCredential=
#   /srv/zjail-parity/cred.sealed      the same, sealed by systemd-creds under
#                                      the name parity-sealed with the host key
#                                      ($SYSTEMD_CREDENTIAL_SECRET, if set)
#   /srv/zjail-parity/bind/{rw,ro,missing}  bind targets, made beforehand so
#                                      that no case adds a mount point that
#                                      a later one would see
#   /home/zjail-parity                 a home of nobody's (ProtectHome=)
#   /tmp/zjail-parity-marker, /var/tmp/zjail-parity-marker  (PrivateTmp=)
#   SysV shared memory key 0x7a6a7061  (PrivateIPC=; needs perl)
set -euo pipefail

readonly root=/srv/zjail-parity
readonly key=0x7a6a7061

remove() {
  rm -rf -- "$root" /home/zjail-parity /tmp/zjail-parity-marker /var/tmp/zjail-parity-marker
  if command -v perl >/dev/null; then
    perl -e 'my $id = shmget(hex($ARGV[0]), 0, 0); shmctl($id, 0, 0) if defined $id' "$key"
  fi
}

case ${1:-} in
  create)
    remove
    nobody_group=$(id -gn nobody)
    install -d -m 0755 "$root" "$root/exec" "$root/bind" "$root/bind/rw" "$root/bind/ro" "$root/bind/missing"
    install -d -m 0755 -o nobody -g "$nobody_group" "$root/rw" "$root/ro" "$root/hidden" /home/zjail-parity
    printf 'hidden\n' >"$root/hidden/file"
    printf '#!/bin/sh\nexit 0\n' >"$root/exec/run"
    chmod 0755 "$root/exec/run"
    install -m 0600 /dev/null "$root/cred"
    printf 'parity-credential\n' >"$root/cred"
    if [[ -x /usr/bin/systemd-creds ]]; then
      /usr/bin/systemd-creds encrypt -H --name=parity-sealed "$root/cred" "$root/cred.sealed" 2>/dev/null
    fi
    printf 'marker\n' >/tmp/zjail-parity-marker
    printf 'marker\n' >/var/tmp/zjail-parity-marker
    if command -v perl >/dev/null; then
      perl -e 'defined shmget(hex($ARGV[0]), 4096, 01644) or die "shmget: $!\n"' "$key"
    fi
    ;;
  remove) remove ;;
  *) printf 'usage: fixture.sh create|remove\n' >&2; exit 2 ;;
esac
