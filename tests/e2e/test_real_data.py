"""The real SIRST v1 frames beside the repository (skipped when absent)."""

import numpy as np

from irstlabel.core.datasets.dataset import Dataset
from irstlabel.core.labels.targets import find_targets


def _xml_count(folder, tag="<object>"):
    return sum(p.read_text().count(tag) for p in folder.glob("*.xml"))


def test_sirst_v1_opens_with_official_splits(sirst_v1):
    dataset = Dataset.open(sirst_v1)
    assert dataset.layout == "sirst-v2"
    assert len(dataset) == 427
    expected = {
        name: len([l for l in (sirst_v1 / "splits" / f"{name}_v1.txt").read_text().splitlines() if l.strip()])
        for name in ("train", "val", "test", "trainval", "trainvaltest")
    }
    assert {name: len(dataset.split(name)) for name in expected} == expected
    assert (expected["train"], expected["val"], expected["test"]) == (256, 85, 86)
    assert set(dataset.split("train")) | set(dataset.split("val")) | set(dataset.split("test")) == set(dataset.frame_ids)


def test_every_real_frame_and_mask_reads_and_targets_match_the_annotations(sirst_v1):
    dataset = Dataset.open(sirst_v1, cache_size=0)
    targets = 0
    for frame_id in dataset.frame_ids:
        frame = dataset.read_frame(frame_id)
        assert frame.ndim == 2 and frame.dtype == np.uint8
        found = dataset.read_mask(frame_id)
        assert found.encoding == "0/255"
        targets += len(find_targets(found.mask))
    assert targets == _xml_count(sirst_v1 / "annotations" / "centroids") == 533
