#!/usr/bin/env bash
# Builds the Debian package from this source tree and checks it with lintian.
#
#   packaging/build-deb.sh [OUTDIR]
#
# dpkg-buildpackage wants debian/ at the top of the source tree, and zjail
# keeps it in packaging/debian: the tracked and untracked-but-not-ignored files
# of the tree (never build directories) are copied to a scratch directory,
# packaging/debian becomes its debian/, and the binary package is built there
# (`dpkg-buildpackage -us -uc -b`). The .deb, .buildinfo, .changes and the
# lintian report land in OUTDIR (default <repo>/build/deb); the last line
# printed is the path of the .deb.
#
# Exits 1 if the build fails or lintian reports any error or warning about
# zjail's .deb (overrides are in packaging/debian/zjail.lintian-overrides,
# each with a comment giving its reason). Needs debhelper, dpkg-dev, lintian and the build dependencies
# (tests/setup.sh installs them).
set -euo pipefail

repo=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
out=$(mkdir -p -- "${1:-$repo/build/deb}" && cd -- "${1:-$repo/build/deb}" && pwd)

for tool in dpkg-buildpackage dh lintian; do
  command -v "$tool" >/dev/null || { echo "build-deb: $tool is missing (bash tests/setup.sh)" >&2; exit 1; }
done

# The package version is the project's.
version=$(sed -n 's/^project(zjail VERSION \([0-9.]*\).*/\1/p' "$repo/CMakeLists.txt")
deb_version=$(sed -n '1s/^zjail (\([^)]*\)).*/\1/p' "$repo/packaging/debian/changelog")
if [[ $deb_version != "$version" ]]; then
  echo "build-deb: packaging/debian/changelog says $deb_version, CMakeLists.txt $version: add a changelog entry" >&2
  exit 1
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/zjail-deb.XXXXXX")
trap 'rm -rf -- "$work"' EXIT
src=$work/zjail-$version
mkdir -p -- "$src"
if git -C "$repo" rev-parse --git-dir >/dev/null 2>&1; then
  git -C "$repo" ls-files -z --cached --others --exclude-standard |
    (cd "$repo" && xargs -0 -r sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh) |
    tar -C "$repo" --null -T - -cf - | tar -C "$src" -xf -
else
  tar -C "$repo" --exclude='./build*' --exclude=./.git -cf - . | tar -C "$src" -xf -
fi
rm -rf -- "$src/debian" "$src/build"
cp -a -- "$repo/packaging/debian" "$src/debian"

# Under tests/ccache.sh the compiler cache hashes paths relative to this
# scratch tree, whose name changes with every build.
[[ -n ${CCACHE_BASEDIR:-} ]] && export CCACHE_BASEDIR=$work
jobs=$(nproc 2>/dev/null || echo 2)
echo "build-deb: building zjail $version in $src"
if ! (cd "$src" && DEB_BUILD_OPTIONS="parallel=$jobs ${DEB_BUILD_OPTIONS:-}" \
      dpkg-buildpackage -us -uc -b >"$work/build.log" 2>&1); then
  tail -n 60 -- "$work/build.log" >&2
  cp -- "$work/build.log" "$out/build.log"
  echo "build-deb: dpkg-buildpackage failed (log: $out/build.log)" >&2
  exit 1
fi
cp -- "$work/build.log" "$out/build.log"
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
rm -f -- "$out"/zjail*_*.deb "$out"/zjail_*.buildinfo "$out"/zjail_*.changes
cp -- "$work"/zjail*_"$version"_"$arch".deb "$work"/zjail_"$version"_"$arch".{buildinfo,changes} "$out"/
deb=$out/zjail_${version}_$arch.deb

# zjail.profile(5) points to the directive reference: it must be there.
contents=$(dpkg-deb -c "$deb")
for doc in profile.md ssh.md systemd.md; do
  grep -q "\./usr/share/doc/zjail/$doc" <<<"$contents" ||
    { echo "build-deb: the package lacks /usr/share/doc/zjail/$doc" >&2; exit 1; }
done

echo "build-deb: lintian"
# Lintian prints tags as "E: pkg: tag ..." / "W: ...": any of those fails.
lintian --info --display-info "$deb" >"$out/lintian.txt" 2>&1 || true
sed 's/^/  /' -- "$out/lintian.txt"
if grep -qE '^[EW]: ' -- "$out/lintian.txt"; then
  echo "build-deb: lintian reported errors or warnings (see above)" >&2
  exit 1
fi
echo "$deb"
