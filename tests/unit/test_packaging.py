"""A wheel carries everything the app needs, and installs and runs outside the checkout."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig

import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def test_the_package_list_names_every_package_folder():
    tomllib = pytest.importorskip("tomllib", reason="Python 3.11+ reads pyproject.toml with tomllib")
    listed = set(tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    on_disk = {".".join(p.parent.relative_to(REPO).parts) for p in (REPO / "irstlabel").rglob("__init__.py")}
    assert listed == on_disk | {"irstlabel.resources"}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    """A wheel built from a copy of the sources, as `pip install .` would build it."""
    src = tmp_path_factory.mktemp("src")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, src / name)
    for name in ("irstlabel", "resources"):
        shutil.copytree(REPO / name, src / name, ignore=shutil.ignore_patterns("__pycache__"))
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(out)], check=True, capture_output=True)
    return next(out.glob("irstlabel-*.whl"))


def test_the_wheel_carries_the_icons_and_the_style_sheet(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    icons = {p.name for p in (REPO / "resources" / "icons").glob("*.svg")}
    assert "irstlabel/resources/style.qss" in names
    assert {f"irstlabel/resources/icons/{name}" for name in icons} <= names
    assert "irstlabel/__main__.py" in names and not any(n.startswith("tests/") for n in names)
    assert {"irstlabel/resources/models/ispanet-sirst-v1.safetensors",
            "irstlabel/resources/models/ispanet-sirst-v1.md"} <= names  # the starter model and its card


def test_an_installed_wheel_loads_its_icons_outside_the_checkout(wheel, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    # the dependencies come from this interpreter's site-packages (listed after the venv's own, and
    # without running their .pth files, so the checkout's editable install stays out); irstlabel
    # only from the wheel
    venv_site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip()
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (Path(venv_site) / "dependencies.pth").write_text("\n".join(sorted(ours)) + "\n")
    subprocess.run([str(python), "-m", "pip", "install", "--no-deps", "-q", str(wheel)], check=True,
                   capture_output=True)
    code = (
        "import irstlabel, sys\n"
        "from PySide6.QtWidgets import QApplication\n"
        "from irstlabel.gui.resources import icon, resource_folder, style_sheet\n"
        "app = QApplication([])\n"
        "print(irstlabel.__file__)\n"
        "print(resource_folder())\n"
        "print(all(not icon(n).isNull() for n in ('brush', 'eraser', 'retrain', 'irstlabel')), bool(style_sheet()))\n"
        "from irstlabel.core.models.starter import starter_path\n"
        "print(starter_path().is_relative_to(resource_folder()) and starter_path().is_file())\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "IRSTLABEL_STARTER_DIR"}
    env.update({"QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": ""})
    result = subprocess.run([str(python), "-c", code], capture_output=True, text=True, cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    package, folder, loaded, starter = result.stdout.strip().splitlines()
    assert Path(package).is_relative_to(venv) and Path(folder).is_relative_to(venv), result.stdout
    assert loaded == "True True" and starter == "True"
    version = subprocess.run([str(python), "-m", "irstlabel", "--version"], capture_output=True, text=True,
                             cwd=tmp_path, env=env)
    assert version.returncode == 0 and version.stdout.startswith("irstlabel ")
