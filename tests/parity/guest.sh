#!/bin/bash
# The parity runner inside the VM (tests/system/t-parity.sh streams it in
# and runs it as root). For each case of cases/*.conf, and for each unit of
# the image whose [Service] section has sandboxing lines (directives.txt),
# observe runs twice under systemd, as parity-NAME.service:
#   native  the unit carries the case's lines itself;
#   zjail   the unit runs zjail with the profile parity-NAME: RootDirectory=/
#           plus the same lines. Only for cases marked "# zjail: yes" and
#           image units whose lines zjail accepts; the others get a .skip
#           file saying why.
# Both sides run as the same user (the case's User=, else nobody; an image
# unit's own) from a unit of the same name, one pass after the other.
#
#   guest.sh IN OUT ZJAIL OBSERVE
#
# IN holds cases/, directives.txt, lib.sh and fixture.sh. For each case NAME, OUT
# gets NAME.kind (case|unit), NAME.mark, NAME.lines, NAME.native and NAME.native.status
# (the unit's Result and ExecMainStatus), NAME.native.err, NAME.ignored
# (systemd's warnings about lines it ignores, e.g. a directive newer than
# this systemd), and NAME.zjail, NAME.zjail.status, NAME.zjail.err or
# NAME.skip; and times.txt. Progress goes to stderr.
#
# Under TCG every process costs tens of milliseconds, so this script works
# with bash builtins and one awk where it can.
set -euo pipefail

in=$1 out=$2 zjail=$3
# The probe goes where units' ExecPaths= lines allow running programs
# (redis-server.service: ExecPaths=/usr/bin/redis-server /usr/lib /lib).
readonly observe=/usr/lib/zjail-parity/observe
install -D -m 0755 -- "$4" "$observe"
readonly in out zjail
readonly units_dir=/run/systemd/system profiles_dir=/etc/zjail/profiles
# Units started at once: each is mostly forks and waits; two vCPUs.
readonly batch=${PARITY_BATCH:-8}

log() { printf 'guest: %s\n' "$*" >&2; }

# shellcheck source=lib.sh
source "$in/lib.sh"

declare -A kind_of
while read -r name kind _; do
  [[ -z $name || $name == \#* ]] && continue
  kind_of[$name]=$kind
done <"$in/directives.txt"

mkdir -p -- "$out" "$profiles_dir"
names=()
declare -A KIND MARK LINES PATHS USER_SET

cleanup() {
  rm -f -- "$units_dir"/parity-*.service "$profiles_dir"/parity-*.profile
  rm -rf -- "${observe%/*}"
  systemctl daemon-reload || true
  systemctl reset-failed 'parity-*' 2>/dev/null || true
  bash "$in/fixture.sh" remove || true
}
trap cleanup EXIT

# Records a case: its kind, mark, lines, the paths they name and whether
# they name the user.
add_case() {
  local name=$1 kind=$2 mark=$3 lines=$4
  names+=("$name")
  KIND[$name]=$kind MARK[$name]=$mark LINES[$name]=$lines
  PATHS[$name]=$(parity_paths "$lines")
  USER_SET[$name]=0
  parity_names_user "$lines" && USER_SET[$name]=1
  printf '%s' "$lines" >"$out/$name.lines"
  echo "$kind" >"$out/$name.kind"
  echo "$mark" >"$out/$name.mark"
}

# Every unit's [Service] lines (its file, then its drop-ins) whose directive
# directives.txt lists, continuations joined, as "UNIT<tab>LINE", for the
# units with a line of a kind other than identity, process and environment.
scan_units() {
  local f g d base kinds="" files=()
  for f in /usr/lib/systemd/system/*.service; do
    [[ -L $f ]] && continue  # aliases: dbus-org.freedesktop.*, udev.service
    base=${f##*/}
    base=${base%.service}
    [[ $base == *@ || $base == parity-* ]] && continue  # templates run as instances
    [[ -f /etc/systemd/system/$base.service && ! -L /etc/systemd/system/$base.service ]] &&
      f=/etc/systemd/system/$base.service
    files+=("$f")
    for d in /usr/lib/systemd/system /run/systemd/system /etc/systemd/system; do
      for g in "$d/$base.service.d"/*.conf; do [[ -f $g ]] && files+=("$g"); done
    done
  done
  for d in "${!kind_of[@]}"; do kinds+="$d=${kind_of[$d]} "; done
  awk -v kinds="$kinds" '
    BEGIN { n = split(kinds, k, " "); for (i = 1; i <= n; i++) { split(k[i], kv, "="); kind[kv[1]] = kv[2] } }
    FNR == 1 {
      unit = FILENAME; sub(/\.service(\.d\/.*)?$/, "", unit); sub(/.*\//, "", unit)
      if (!(unit in seen)) { seen[unit] = 1; order[++units] = unit }
      sect = ""; cont = ""
    }
    { sub(/\r$/, "") }
    cont != "" { $0 = cont " " $0; cont = "" }
    /\\$/ { cont = substr($0, 1, length($0) - 1); next }
    /^[[:space:]]*[#;]/ || /^[[:space:]]*$/ { next }
    /^\[/ { sect = $0; next }
    sect == "[Service]" {
      line = $0; sub(/^[[:space:]]+/, "", line)
      key = line; sub(/[[:space:]]*=.*/, "", key)
      if (!(key in kind)) next
      sub(/[[:space:]]*=[[:space:]]*/, "=", line)
      lines[unit] = lines[unit] line "\n"
      if (kind[key] != "identity" && kind[key] != "process" && kind[key] != "environment") sandboxed[unit] = 1
    }
    END {
      for (i = 1; i <= units; i++) {
        u = order[i]
        if (!(u in sandboxed)) continue
        m = split(lines[u], l, "\n")
        for (j = 1; j < m; j++) print u "\t" l[j]
      }
    }' "${files[@]}"
}

