# Sourced by tests/setup.sh and tests/run-all.sh (which set $repo): every
# build of the tree (release, sanitizers, fuzz targets, the Debian package)
# compiles through ccache when it is installed. The cache outlives a clone,
# as the VM image in /var/cache/zjail-vm does, and paths are hashed relative
# to the tree (ccache's base_dir, hash_dir off), so a fresh clone elsewhere
# recompiles only what a change touched. A hit needs the same source, headers
# and flags, so it never stands in for a different build.
if command -v ccache >/dev/null; then
  export CMAKE_C_COMPILER_LAUNCHER=ccache CMAKE_CXX_COMPILER_LAUNCHER=ccache
  export CCACHE_BASEDIR=$repo CCACHE_NOHASHDIR=true
  if ((EUID == 0)); then
    export CCACHE_DIR=${CCACHE_DIR:-/var/cache/zjail-ccache}
  fi
fi
