#!/usr/bin/env bash
# LampDesk's one entry point for people and CI.
#   scripts/dev.sh app    set up (first time only) and open the LampDesk window
#   scripts/dev.sh test   set up (first time only) and run lint, types and the whole test suite
#   scripts/dev.sh setup  only set up .venv (scripts/build_bundle.sh uses it)
# Any further arguments go to `lampdesk` or to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${LAMPDESK_VENV:-.venv}
STAMP="$VENV/.lampdesk-installed"

find_python() {
    for candidate in "${PYTHON:-}" python3.11 python3.12 python3.13 python3; do
        [ -n "$candidate" ] || continue
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            echo "$candidate"
            return
        fi
    done
    echo "LampDesk needs Python 3.11 or newer (set PYTHON=/path/to/python3.11)." >&2
    exit 1
}

setup() {
    local want
    want=$(sha256sum pyproject.toml | cut -d' ' -f1)
    if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ]; then
        return
    fi
    [ -x "$VENV/bin/python" ] || "$(find_python)" -m venv "$VENV"
    echo "Setting up $VENV (the first time, pip builds llama.cpp: about 6 minutes on 2 cores)..." >&2
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
    # Pinned first: this takes the CPU build; an unpinned torch pulls a multi-GB CUDA build.
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check torch==2.13.0
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e ".[test]"
    echo "$want" >"$STAMP"
}

run_tests() {
    export HF_HUB_OFFLINE=1 QT_QPA_PLATFORM=offscreen
    echo "== ruff" && "$VENV/bin/ruff" check lampdesk tests resources
    "$VENV/bin/ruff" format --check lampdesk tests resources
    echo "== mypy" && "$VENV/bin/mypy"
    echo "== pytest"
    local rc=0
    "$VENV/bin/python" -m pytest "$@" || rc=$?
    if [ "$rc" -eq 5 ]; then
        echo "pytest collected no tests: that is a failure, not a pass." >&2
        return 1
    fi
    return "$rc"
}

# Qt's xcb platform plugin needs these system libraries for a real window on X11.
QT_XCB_LIBS="libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0
libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-xkb1 libxkbcommon-x11-0 libegl1"

check_desktop_libs() {
    command -v ldconfig >/dev/null 2>&1 || return 0
    ldconfig -p 2>/dev/null | grep "libxcb-cursor.so.0" >/dev/null && return 0
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "Installing the libraries Qt needs for a window..." >&2
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $QT_XCB_LIBS >/dev/null
    else
        echo "Qt may need: sudo apt-get install" $QT_XCB_LIBS >&2
    fi
}

case "${1:-}" in
setup)
    setup
    ;;
app)
    shift
    setup
    check_desktop_libs
    exec "$VENV/bin/lampdesk" "$@"
    ;;
test)
    shift
    setup
    run_tests "$@"
    ;;
*)
    echo "usage: scripts/dev.sh app|test|setup [args...]" >&2
    exit 2
    ;;
esac
