#!/usr/bin/env bash
# Runs the escape battery's static binary with the given arguments (see
# README.md), wherever it is: $ZJAIL_BATTERY, next to this script, or in the
# build tree. The binary is self-contained, so it can be copied into a VM or
# a jail and run there directly as well.
#
#   tests/escape/battery.sh --profile-expect ssh-restricted [TARGETS]
#   tests/escape/battery.sh host-setup --uid 1000      # as root, on the host
#   tests/escape/battery.sh --path                     # where the binary is
#   tests/escape/battery.sh --install DIR              # copy it to DIR/zjail-escape-battery
#                                                      # (in the VM: /usr/lib/zjail-escape)
set -euo pipefail

here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
bin=${ZJAIL_BATTERY:-}
for candidate in "$here/battery" "${ZJAIL_BUILD_DIR:-$here/../../build}/tests/escape/battery"; do
  [[ -n $bin ]] && break
  [[ -f $candidate && -x $candidate ]] && bin=$candidate
done
if [[ -z $bin ]]; then
  echo "battery.sh: no battery binary; build it (cmake --build build --target zjail_escape_battery)" \
       "or set ZJAIL_BATTERY" >&2
  exit 2
fi

case ${1:-} in
  --path) echo "$bin" ;;
  --install)
    install -D -m 0755 "$bin" "${2:?--install needs a directory}/zjail-escape-battery"
    echo "${2}/zjail-escape-battery"
    ;;
  *) exec "$bin" "$@" ;;
esac
