#!/usr/bin/env bash
# Build the one-folder desktop app with PyInstaller: dist/irstlabel/irstlabel
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
"${PYTHON:-python3}" -m pip install --quiet "pyinstaller>=6.0"
"${PYTHON:-python3}" -m PyInstaller --noconfirm --clean build.spec
echo "built: dist/irstlabel/irstlabel"
