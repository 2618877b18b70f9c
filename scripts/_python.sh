# Sourced by install.sh, run.sh and test.sh: choose the Python to install into and run with,
# and export it as PYTHON.
#
# 1. $PYTHON if set; else an active virtual environment's python; else ./.venv if it exists.
# 2. Otherwise python3, unless it is a system Python that refuses pip (PEP 668's
#    EXTERNALLY-MANAGED marker, as on current Debian and Ubuntu): then a project virtual
#    environment is created in ./.venv and used from then on.
_repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [ -z "${PYTHON:-}" ]; then
    if [ -n "${VIRTUAL_ENV:-}" ] && [ -x "$VIRTUAL_ENV/bin/python" ]; then
        PYTHON="$VIRTUAL_ENV/bin/python"
    elif [ -x "$_repo/.venv/bin/python" ]; then
        PYTHON="$_repo/.venv/bin/python"
    else
        PYTHON=python3
    fi
fi
if ! command -v "$PYTHON" >/dev/null 2>&1; then
    echo "irstlabel: error: $PYTHON: no such Python; install Python 3.10 or newer (e.g. apt-get install python3 python3-venv)" >&2
    exit 2
fi
if "$PYTHON" -c 'import os, sys, sysconfig; sys.exit(sys.prefix == sys.base_prefix and os.path.isfile(os.path.join(sysconfig.get_path("stdlib"), "EXTERNALLY-MANAGED")))'; then
    :
else
    echo "irstlabel: $PYTHON is a system Python that refuses pip (PEP 668); using a project environment in $_repo/.venv" >&2
    if ! "$PYTHON" -m venv "$_repo/.venv" >/dev/null 2>&1; then
        rm -rf "$_repo/.venv"
        echo "irstlabel: error: $_repo/.venv: cannot create a virtual environment; install the venv module (apt-get install python3-venv)" >&2
        exit 2
    fi
    PYTHON="$_repo/.venv/bin/python"
fi
export PYTHON
