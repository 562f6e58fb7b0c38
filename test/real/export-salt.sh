#!/usr/bin/env bash
# Export Salt release trees from a bare git mirror for the real-master harness (test/real/).
#
#   test/real/export-salt.sh [GIT_DIR] [DEST]
#
# GIT_DIR defaults to $SALT_GIT_DIR or /work/.mirror/charzl+salt/repo, DEST to /tmp/salt-src.
# Each release lands in DEST/<version>/. Only what running Salt from source needs is exported
# (salt/, scripts/, requirements/, setup.py, CHANGELOG.md): the mirror lacks a few large blobs
# (docs, Windows test DLLs, CI logs), so a whole-tree `git archive` fails. CHANGELOG.md is kept
# because its first `## <version> (<date>)` heading is how the harness learns the release.
# Salt code never goes into this repository.
set -euo pipefail

GIT_DIR=${1:-${SALT_GIT_DIR:-/work/.mirror/charzl+salt/repo}}
DEST=${2:-/tmp/salt-src}

RELEASES=(
  3006.16:b539903a80
  3006.27:aa26e0b44b
  3007.14:8de1d11a80
  3008.2:25f141f0cc
)

for release in "${RELEASES[@]}"; do
  version=${release%%:*}
  commit=${release##*:}
  target="$DEST/$version"
  if [[ -f "$target/salt/version.py" ]]; then
    echo "$version: already at $target"
    continue
  fi
  mkdir -p "$target"
  # git archive reports missing blobs outside the pathspec on stderr but still exits 0.
  git --git-dir="$GIT_DIR" archive "$commit" -- salt scripts requirements setup.py CHANGELOG.md 2>/dev/null \
    | tar -x -C "$target"
  echo "$version: exported $commit to $target"
done