# --- The cases ----------------------------------------------------------------
t0=$SECONDS
for f in "$in"/cases/*.conf; do
  name=${f##*/}
  parity_read_case "$f"
  add_case "${name%.conf}" case "$CASE_MARK" "$CASE_LINES"
done
ncases=${#names[@]}
declare -A unit_lines
unit_order=()
while IFS=$'\t' read -r base line; do
  [[ -v unit_lines[$base] ]] || unit_order+=("$base")
  unit_lines[$base]+="$line"$'\n'
done < <(scan_units)
for base in "${unit_order[@]}"; do
  lines=${unit_lines[$base]}
  # Never remove a real daemon's runtime directory when its case stops.
  [[ $lines == *$'\n'RuntimeDirectory=* || $lines == RuntimeDirectory=* ]] && lines+=$'RuntimeDirectoryPreserve=yes\n'
  add_case "unit-$base" unit auto "$lines"
done
log "$ncases cases and ${#unit_order[@]} units of the image with sandboxing lines ($((SECONDS - t0)) s to read)"

bash "$in/fixture.sh" create
# One run as root first: socket() of a rarer family autoloads its modules
# (vsock brings /dev/vmci, /dev/vhost-vsock), which would otherwise change
# /dev and af.* for the cases that run after the first to trigger it.
"$observe" >/dev/null 2>&1 || true

# --- Units and profiles ------------------------------------------------------------
# The user both sides run as when a case names none; an image unit without
# User= runs as root (and has no zjail side).
user_line() {
  [[ ${KIND[$1]} == case && ${USER_SET[$1]} == 0 ]] && printf 'User=nobody\n'
  return 0
}

write_native() {
  local name=$1
  {
    printf '[Unit]\nDescription=zjail parity %s (native)\n[Service]\nType=oneshot\n' "$name"
    printf 'StandardOutput=truncate:%s\nStandardError=truncate:%s\n' "$out/$name.native" "$out/$name.native.err"
    printf 'ExecStart=%s %s\n' "$observe" "${PATHS[$name]}"
    user_line "$name"
    printf '%s' "${LINES[$name]}"
  } >"$units_dir/parity-$name.service"
}

write_profile() {
  local name=$1 user=""
  [[ ${KIND[$name]} == case && ${USER_SET[$name]} == 0 ]] && user=nobody
  parity_profile "$name" "${LINES[$name]}" "$user" >"$profiles_dir/parity-$name.profile"
}

write_zjail() {
  local name=$1
  {
    printf '[Unit]\nDescription=zjail parity %s (zjail)\n[Service]\nType=oneshot\n' "$name"
    printf 'StandardOutput=truncate:%s\nStandardError=truncate:%s\n' "$out/$name.zjail" "$out/$name.zjail.err"
    printf 'ExecStart=%s --profile parity-%s -- %s %s\n' "$zjail" "$name" "$observe" "${PATHS[$name]}"
  } >"$units_dir/parity-$name.service"
}

# Starts the units in batches (systemctl start waits for oneshots) and
# writes NAME.SIDE.status: the unit's Result and ExecMainStatus.
run_units() {
  local side=$1 i b0 n
  shift
  local list=("$@") units=()
  for ((i = 0; i < ${#list[@]}; i += batch)); do
    units=()
    for n in "${list[@]:i:batch}"; do units+=("parity-$n.service"); done
    b0=$SECONDS
    timeout 300 systemctl start -- "${units[@]}" 2>/dev/null || true
    ((SECONDS - b0 < 10)) || log "slow batch ($((SECONDS - b0)) s): ${list[*]:i:batch}"
  done
  units=()
  for n in "${list[@]}"; do units+=("parity-$n.service"); done
  # A oneshot that succeeded is unloaded at once (its properties read as the
  # defaults, "success 0"); a failed one stays loaded with its result. The
  # report itself is what t-parity.sh checks first.
  systemctl show -p Id -p Result -p ExecMainStatus -- "${units[@]}" | awk -v out="$out" -v side="$side" '
    function flush() { if (id != "") print result, status > (out "/" id "." side ".status"); id = "" }
    /^Id=/ { id = substr($0, 4); sub(/^parity-/, "", id); sub(/\.service$/, "", id) }
    /^Result=/ { result = substr($0, 8) }
    /^ExecMainStatus=/ { status = substr($0, 16) }
    /^$/ { flush() }
    END { flush() }'
}

# The directories a case's *Directory= lines made, so that the zjail side
# starts from the state the native one did. Cases' own names only (parity-*):
# an image unit's directories are its daemon's.
remove_case_dirs() {
  local name line w
  for name in "${names[@]}"; do
    [[ ${KIND[$name]} == case ]] || continue
    while IFS= read -r line; do
      [[ $line =~ ^(State|Runtime|Cache|Logs|Configuration)Directory=(.*)$ ]] || continue
      for w in ${BASH_REMATCH[2]}; do
        [[ $w == parity-* && $w != */* ]] || continue
        rm -rf -- "/var/lib/$w" "/var/lib/private/$w" "/run/$w" "/var/cache/$w" "/var/cache/private/$w" \
          "/var/log/$w" "/var/log/private/$w" "/etc/$w"
      done
    done <<<"${LINES[$name]}"
  done
}

# --- Native pass -----------------------------------------------------------------
t0=$SECONDS
for name in "${names[@]}"; do write_native "$name"; done
cursor=$(journalctl -q -n 0 --show-cursor | sed -n 's/^-- cursor: //p')
systemctl daemon-reload
run_units native "${names[@]}"
# systemd says which lines it ignores ("Unknown key ..., ignoring", "Failed
# to parse ..., ignoring") as it loads a unit: a directive newer than this
# systemd leaves the native report without it.
journalctl --sync 2>/dev/null || true
journalctl -q -o cat --no-pager --cursor="$cursor" _PID=1 2>/dev/null |
  sed -n 's|^'"$units_dir"'/parity-\([^ ]*\)\.service:\([0-9]*\): \(.*ignoring.*\)$|\1 line \2: \3|p' | sort -u |
  while read -r name rest; do printf '%s\n' "$rest" >>"$out/$name.ignored"; done
native_s=$((SECONDS - t0))
log "native pass: ${#names[@]} units in ${native_s} s"
systemctl reset-failed 'parity-*' 2>/dev/null || true
remove_case_dirs

# --- zjail pass --------------------------------------------------------------------
t0=$SECONDS
jailed=()
for name in "${names[@]}"; do
  if [[ ${KIND[$name]} == unit && ${USER_SET[$name]} == 0 ]]; then
    echo "runs as root, and zjail never runs a payload as root (User=root is refused)" >"$out/$name.skip"
    continue
  fi
  case ${MARK[$name]} in
    yes | gap)  # gap: supported, with a known gap t-parity.sh reports
      write_profile "$name"
      jailed+=("$name") ;;
    auto)
      write_profile "$name"
      # A directive zjail accepts but does not enforce yet is a warning for
      # --check and refuses the launch: the unit's zjail side is skipped.
      if check=$("$zjail" --profile "parity-$name" --check 2>&1) &&
        ! grep -q 'a launch with this profile exits 125' <<<"$check"; then
        jailed+=("$name")
      else
        printf 'zjail refuses its lines: %s\n' "${check%%$'\n'*}" >"$out/$name.skip"
      fi ;;
    # t-parity.sh asks zjail which line it lacks (on the host: faster).
    *) echo "marked '# zjail: no'" >"$out/$name.skip" ;;
  esac
done
for name in "${jailed[@]}"; do write_zjail "$name"; done
systemctl daemon-reload
((${#jailed[@]} == 0)) || run_units zjail "${jailed[@]}"
zjail_s=$((SECONDS - t0))
log "zjail pass: ${#jailed[@]} units in ${zjail_s} s"
remove_case_dirs
printf 'native %s s (%s units), zjail %s s (%s units)\n' "$native_s" "${#names[@]}" "$zjail_s" "${#jailed[@]}" \
  >"$out/times.txt"
