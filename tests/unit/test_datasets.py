import os
from pathlib import Path

import numpy as np
import pytest

from irstlabel.core.datasets import dataset as datasets_module
from irstlabel.core.datasets.dataset import Dataset
from irstlabel.core.errors import DatasetWarning, IrstlabelError
from tests.datasets import (FRAME, IDS, MAKERS, make_basicirstd, make_dnanet, make_generic, make_sirst_v2, write_lines, write_pairs)
from tests.helpers import blob_mask, write_image, write_mask_file

@pytest.mark.parametrize("layout", sorted(MAKERS))
def test_each_layout_is_detected_and_indexed(tmp_path, layout):
    make, train, test = MAKERS[layout]
    dataset = Dataset.open(make(tmp_path / layout))
    assert dataset.layout == layout
    expected = sorted(IDS, key=lambda s: int(s.split("_")[1]))
    if layout == "sirst-v2":
        assert dataset.frame_ids == (*expected, "bg_1")
        assert dataset.record("bg_1").mask_path is None
        assert not dataset.read_mask("bg_1").mask.any()
    else:
        assert dataset.frame_ids == tuple(expected)
    if layout != "generic":
        assert dataset.split(train) == tuple(IDS[:3])
        assert dataset.split(test) == tuple(IDS[3:])
    frame = dataset.read_frame("Misc_2")
    assert frame.dtype == np.uint16 and frame.shape == (32, 40)
    np.testing.assert_array_equal(frame, FRAME + 1)
    found = dataset.read_mask("Misc_2")
    np.testing.assert_array_equal(found.mask, blob_mask(boxes=((1, 1, 4, 5),)))
    assert found.encoding == "0/255"


def test_layout_can_be_forced_and_wrong_names_are_listed(tmp_path):
    root = make_generic(tmp_path / "d")
    assert Dataset.open(root, layout="generic").layout == "generic"
    with pytest.raises(IrstlabelError, match="unknown layout 'nuaa'.*sirst-v2"):
        Dataset.open(root, layout="nuaa")


def test_opening_decodes_nothing(tmp_path, monkeypatch):
    root = make_sirst_v2(tmp_path / "d")

    def refuse(*args, **kwargs):
        raise AssertionError("a frame was decoded while opening")

    monkeypatch.setattr(datasets_module, "read_frame", refuse)
    monkeypatch.setattr(datasets_module, "read_mask", refuse)
    assert len(Dataset.open(root)) == 5


def test_frames_are_cached_least_recently_used(tmp_path, monkeypatch):
    dataset = Dataset.open(make_generic(tmp_path / "d"), cache_size=2)
    calls = []
    real = datasets_module.read_frame
    monkeypatch.setattr(datasets_module, "read_frame", lambda p: calls.append(p) or real(p))
    for frame_id in ["Misc_1", "Misc_2", "Misc_1", "Misc_3", "Misc_2"]:
        dataset.read_frame(frame_id)
    assert [Path(p).stem for p in calls] == ["Misc_1", "Misc_2", "Misc_3", "Misc_2"]
    assert not dataset.read_frame("Misc_1").flags.writeable


def test_split_short_names_and_unknown_split(tmp_path):
    dataset = Dataset.open(make_sirst_v2(tmp_path / "d"))
    assert dataset.split("train_v1") == dataset.split("train")
    with pytest.raises(IrstlabelError, match=r"split 'val' does not exist in this dataset; choose one of: "
                                             r"all \(5 frames\), test_v1 \(1 frame\), train_v1 \(3 frames\)"):
        dataset.split("val")


# which conventional split file to delete, per layout, and the split that remains
ABSENT = {
    "sirst-v1": ("idx_427/trainval.txt", "trainval", "test"),
    "basicirstd": ("img_idx/train_NUAA-SIRST.txt", "train", "test"),
    "dnanet": ("50_50/train.txt", "train", "test"),
    "irstd-1k": ("trainval.txt", "trainval", "test"),
}


@pytest.mark.parametrize("layout", sorted(ABSENT))
def test_a_test_only_download_opens_with_a_warning_naming_the_folder(tmp_path, layout):
    make = MAKERS[layout][0]
    file, absent, remaining = ABSENT[layout]
    root = make(tmp_path / layout)
    (root / file).unlink()
    with pytest.warns(DatasetWarning) as caught:
        dataset = Dataset.open(root)
    message = str(caught[0].message)
    assert f"no {absent} split" in message and "<" not in message
    assert message.startswith(str((root / file).parent))
    assert dataset.warnings == (message,)
    assert dataset.split(remaining) == tuple(IDS[3:])
    assert len(dataset.split("all")) == len(IDS)


