"""Files irstlabel writes get the permissions the user's umask asks for, not the 0600 of a temporary file."""

from __future__ import annotations

import os
import stat


import pytest

from irstlabel.project.export import export_project
from irstlabel.project.store import Project
from tests.datasets import make_sirst_v2


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture(params=[0o022, 0o002, 0o077])
def umask(request):
    previous = os.umask(request.param)
    yield request.param
    os.umask(previous)


def test_masks_exports_and_checkpoints_honour_the_umask(tmp_path, umask):
    expected = 0o666 & ~umask
    root = make_sirst_v2(tmp_path / "data")
    with Project.open(root) as project:
        mask = project.load_mask("Misc_2")
        mask[20:23, 30:33] = True
        project.save_mask("Misc_2", mask)
        saved = list(project.masks_folder.rglob("*.png"))
        assert saved and all(_mode(p) == expected for p in saved), [oct(_mode(p)) for p in saved]
        export_project(project, tmp_path / "out", layout="generic")
    exported = list((tmp_path / "out" / "masks").glob("*.png"))
    assert exported and all(_mode(p) == expected for p in exported)


def test_a_checkpoint_honours_the_umask(tmp_path, umask):
    pytest.importorskip("torch")
    from irstlabel.model.checkpoint import save_checkpoint
    from irstlabel.model.factory import model_config

    import torch

    save_checkpoint(tmp_path / "c.pt", model_config=model_config(channels=16), state_dict={"w": torch.zeros(2)})
    assert _mode(tmp_path / "c.pt") == 0o666 & ~umask


def test_the_umask_is_read_without_being_changed():
    from irstlabel.core.io.files import current_umask

    previous = os.umask(0o027)
    try:
        assert current_umask() == 0o027 and current_umask() == 0o027
    finally:
        os.umask(previous)

