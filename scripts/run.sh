#!/usr/bin/env bash
# Install everything and open the app (on the generated demo dataset unless a dataset folder is
# given). On a bare Debian/Ubuntu, Qt's X11 plugin lacks system libraries (libxcb-cursor0 and a
# few others): run as root, this installs them; otherwise it names them and stops.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_python.sh
bash scripts/install.sh
packages=$("$PYTHON" -m irstlabel.gui.platform_check)
if [ -n "$packages" ]; then
    if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
        echo "irstlabel: installing the system libraries Qt needs on X11: $packages" >&2
        apt-get install -y --no-install-recommends $packages >/dev/null || {
            apt-get update >/dev/null && apt-get install -y --no-install-recommends $packages >/dev/null; }
    else
        echo "irstlabel: error: Qt cannot open a window: system libraries are missing; install them with:" \
             "sudo apt-get install $packages" >&2
        exit 2
    fi
fi
exec "$PYTHON" -m irstlabel "$@"
