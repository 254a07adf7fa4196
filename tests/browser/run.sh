#!/usr/bin/env bash
# The page's browser tests: a venv with pinned Playwright and pytest (no browser download:
# the tests drive Debian's chromium-headless-shell), then pytest on the duibiao binary.
#
#   tests/browser/run.sh [VENV]        VENV defaults to target/browser-venv
#   DUIBIAO_BIN=path/to/duibiao        the binary under test (default target/release/duibiao)
#   CHROMIUM=/usr/bin/chromium-headless-shell
#   DUIBIAO_TEST_LIBRARY=DIR           the library the tests copy and serve (default cases/)
#
# Needs apt packages chromium-headless-shell and fonts-wqy-microhei (the page is Chinese;
# without a CJK font the screenshots show boxes). Extra arguments after VENV go to pytest.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
venv="${1:-$repo/target/browser-venv}"
case "$venv" in /*) ;; *) venv="$PWD/$venv" ;; esac
shift || true

export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
# No __pycache__ in the source tree.
export PYTHONDONTWRITEBYTECODE=1
export DUIBIAO_BIN="${DUIBIAO_BIN:-$repo/target/release/duibiao}"
case "$DUIBIAO_BIN" in /*) ;; *) DUIBIAO_BIN="$PWD/$DUIBIAO_BIN" ;; esac
export CHROMIUM="${CHROMIUM:-/usr/bin/chromium-headless-shell}"
[ -x "$DUIBIAO_BIN" ] || { echo "run.sh: no duibiao binary at $DUIBIAO_BIN (cargo build --release, or set DUIBIAO_BIN)" >&2; exit 2; }
[ -x "$CHROMIUM" ] || { echo "run.sh: no browser at $CHROMIUM (apt-get install chromium-headless-shell fonts-wqy-microhei)" >&2; exit 2; }

[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check playwright==1.65.2 pytest==9.2.0

cd "$here"
exec "$venv/bin/python" -m pytest -p no:cacheprovider -q --durations=5 "$@"
