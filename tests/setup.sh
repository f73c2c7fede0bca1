#!/usr/bin/env bash
# Installs what zjail needs on Debian 12 and builds it (Release, -Werror).
#
#   bash tests/setup.sh
#
# Idempotent: packages already installed are not touched, apt-get update runs
# only when something is missing, and the build is incremental. Quiet unless
# something fails, in which case the relevant log is printed.
#
# ZJAIL_BUILD_DIR chooses the build directory (default: <repo>/build).
set -euo pipefail

repo=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
build=${ZJAIL_BUILD_DIR:-$repo/build}

packages=(
  # build
  cmake make g++ pkg-config
  libsystemd-dev libcap-dev libseccomp-dev libpam0g-dev
  libspdlog-dev libcli11-dev libgtest-dev
  # zjail export's JSON (header-only: docs/fleet.md)
  nlohmann-json3-dev
  # networking's netlink libraries (loaded on demand: docs/network.md),
  # user-mode networking, and its tests' tools (nft, iperf3)
  libmnl-dev libnftnl-dev passt nftables iperf3
  # tests and benchmarks
  bubblewrap firejail hyperfine iproute2 util-linux procps valgrind
  # export's oracles: the OCI runtime, and YAML for the Kubernetes manifests
  crun python3-yaml
  # daemons that tests/root's OCI test runs under crun from their exported
  # profiles, with their own clients (policy-rc.d below keeps them stopped)
  memcached redis-server redis-tools mosquitto mosquitto-clients
  # the fuzz targets (tests/fuzz)
  clang libclang-rt-dev
  # a compiler cache shared by every build and clone (tests/ccache.sh)
  ccache
  # man pages, bash completion and the Debian package (packaging/)
  scdoc bash-completion debhelper dpkg-dev fakeroot lintian
  # the system tier's VM (tests/system)
  qemu-system-x86 qemu-utils debootstrap openssh-client
  # pam_zjail's tests (tests/ssh): a real sshd and PAM stack, and the
  # privilege-gain targets (sudo, su, setcap)
  openssh-server openssh-sftp-server pamtester sudo libcap2-bin
)

log=$(mktemp "${TMPDIR:-/tmp}/zjail-setup.XXXXXX")
trap 'rm -f -- "$log"' EXIT

fail() {
  echo "setup: $1 failed; last lines of its log:" >&2
  tail -n 100 -- "$log" >&2
  exit 1
}

missing=()
for p in "${packages[@]}"; do
  if [[ $(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null) != installed ]]; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  if ((EUID != 0)); then
    echo "setup: missing packages: ${missing[*]}; run as root to install them" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt_install() {
    apt-get install -y -qq --no-install-recommends -o Dpkg::Use-Pty=0 "${missing[@]}" \
      >>"$log" 2>&1
  }
  echo "setup: installing ${missing[*]}"
  # Refresh the package lists first only if there are none (a fresh machine);
  # otherwise try with what we have and refresh once if that fails.
  if ! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null; then
    apt-get update -qq >>"$log" 2>&1 || fail "apt-get update"
  fi
  # Installing openssh-server must not start an sshd on this machine: the
  # tests run their own on a loopback port. policy-rc.d forbids service starts
  # for the duration of the install.
  policy=/usr/sbin/policy-rc.d
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 0755 "$policy"
    trap 'rm -f -- "$log" "$policy"' EXIT
  fi
  if ! apt_install; then
    apt-get update -qq >>"$log" 2>&1 || fail "apt-get update"
    apt_install || fail "apt-get install"
  fi
fi

# shellcheck source=tests/ccache.sh
source "$repo/tests/ccache.sh"
cmake -S "$repo" -B "$build" -DCMAKE_BUILD_TYPE=Release -DZJAIL_WERROR=ON \
  >"$log" 2>&1 || fail "cmake configure"
jobs=$(nproc 2>/dev/null || echo 2)
cmake --build "$build" -j "$jobs" >"$log" 2>&1 || fail "build"
echo "setup: built zjail in $build"