def test_basicirstd_with_no_split_file_at_all_opens_every_frame(tmp_path):
    root = make_basicirstd(tmp_path / "b")
    for path in (root / "img_idx").iterdir():
        path.unlink()
    with pytest.warns(DatasetWarning, match="img_idx: no train split .*split files here: none"):
        dataset = Dataset.open(root)
    assert len(dataset.warnings) == 2 and len(dataset.split("all")) == len(IDS)


def test_a_complete_dataset_opens_without_warnings(tmp_path):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert Dataset.open(make_basicirstd(tmp_path / "b")).warnings == ()


def test_frame_in_split_but_missing_on_disk(tmp_path):
    root = make_dnanet(tmp_path / "d")
    write_lines(root / "50_50/test.txt", ["Misc_3", "Misc_99"])
    with pytest.raises(IrstlabelError, match=r"50_50/test.txt: lists frames missing on disk: 'Misc_99'"):
        Dataset.open(root)


def test_empty_and_missing_folders(tmp_path):
    with pytest.raises(IrstlabelError, match="dataset folder not found"):
        Dataset.open(tmp_path / "absent")
    (tmp_path / "empty").mkdir()
    with pytest.raises(IrstlabelError, match="not a dataset folder of a known layout"):
        Dataset.open(tmp_path / "empty")
    (tmp_path / "only/images").mkdir(parents=True)
    with pytest.raises(IrstlabelError, match="images: no image files found"):
        Dataset.open(tmp_path / "only")
    (tmp_path / "afile").write_text("x")
    with pytest.raises(IrstlabelError, match="is a file, not a dataset folder"):
        Dataset.open(tmp_path / "afile")


def test_unreadable_folder(tmp_path, monkeypatch):
    root = make_generic(tmp_path / "d")
    real_scandir = os.scandir

    def denied(path):
        if Path(path).name == "images":
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", denied)
    with pytest.raises(IrstlabelError, match="images: folder cannot be read \\(Permission denied\\)"):
        Dataset.open(root)


def test_non_utf8_and_spaced_file_names(tmp_path):
    root = tmp_path / "d"
    odd = [os.fsdecode(b"vol\xe9 1"), "with space"]
    write_pairs(root / "images", root / "masks", odd)
    dataset = Dataset.open(root)
    assert set(dataset.frame_ids) == set(odd)
    for frame_id in odd:
        assert dataset.read_mask(frame_id).mask.any()
    repr(dataset).encode("utf-8")


def test_two_files_with_one_id(tmp_path):
    root = make_generic(tmp_path / "d")
    write_image(root / "images/Misc_1.bmp", FRAME.astype(np.uint8))
    with pytest.raises(IrstlabelError, match="two files share the frame id 'Misc_1'"):
        Dataset.open(root)


def test_bad_frame_and_wrong_size_mask_are_reported_on_read(tmp_path):
    root = make_generic(tmp_path / "d")
    (root / "images/Misc_2.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    write_mask_file(root / "masks/Misc_3.png", np.zeros((5, 5), bool))
    dataset = Dataset.open(root)
    with pytest.raises(IrstlabelError, match="Misc_2.png: truncated or corrupt"):
        dataset.read_frame("Misc_2")
    with pytest.raises(IrstlabelError, match="Misc_3.png: mask is 5x5"):
        dataset.read_mask("Misc_3")
    with pytest.raises(IrstlabelError, match="no frame 'Misc_77'"):
        dataset.record("Misc_77")


@pytest.mark.parametrize("where", ["images", "masks"])
def test_link_loops_and_dangling_links_are_one_line_errors_naming_the_file(tmp_path, where):
    root = make_generic(tmp_path / "d")
    folder = root / where
    (folder / "loop_a.png").symlink_to("loop_b.png")
    (folder / "loop_b.png").symlink_to("loop_a.png")
    with pytest.raises(IrstlabelError, match=r"loop_[ab].png: symbolic link cannot be followed \(Too many levels"):
        Dataset.open(root)
    for name in ("loop_a.png", "loop_b.png"):
        (folder / name).unlink()
    (folder / "gone.png").symlink_to(tmp_path / "nowhere.png")
    with pytest.raises(IrstlabelError, match=r"gone.png: dangling symbolic link"):
        Dataset.open(root)
    (folder / "gone.png").unlink()
    (folder / "linked.png").symlink_to(folder / "Misc_1.png")  # a link to a real file is a frame like any other
    assert ("linked" in Dataset.open(root).frame_ids) == (where == "images")
