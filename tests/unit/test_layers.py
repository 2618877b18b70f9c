"""The layering of DESIGN.md, enforced by import-linter's contracts in pyproject.toml."""

import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_import_contracts_hold():
    exe = shutil.which("lint-imports") or str(Path(sys.executable).with_name("lint-imports"))
    result = subprocess.run([exe], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "broken" not in result.stdout.lower().replace("0 broken", "")


def test_core_modules_import_without_qt_or_torch():
    code = (
        "import sys, pkgutil, importlib, irstlabel.core as c\n"
        "for m in pkgutil.walk_packages(c.__path__, 'irstlabel.core.'): importlib.import_module(m.name)\n"
        "print([m for m in ('PySide6', 'torch', 'pyqtgraph') if m in sys.modules])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_no_unused_imports_or_undefined_names():
    exe = shutil.which("ruff") or str(Path(sys.executable).with_name("ruff"))
    result = subprocess.run([exe, "check", "irstlabel", "tests", "bench"], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:]


def test_no_import_circle_in_the_package():
    import grimp

    graph = grimp.build_graph("irstlabel")
    circles = sorted({tuple(sorted((module, imported))) for module in graph.modules
                      for imported in graph.find_modules_directly_imported_by(module)
                      if imported.startswith("irstlabel") and graph.chain_exists(importer=imported, imported=module)})
    assert circles == []


REGISTRY_WRITES = ("register_checkpoint(", "register_prediction_set(", "add_evaluation(", "set_default_prediction_set(")


def test_one_module_writes_job_results_to_the_registry():
    """The GUI, the CLI, the pipeline and the starter record results through jobs/registry.py alone."""
    writers = {path.relative_to(REPO).as_posix() for path in (REPO / "irstlabel").rglob("*.py")
               if any(f".{call}" in path.read_text() for call in REGISTRY_WRITES)}
    assert writers == {"irstlabel/jobs/registry.py"}


def test_every_core_sub_package_says_what_lives_there():
    import importlib
    import pkgutil

    import irstlabel.core as core

    packages = [m.name for m in pkgutil.iter_modules(core.__path__) if m.ispkg]
    assert {"io", "datasets", "labels", "metrics", "curation", "models"} <= set(packages)
    for name in packages:
        assert (importlib.import_module(f"irstlabel.core.{name}").__doc__ or "").strip(), name
