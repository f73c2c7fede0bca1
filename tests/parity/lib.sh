#!/bin/bash
# Helpers shared by guest.sh (in the VM) and host_test.sh (on this host),
# sourced: how a case file reads, which paths it names, and the profile that
# runs its lines under zjail. Bash builtins only: in the VM every process
# costs tens of milliseconds.

# Reads cases/NAME.conf into CASE_MARK (the word after "# zjail:") and
# CASE_LINES (the [Service] lines, one per line).
parity_read_case() {
  local line
  CASE_MARK=no CASE_LINES=""
  while IFS= read -r line; do
    [[ $line =~ ^#\ zjail:\ *([a-z]+) ]] && CASE_MARK=${BASH_REMATCH[1]}
    [[ $line =~ ^[[:space:]]*(#|$) ]] || CASE_LINES+="$line"$'\n'
  done <"$1"
}

# The absolute paths the lines' values name (bind sources and targets,
# ReadWritePaths=, credentials' files...), space-separated: observe reports
# on them too. Words with specifiers or variables are left out.
parity_paths() {
  local line w paths=" "
  local -
  set -f
  while IFS= read -r line; do
    line=${line#*=}
    for w in ${line//:/ }; do
      w=${w#"${w%%[!+~!-]*}"}
      [[ $w == /* && $w != *[%\$\"\']* ]] || continue
      while [[ $w == */ && $w != / ]]; do w=${w%/}; done
      [[ $paths == *" $w "* ]] || paths+="$w "
    done
  done <<<"$1"
  paths=${paths# }
  printf '%s' "${paths% }"
}

# Whether the lines name the user (User=, DynamicUser=yes); a case that
# does not runs as nobody on both sides.
parity_names_user() {
  [[ $'\n'$1 =~ $'\n'(User=[^$'\n']|DynamicUser=(yes|true|on|1)$'\n') ]]
}

# The zjail profile of a case: RootDirectory=/ and its lines (but
# RuntimeDirectoryPreserve=, which the runner adds to image units for its
# own sake).
parity_profile() {
  local name=$1 lines=$2 user=$3
  printf '[Jail]\nDescription=zjail parity %s\nRootDirectory=/\n' "$name"
  [[ -n $user ]] && printf 'User=%s\n' "$user"
  printf '%s' "${lines//$'RuntimeDirectoryPreserve=yes\n'/}"
}
