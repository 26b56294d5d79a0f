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

# The Linux desktop integration travels inside the bundle, so an unpacked release installs itself.
cp packaging/linux/install.sh packaging/linux/uninstall.sh packaging/linux/lampdesk.desktop "$bundle/"
cp resources/icons/lampdesk.svg "$bundle/lampdesk.svg"

version=$("$VENV/bin/python" -c 'import lampdesk; print(lampdesk.__version__)')
os_name=$(uname -s | tr '[:upper:]' '[:lower:]')
archive="dist/LampDesk-$version-$os_name-$(uname -m).tar.gz"
tar -C dist -czf "$archive" LampDesk
finished=$(date +%s)

echo "== built in $((finished - started)) s"
echo "bundle:  $bundle ($(du -sh "$bundle" | cut -f1))"
echo "archive: $archive ($(du -sh "$archive" | cut -f1))"
echo "largest parts of $bundle/_internal:"
# awk reads the whole list (a `head` here would end `sort` with SIGPIPE under pipefail)
du -s --block-size=1M "$bundle"/_internal/* | sort -rn |
    awk 'NR <= 10 { printf "  %6d MB  %s\n", $1, $2 }'
