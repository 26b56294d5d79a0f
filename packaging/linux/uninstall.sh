#!/bin/sh
# Remove what install.sh added to this user's application menu. The program folder and your data
# (profiles, memories: ~/.local/share/LampDesk, or $XDG_DATA_HOME/LampDesk) are left alone.
set -eu

data_home=${XDG_DATA_HOME:-$HOME/.local/share}
apps=$data_home/applications
rm -f "$apps/lampdesk.desktop" "$data_home/icons/hicolor/scalable/apps/lampdesk.svg"

echo "LampDesk is no longer in your application menu. Your data stays in $data_home/LampDesk."
