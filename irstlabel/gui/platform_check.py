"""Before Qt starts on X11: are the system libraries its xcb plugin needs installed?

On a bare Debian or Ubuntu, PySide6's wheels run but its ``xcb`` platform
plugin cannot load (``libxcb-cursor0`` and a few others are not installed by
default), and Qt aborts with a core dump and a long hint. This module asks
``ldd`` which libraries of the plugin are missing and names the Debian
packages that hold them, so the app can stop with one line instead. It never
imports Qt. ``python -m irstlabel.gui.platform_check`` prints the packages
(nothing when all is well); ``scripts/run.sh`` installs them when run as root.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

__all__ = ["xcb_plugin", "missing_libraries", "debian_package", "check_xcb", "no_display"]

# Debian names that do not follow the libfoo.so.N -> libfooN rule
_PACKAGE_EXCEPTIONS = {"libglib-2.0.so.0": "libglib2.0-0", "libgthread-2.0.so.0": "libglib2.0-0",
                       "libz.so.1": "zlib1g", "libgcc_s.so.1": "libgcc-s1", "libc.so.6": "libc6",
                       "libm.so.6": "libc6"}


def xcb_plugin() -> Path | None:
    """PySide6's ``libqxcb.so``, found without importing Qt (None where there is none)."""
    spec = importlib.util.find_spec("PySide6")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / "Qt" / "plugins" / "platforms" / "libqxcb.so"
    return path if path.is_file() else None


def missing_libraries(ldd_output: str) -> list[str]:
    """The ``libfoo.so.N`` names that ``ldd`` reports as ``not found``, in order, once each.

    Examples
    --------
    >>> missing_libraries("\\tlibxcb-cursor.so.0 => not found\\n\\tlibGL.so.1 => /lib/libGL.so.1 (0x1)\\n")
    ['libxcb-cursor.so.0']
    """
    found = re.findall(r"^\s*(\S+)\s+=>\s+not found", ldd_output, flags=re.MULTILINE)
    return list(dict.fromkeys(found))


def debian_package(library: str) -> str:
    """The Debian/Ubuntu package that ships `library`, by Debian's naming rule.

    Examples
    --------
    >>> [debian_package(n) for n in ("libxcb-cursor.so.0", "libxkbcommon-x11.so.0", "libEGL.so.1", "libz.so.1")]
    ['libxcb-cursor0', 'libxkbcommon-x11-0', 'libegl1', 'zlib1g']
    """
    if library in _PACKAGE_EXCEPTIONS:
        return _PACKAGE_EXCEPTIONS[library]
    match = re.fullmatch(r"(.+?)\.so\.(\d+)(?:\..*)?", library)
    if match is None:
        return library
    stem, version = match.group(1).lower(), match.group(2)
    return f"{stem}-{version}" if stem[-1].isdigit() else f"{stem}{version}"


def check_xcb() -> tuple[list[str], list[str]]:
    """(missing libraries, packages to install) for Qt's xcb plugin; empty when it can load.

    Nothing is checked (two empty lists) where Qt will not use xcb (another
    ``QT_QPA_PLATFORM``), where there is no plugin or no ``ldd``.
    """
    platform = os.environ.get("QT_QPA_PLATFORM", "")
    if platform and not platform.startswith("xcb"):
        return [], []
    plugin, ldd = xcb_plugin(), shutil.which("ldd")
    if plugin is None or ldd is None or not sys.platform.startswith("linux"):
        return [], []
    result = subprocess.run([ldd, str(plugin)], capture_output=True, text=True, check=False)
    missing = missing_libraries(result.stdout)
    return missing, list(dict.fromkeys(debian_package(name) for name in missing))


def no_display() -> bool:
    """True on Linux when Qt would look for an X11 or Wayland display and there is none."""
    platform = os.environ.get("QT_QPA_PLATFORM", "")
    if not sys.platform.startswith("linux") or (platform and not platform.startswith(("xcb", "wayland"))):
        return False
    return not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


if __name__ == "__main__":
    print(" ".join(check_xcb()[1]))
