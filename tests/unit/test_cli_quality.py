import json
import subprocess
import sys

import numpy as np
import pytest

from irstlabel.cli import main
from irstlabel.core.datasets.dataset import Dataset
from irstlabel.core.metrics.evaluation import evaluate
from irstlabel.core.datasets.synthetic import make_demo_dataset
from tests.helpers import write_image, write_mask_file, strict_loads


@pytest.fixture
def demo(tmp_path):
    return make_demo_dataset(tmp_path / "demo", frames=4, size=(64, 80), seed=2)


def _shifted_predictions(demo, folder, *, as_probability=False, suffix=""):
    dataset = Dataset.open(demo)
    folder.mkdir()
    pairs = []
    for frame_id in dataset.frame_ids:
        mask = dataset.read_mask(frame_id).mask
        pred = np.roll(mask, 1, axis=1)
        pred[2, 2] = True
        if as_probability:
            prob = np.where(pred, 0.8, 0.1).astype(np.float32)
            np.save(folder / f"{frame_id}{suffix}.npy", prob)
        else:
            write_mask_file(folder / f"{frame_id}{suffix}.png", pred)
        pairs.append((frame_id, mask, pred))
    return pairs


def _json(capsys, args):
    assert main(args) == 0
    return strict_loads(capsys.readouterr().out)


def test_eval_json_has_the_contract_keys_and_matches_the_library(demo, tmp_path, capsys):
    pairs = _shifted_predictions(demo, tmp_path / "pred")
    out = _json(capsys, ["eval", "--gt", str(demo), "--pred", str(tmp_path / "pred"), "--json"])
    assert out["frames"] == 4
    assert set(out["pixel"]) >= {"iou", "niou", "precision", "recall", "f1"}
    assert set(out["target"]) >= {"pd", "md", "pa", "fa", "f1", "true_detections", "missed",
                                  "false_alarms", "targets", "predicted", "distance"}
    assert set(out["legacy"]) >= {"pd", "fa_pixel", "iou"}
    for group in ("pixel", "target", "legacy"):
        for key, value in out[group].items():
            if key in ("pd", "md", "pa", "fa", "f1", "iou", "niou", "precision", "recall", "fa_pixel"):
                assert 0.0 <= value <= 1.0
    expected = evaluate(pairs).as_dict()
    assert out == strict_loads(json.dumps(expected))
    assert out["target"]["false_alarms"] >= 4  # the planted pixel in each frame


def test_eval_reads_probability_npy_and_pixels0_suffixes(demo, tmp_path, capsys):
    pairs = _shifted_predictions(demo, tmp_path / "pred", as_probability=True, suffix="_pixels0")
    out = _json(capsys, ["eval", "--gt", str(demo), "--pred", str(tmp_path / "pred"), "--json"])
    assert out == strict_loads(json.dumps(evaluate(pairs).as_dict()))
    high = _json(capsys, ["eval", "--gt", str(demo), "--pred", str(tmp_path / "pred"), "--json",
                          "--threshold", "0.9"])
    assert high["target"]["predicted"] == 0


def test_eval_against_a_folder_of_masks_and_the_table(demo, tmp_path, capsys):
    _shifted_predictions(demo, tmp_path / "pred")
    assert main(["eval", "--gt", str(demo / "masks"), "--pred", str(tmp_path / "pred")]) == 0
    text = capsys.readouterr().out
    assert "Pd" in text and "F1-P" in text and "legacy (BasicIRSTD)" in text


def test_eval_names_missing_and_wrong_size_predictions(demo, tmp_path, capsys):
    _shifted_predictions(demo, tmp_path / "pred")
    (tmp_path / "pred" / "frame_0002.png").unlink()
    (tmp_path / "pred" / "frame_0003.png").unlink()
    assert main(["eval", "--gt", str(demo), "--pred", str(tmp_path / "pred")]) == 2
    assert "no prediction for 2 frame(s): 'frame_0002', 'frame_0003'" in capsys.readouterr().err
    write_mask_file(tmp_path / "pred" / "frame_0002.png", np.zeros((10, 10), bool))
    write_mask_file(tmp_path / "pred" / "frame_0003.png", np.zeros((10, 10), bool))
    assert main(["eval", "--gt", str(demo), "--pred", str(tmp_path / "pred")]) == 2
    assert "frame_0002.png: prediction is 10x10 but the label of 'frame_0002' is 80x64" in capsys.readouterr().err


