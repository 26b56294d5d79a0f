#!/bin/sh
# Add LampDesk to this user's application menu (no root needed; packaging/linux/uninstall.sh
# removes it again).
#   install.sh [BUNDLE_DIR]
# BUNDLE_DIR is the folder holding the LampDesk executable: by default the folder this script is
# in (an unpacked release), else dist/LampDesk of the source tree it belongs to.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
if [ $# -ge 1 ]; then
    bundle=$1
elif [ -x "$here/LampDesk" ]; then
    bundle=$here
else
    bundle=$here/../../dist/LampDesk
fi
if [ ! -x "$bundle/LampDesk" ] || [ -d "$bundle/LampDesk" ]; then
    echo "install.sh: no LampDesk executable in $bundle (build it with scripts/build_bundle.sh)." >&2
    exit 1
fi
bundle=$(cd "$bundle" && pwd)

# The entry and the icon: next to this script in a release, in the source tree otherwise.
template=$here/lampdesk.desktop
icon=$here/lampdesk.svg
[ -f "$icon" ] || icon=$here/../../resources/icons/lampdesk.svg

data_home=${XDG_DATA_HOME:-$HOME/.local/share}
apps=$data_home/applications
icons=$data_home/icons/hicolor/scalable/apps
mkdir -p "$apps" "$icons"

# Exec and TryExec take the absolute path, escaped per the Desktop Entry spec: Exec quotes it,
# with " ` $ \ escaped by a backslash and % as %%; then the file format doubles every backslash.
# awk reads the path from the environment, so nothing in it is interpreted on the way.
LAMPDESK_EXEC=$bundle/LampDesk awk '
    function escaped(path, for_exec,    i, c, out) {
        out = ""
        for (i = 1; i <= length(path); i++) {
            c = substr(path, i, 1)
            if (c == "\\") out = out (for_exec ? "\\\\\\\\" : "\\\\")
            else if (for_exec && (c == "\"" || c == "`" || c == "$")) out = out "\\\\" c
            else if (for_exec && c == "%") out = out "%%"
            else out = out c
        }
        return out
    }
    /^Exec=/ { print "Exec=\"" escaped(ENVIRON["LAMPDESK_EXEC"], 1) "\""; next }
    /^TryExec=/ { next }
    { print }
    /^Type=/ { print "TryExec=" escaped(ENVIRON["LAMPDESK_EXEC"], 0) }
' "$template" >"$apps/lampdesk.desktop.tmp"
chmod 644 "$apps/lampdesk.desktop.tmp"
mv "$apps/lampdesk.desktop.tmp" "$apps/lampdesk.desktop"
cp "$icon" "$icons/lampdesk.svg"
chmod 644 "$icons/lampdesk.svg"

if command -v desktop-file-validate >/dev/null 2>&1; then
    desktop-file-validate "$apps/lampdesk.desktop"
fi
# Desktop menus notice the new entry by themselves. No icon or MIME cache is written: a user-level
# icon-theme.cache goes stale and hides icons added later, and the entry declares no MIME types.

echo "LampDesk is in your application menu ($apps/lampdesk.desktop -> $bundle/LampDesk)."
