import subprocess
import sys

import numpy as np
import pytest

from irstlabel.cli import main
from tests.helpers import strict_loads


def _run(*args, **kwargs):
    return subprocess.run([sys.executable, "-m", "irstlabel.cli", *args], capture_output=True, text=True, **kwargs)


def test_help_imports_neither_qt_nor_torch_nor_numpy():
    code = (
        "import sys, contextlib, io\n"
        "from irstlabel.cli import build_parser\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try: build_parser().parse_args(['--help'])\n"
        "    except SystemExit: pass\n"
        "heavy = [m for m in ('PySide6', 'torch', 'pyqtgraph', 'numpy', 'cv2') if m in sys.modules]\n"
        "print(heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_help_and_version():
    result = _run("--help")
    assert result.returncode == 0 and "demo-data" in result.stdout
    assert _run("--version").stdout.startswith("irstlabel ")


def test_demo_data_then_info_json(tmp_path, capsys):
    assert main(["demo-data", str(tmp_path / "d"), "--frames", "3", "--size", "40", "48", "--bit-depth", "16"]) == 0
    capsys.readouterr()
    assert main(["info", str(tmp_path / "d"), "--json"]) == 0
    summary = strict_loads(capsys.readouterr().out)
    assert summary["layout"] == "generic" and summary["frames"] == 3 and summary["with_mask"] == 3


@pytest.mark.parametrize(
    "args, message",
    [
        (["info", "{tmp}/missing"], "missing: dataset folder not found"),
        (["demo-data", "{tmp}/d", "--frames", "0"], "--frames must be at least 1"),
        (["demo-data", "{tmp}/d", "--size", "4", "100"], "--size must be at least 8 8"),
    ],
)
def test_user_errors_are_one_line_and_exit_2(tmp_path, args, message):
    result = _run(*[a.format(tmp=tmp_path) for a in args])
    assert result.returncode == 2
    assert result.stderr.startswith("irstlabel: error: ") and message in result.stderr
    assert result.stderr.count("\n") == 1


def test_info_on_a_test_only_download_warns_in_one_line_and_succeeds(tmp_path):
    from tests.helpers import blob_mask, write_image, write_mask_file

    root = tmp_path / "NUAA-SIRST"
    for k in range(3):
        write_image(root / "images" / f"{k:06d}.png", np.full((24, 32), 40 + k, np.uint8))
        write_mask_file(root / "masks" / f"{k:06d}.png", blob_mask((24, 32), ((k, k, k + 2, k + 2),)))
    (root / "img_idx").mkdir()
    (root / "img_idx" / "test_NUAA-SIRST.txt").write_text("000000\n000002\n")
    result = _run("info", str(root), "--json")
    assert result.returncode == 0, result.stderr
    assert result.stderr == (f"irstlabel: warning: {root / 'img_idx'}: no train split (no train_*.txt file; "
                             "split files here: test_NUAA-SIRST.txt)\n")
    summary = strict_loads(result.stdout)
    assert summary["frames"] == 3 and summary["layout"] == "basicirstd"


def test_python_dash_m_irstlabel_is_the_command_line():
    result = subprocess.run([sys.executable, "-m", "irstlabel", "--version"], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.startswith("irstlabel ")


BARE_DEBIAN_LDD = """\
\tlinux-vdso.so.1 (0x00007ffd)
\tlibQt6XcbQpa.so.6 => /venv/PySide6/Qt/lib/libQt6XcbQpa.so.6 (0x00007f1)
\tlibxkbcommon-x11.so.0 => not found
\tlibxcb-cursor.so.0 => not found
\tlibxcb-icccm.so.4 => not found
\tlibxcb-cursor.so.0 => not found
\tlibEGL.so.1 => not found
\tlibX11-xcb.so.1 => /lib/x86_64-linux-gnu/libX11-xcb.so.1 (0x00007f2)
\tlibglib-2.0.so.0 => not found
"""


def test_missing_qt_libraries_are_named_with_their_debian_packages():
    from irstlabel.gui.platform_check import debian_package, missing_libraries

    missing = missing_libraries(BARE_DEBIAN_LDD)
    assert missing == ["libxkbcommon-x11.so.0", "libxcb-cursor.so.0", "libxcb-icccm.so.4", "libEGL.so.1",
                       "libglib-2.0.so.0"]
    assert [debian_package(m) for m in missing] == ["libxkbcommon-x11-0", "libxcb-cursor0", "libxcb-icccm4",
                                                   "libegl1", "libglib2.0-0"]


def test_platform_check_runs_without_qt_and_names_nothing_offscreen():
    code = ("import sys; from irstlabel.gui.platform_check import check_xcb; print(check_xcb());"
            "print([m for m in ('PySide6.QtCore', 'PySide6.QtWidgets') if m in sys.modules])")
    env = {**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True).stdout
    assert out.splitlines() == ["([], [])", "[]"]


def test_the_app_without_a_display_says_so_in_one_line_and_screenshots_still_work(tmp_path):
    import os

    from irstlabel.core.datasets.synthetic import make_demo_dataset

    root = make_demo_dataset(tmp_path / "d", frames=2, size=(32, 40), seed=1)
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    result = subprocess.run([sys.executable, "-m", "irstlabel", "gui", str(root)], capture_output=True, text=True,
                            env=env, timeout=120)
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert result.stderr.startswith("irstlabel: error: no display to open a window on (DISPLAY is not set)")
    shot = tmp_path / "shot.png"
    result = subprocess.run([sys.executable, "-m", "irstlabel", "gui", str(root), "--screenshot", str(shot)],
                            capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    assert shot.stat().st_size > 10_000


def test_a_frame_claiming_a_huge_size_stops_a_command_with_one_line(tmp_path):
    from irstlabel.core.datasets.synthetic import make_demo_dataset
    from tests.helpers import png_claiming

    root = make_demo_dataset(tmp_path / "d", frames=2, size=(32, 40), seed=1)
    (root / "images" / "frame_0002.png").write_bytes(png_claiming(100_000, 100_000))
    for command in (["stats", str(root)], ["curate", "dedup", str(root)]):
        result = _run(*command)
        assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
        assert "frame_0002.png: image header says 100000x100000 pixels" in result.stderr


def test_small_input_slips_are_one_line_errors(tmp_path):
    from irstlabel.core.errors import IrstlabelError
    from irstlabel.core.datasets.synthetic import make_demo_dataset

    root = make_demo_dataset(tmp_path / "d", frames=3, size=(32, 40), seed=1)
    result = _run("eval", "--gt", str(root), "--pred", str(root / "masks"), "--distance", "nan")
    assert result.returncode == 2 and "--distance must be a finite number >= 0, got nan" in result.stderr
    (root / "images" / "frame_0001.png").rename(root / "images" / "odd\nname.png")
    (root / "masks" / "frame_0001.png").rename(root / "masks" / "odd\nname.png")
    result = _run("curate", "split", str(root), "--out", str(tmp_path / "splits"))
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert "frame id 'odd\\nname' contains a line break" in result.stderr
    assert not (tmp_path / "splits").exists()
    coloured = IrstlabelError("a.pt", "\x1b[31mCUDA error:\x1b[0m out of\nmemory")
    assert str(coloured) == "a.pt: CUDA error: out of memory"