def test_eval_refuses_out_of_range_probabilities(demo, tmp_path, capsys):
    _shifted_predictions(demo, tmp_path / "pred", as_probability=True)
    np.save(tmp_path / "pred" / "frame_0001.npy", np.full((64, 80), 3.0, np.float32))
    assert main(["eval", "--gt", str(demo), "--pred", str(tmp_path / "pred")]) == 2
    assert "frame_0001.npy: probabilities must lie in [0, 1]; found 3 to 3" in capsys.readouterr().err
    assert main(["eval", "--gt", str(demo), "--pred", str(tmp_path / "pred"), "--threshold", "2"]) == 2


def test_eval_imports_neither_qt_nor_torch(demo, tmp_path):
    _shifted_predictions(demo, tmp_path / "pred")
    code = (
        "import sys; from irstlabel.cli import main\n"
        f"main(['eval', '--gt', {str(demo)!r}, '--pred', {str(tmp_path / 'pred')!r}, '--json'])\n"
        "print([m for m in ('torch', 'PySide6', 'pyqtgraph') if m in sys.modules], file=sys.stderr)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stderr.strip().endswith("[]")
    strict_loads(result.stdout)


def test_stats_json_agrees_with_an_independent_count(demo, capsys):
    from skimage.measure import label, regionprops

    out = _json(capsys, ["stats", str(demo), "--json"])
    dataset = Dataset.open(demo)
    areas, heights = [], []
    for frame_id in dataset.frame_ids:
        for region in regionprops(label(dataset.read_mask(frame_id).mask, connectivity=2)):
            areas.append(region.area)
            heights.append(region.bbox[2] - region.bbox[0])
    assert out["frames"] == 4 and out["targets"] == len(areas)
    assert out["pixels"] == {"min": min(areas), "max": max(areas), "mean": pytest.approx(np.mean(areas))}
    assert out["size"]["mean"][0] == pytest.approx(np.mean(heights))
    assert sum(b["count"] for b in out["frame_share_bins"]) == 4


def test_lpd_command_counts_a_tightened_label(tmp_path, capsys):
    images = tmp_path / "images"
    frame = np.full((30, 30), 20, np.uint8)
    frame[10:12, 10:12] = 200
    write_image(images / "a.png", frame)
    old = np.zeros((30, 30), bool)
    old[8:14, 8:14] = True
    write_mask_file(tmp_path / "old" / "a.png", old)
    new = np.zeros((30, 30), bool)
    new[10:12, 10:12] = True
    write_mask_file(tmp_path / "new" / "a_pixels0.png", new)
    out = _json(capsys, ["lpd", "--images", str(images), "--old", str(tmp_path / "old"),
                         "--new", str(tmp_path / "new"), "--json"])
    assert out["increased"] == 1 and out["table"]["new"]["increase"] == 1
    (tmp_path / "new" / "a_pixels0.png").unlink()
    write_mask_file(tmp_path / "new" / "b.png", new)
    assert main(["lpd", "--images", str(images), "--old", str(tmp_path / "old"), "--new", str(tmp_path / "new")]) == 2
    assert "no new mask for 1 frame(s): 'a'" in capsys.readouterr().err


def test_stats_on_the_real_frames(sirst_v1, capsys):
    out = _json(capsys, ["stats", str(sirst_v1), "--json"])
    assert (out["frames"], out["targets"]) == (427, 533)
    assert (out["pixels"]["min"], out["pixels"]["max"]) == (4, 330)  # Table V: 4-330
    assert out["pixels"]["mean"] == pytest.approx(32.86, abs=0.05)  # Table V: 32.86
