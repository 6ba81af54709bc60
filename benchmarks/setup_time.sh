#!/usr/bin/env bash
# How long a generated project's environment takes to build: `make setup` (uv) from an empty and from a warm uv
# cache, against pip into a fresh venv from an empty and a warm pip cache. Run from the template repo's root after
# `make setup`: benchmarks/setup_time.sh [VARIANT]. Prints one line per way; each build is removed after it.
# Needs about 7 GB of free disk and the network to PyPI; machines are noisy: run it on a quiet one.
set -euo pipefail
variant=${1:-image_classifier}
root=$(pwd)
work=$(mktemp -d /tmp/setup-time.XXXX)
trap 'rm -rf "$work"' EXIT
export PATH=$root/.venv/bin:$PATH  # copier and uv from the template's environment

render() {  # a fresh rendering, so every way starts with no .venv and no uv.lock
  rm -rf "$work/p"
  copier copy --quiet --defaults --vcs-ref HEAD -d variant="$variant" "$root" "$work/p" >/dev/null 2>&1
}
timed() {  # timed LABEL COMMAND...: run in the rendering, print the wall time
  local start=$SECONDS
  (cd "$work/p" && "${@:2}") >"$work/log" 2>&1 || { echo "$1: failed"; tail -5 "$work/log"; return 1; }
  printf '%-34s %4d s\n' "$1" $((SECONDS - start))
}

render; UV_CACHE_DIR=$work/uv-cache timed "uv, empty cache (make setup)" make setup
render; UV_CACHE_DIR=$work/uv-cache timed "uv, warm cache (make setup)" make setup
rm -rf "$work/uv-cache"
pip_install() {
  python3 -m venv .venv && .venv/bin/python -m pip install -q --upgrade "pip>=25.1" \
    && .venv/bin/python -m pip install -q -e . --group train --group dev "$@"
}
render; PIP_CACHE_DIR=$work/pip-cache timed "pip, empty cache (fresh venv)" pip_install
render; PIP_CACHE_DIR=$work/pip-cache timed "pip, warm cache (fresh venv)" pip_install
