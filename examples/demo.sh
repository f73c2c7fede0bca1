#!/usr/bin/env bash
# The jailed echo demo, end to end:
#   1. installs what is needed and builds (tests/setup.sh);
#   2. starts `zjail --profile echo echo`: zjail binds port 7 on the host and
#      hands the socket to the echo server, which runs as nobody with no
#      capabilities, under seccomp, in its own namespaces;
#   3. does a client round trip on port 7;
#   4. prints what the server saw of itself from inside the jail and checks it;
#   5. stops zjail with SIGTERM and checks that it exits 0.
# Exits non-zero with a message saying what went wrong.
#
# ZJAIL_BUILD_DIR chooses the build directory (default: <repo>/build).
set -euo pipefail

repo=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
build=${ZJAIL_BUILD_DIR:-$repo/build}
zjail=$build/jail/zjail
server=$build/examples/echo/echo
port=7

work=$(mktemp -d "${TMPDIR:-/tmp}/zjail-demo.XXXXXX")
zjail_pid=

cleanup() {
  if [[ -n $zjail_pid ]] && kill -0 "$zjail_pid" 2>/dev/null; then
    kill -KILL "$zjail_pid" 2>/dev/null || true
    wait "$zjail_pid" 2>/dev/null || true
  fi
  rm -rf -- "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

fail() {
  echo "demo: FAILED: $1" >&2
  if [[ -s $work/stderr ]]; then
    echo "demo: zjail's stderr:" >&2
    sed 's/^/  | /' -- "$work/stderr" >&2
  fi
  exit 1
}

# A value from the payload's "key: value" self-report.
reported() {
  sed -n "s/^$1: //p" -- "$work/stdout" | head -n 1
}

bash "$repo/tests/setup.sh"
[[ -x $zjail ]] || fail "$zjail was not built"
[[ -x $server ]] || fail "$server was not built"

if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
  fail "something on this host already listens on port $port"
fi

echo "demo: starting: zjail --profile echo $server"
ZJAIL_PROFILE_PATH=$repo/profiles "$zjail" --profile echo "$server" \
  >"$work/stdout" 2>"$work/stderr" </dev/null &
zjail_pid=$!

# zjail binds the port before it builds the jail, so a connection succeeds as
# soon as it is up; the server answers once it runs.
for ((i = 0; ; i++)); do
  kill -0 "$zjail_pid" 2>/dev/null || fail "zjail exited before port $port was up"
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  ((i < 100)) || fail "port $port not up after 10 s"
  sleep 0.1
done

message="hello from the host, pid $$"
exec {conn}<>"/dev/tcp/127.0.0.1/$port" || fail "cannot connect to port $port"
printf '%s\n' "$message" >&"$conn"
reply=
read -r -t 10 -u "$conn" reply || fail "no reply from the echo server within 10 s"
exec {conn}>&-
[[ $reply == "$message" ]] || fail "echo replied '$reply' instead of '$message'"
echo "demo: round trip on port $port: sent and received '$message'"

# The report is printed (and flushed) before the server accepts anything.
[[ -n $(reported listening) ]] || fail "the server did not report itself"
echo "demo: what the server sees from inside the jail:"
sed 's/^/  | /' -- "$work/stdout"

# What the profile promised, as seen from inside.
check() {
  local key=$1 want=$2 got
  got=$(reported "$key")
  [[ $got == "$want" ]] || fail "inside the jail $key is '$got', expected '$want'"
}
check pid 2                      # PID 1 is zjail's init: its own PID namespace
check hostname echo              # Hostname=echo in its own UTS namespace
check uid "$(id -u nobody)"      # User=nobody
check CapEff 0000000000000000    # no capabilities at all
check CapPrm 0000000000000000
check CapBnd 0000000000000000
check CapAmb 0000000000000000
check NoNewPrivs 1
check Seccomp 2                  # a seccomp filter is installed
check listening "1 socket(s) passed from fd 3"

kill -TERM "$zjail_pid"
for ((i = 0; i < 100; i++)); do
  kill -0 "$zjail_pid" 2>/dev/null || break
  sleep 0.1
done
kill -0 "$zjail_pid" 2>/dev/null && fail "zjail still running 10 s after SIGTERM"
status=0
wait "$zjail_pid" || status=$?
zjail_pid=
((status == 0)) || fail "zjail exited with status $status after SIGTERM, expected 0"
echo "demo: SIGTERM reached the server through zjail; zjail exited 0"
echo "demo: OK"
