"""Datasets for tests, made on disk: every layout irstlabel reads, and hand-made frames with targets where a
test needs them. The one place tests make datasets (fixtures and test modules import from here)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tests.helpers import blob_mask, write_image, write_mask_file

IDS = ["Misc_1", "Misc_2", "Misc_10", "Misc_3"]
FRAME = np.arange(32 * 40, dtype=np.uint16).reshape(32, 40)


def write_pairs(images: Path, masks: Path, ids, mask_suffix=""):
    for k, frame_id in enumerate(ids):
        write_image(images / f"{frame_id}.png", FRAME + k)
        write_mask_file(masks / f"{frame_id}{mask_suffix}.png", blob_mask(boxes=((k, k, k + 3, k + 4),)))


def write_lines(path: Path, ids):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(ids) + "\n")


def make_sirst_v2(root: Path) -> Path:
    write_pairs(root / "images/targets", root / "annotations/masks", IDS, "_pixels0")
    write_image(root / "images/backgrounds/bg_1.png", FRAME)
    (root / "annotations/bboxes").mkdir(parents=True)
    write_lines(root / "splits/train_v1.txt", IDS[:3])
    write_lines(root / "splits/test_v1.txt", IDS[3:])
    return root


def make_sirst_v1(root: Path) -> Path:
    write_pairs(root / "images", root / "masks", IDS, "_pixels0")
    write_lines(root / "idx_427/trainval.txt", IDS[:3])
    write_lines(root / "idx_427/test.txt", IDS[3:])
    return root


def make_basicirstd(root: Path) -> Path:
    write_pairs(root / "images", root / "masks", IDS)
    write_lines(root / "img_idx/train_NUAA-SIRST.txt", IDS[:3])
    write_lines(root / "img_idx/test_NUAA-SIRST.txt", IDS[3:])
    return root


def make_dnanet(root: Path) -> Path:
    write_pairs(root / "images", root / "masks", IDS)
    write_lines(root / "50_50/train.txt", IDS[:3])
    write_lines(root / "50_50/test.txt", IDS[3:])
    return root


def make_irstd1k(root: Path) -> Path:
    write_pairs(root / "IRSTD1k_Img", root / "IRSTD1k_Label", IDS)
    write_lines(root / "trainval.txt", IDS[:3])
    write_lines(root / "test.txt", IDS[3:])
    return root


def make_generic(root: Path) -> Path:
    write_pairs(root / "images", root / "masks", IDS)
    return root


MAKERS = {
    "sirst-v2": (make_sirst_v2, "train", "test"),
    "sirst-v1": (make_sirst_v1, "trainval", "test"),
    "basicirstd": (make_basicirstd, "train", "test"),
    "dnanet": (make_dnanet, "train", "test"),
    "irstd-1k": (make_irstd1k, "trainval", "test"),
    "generic": (make_generic, "all", "all"),
}


SHAPE = (64, 80)


def frame_with(boxes, *, shape=SHAPE, seed=0, background=30.0, peak=200.0):
    """A grey frame with bright square targets at `boxes` (r0, c0, r1, c1), and their mask."""
    rng = np.random.default_rng(seed)
    image = background + rng.normal(0, 2.0, shape)
    mask = np.zeros(shape, bool)
    for r0, c0, r1, c1 in boxes:
        image[r0:r1, c0:c1] = peak
        mask[r0:r1, c0:c1] = True
    return np.clip(image, 0, 255).astype(np.uint8), mask


def make_dataset(root: Path, frames: dict[str, tuple[np.ndarray, np.ndarray]]) -> Path:
    """A generic-layout dataset (images/, masks/) from {frame id: (image, mask)}."""
    for frame_id, (image, mask) in frames.items():
        write_image(root / "images" / f"{frame_id}.png", image)
        write_mask_file(root / "masks" / f"{frame_id}.png", mask)
    return root
