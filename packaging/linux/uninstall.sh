#!/bin/sh
# Remove what install.sh added to this user's application menu. The program folder and your data
# (profiles, memories: ~/.local/share/LampDesk, or $XDG_DATA_HOME/LampDesk) are left alone.
set -eu

data_home=${XDG_DATA_HOME:-$HOME/.local/share}
apps=$data_home/applications
rm -f "$apps/lampdesk.desktop" "$data_home/icons/hicolor/scalable/apps/lampdesk.svg"

command -v update-desktop-database >/dev/null 2>&1 && [ -d "$apps" ] &&
    update-desktop-database -q "$apps" || true
command -v gtk-update-icon-cache >/dev/null 2>&1 && [ -d "$data_home/icons/hicolor" ] &&
    gtk-update-icon-cache -q -t "$data_home/icons/hicolor" 2>/dev/null || true

echo "LampDesk is no longer in your application menu. Your data stays in $data_home/LampDesk."
