"""Hostile datasets: each is a small valid dataset with one thing wrong, as careless users and attackers make them."""

from __future__ import annotations

import struct
from pathlib import Path

import cv2
import numpy as np

from irstlabel.core.datasets.synthetic import make_demo_dataset


def _png_claiming(width: int, height: int) -> bytes:
    ok, data = cv2.imencode(".png", np.zeros((4, 4), np.uint8))
    data = bytearray(data.tobytes())
    data[16:24] = struct.pack(">II", width, height)
    return bytes(data)


def _truncated(root: Path) -> None:
    path = root / "images" / "frame_0002.png"
    path.write_bytes(path.read_bytes()[:40])


def _bit_flip(root: Path) -> None:
    path = root / "images" / "frame_0002.png"
    data = bytearray(path.read_bytes())
    data[60] ^= 0xFF  # inside the image data: libpng would print its own error line
    path.write_bytes(bytes(data))


def _zero_bytes(root: Path) -> None:
    (root / "masks" / "frame_0002.png").write_bytes(b"")


def _header_bomb(root: Path) -> None:
    (root / "images" / "frame_0002.png").write_bytes(_png_claiming(100_000, 100_000))


def _real_bomb(root: Path) -> None:
    ok, data = cv2.imencode(".png", np.zeros((9000, 9000), np.uint8))
    (root / "images" / "frame_0002.png").write_bytes(data.tobytes())


def _link_loop(root: Path) -> None:
    (root / "images" / "loop_a.png").symlink_to("loop_b.png")
    (root / "images" / "loop_b.png").symlink_to("loop_a.png")


def _dangling(root: Path) -> None:
    (root / "masks" / "frame_0002.png").unlink()
    (root / "masks" / "frame_0002.png").symlink_to(root / "nowhere.png")


def _folder_loop(root: Path) -> None:
    (root / "images" / "loop").symlink_to("..")


def _odd_npy(root: Path) -> None:
    (root / "images" / "frame_0002.png").unlink()
    np.save(root / "images" / "frame_0002.npy", np.zeros((8, 9, 5), np.complex64))


def _instance_mask(root: Path) -> None:
    mask = np.zeros((32, 40), np.uint8)
    mask[2:5, 2:5], mask[10:12, 20:23], mask[20:25, 5:9] = 1, 2, 3
    cv2.imwrite(str(root / "masks" / "frame_0002.png"), mask)


def _wrong_size_mask(root: Path) -> None:
    cv2.imwrite(str(root / "masks" / "frame_0002.png"), np.full((7, 9), 255, np.uint8))


def _split_names_missing_frame(root: Path) -> None:
    (root / "50_50").mkdir()
    (root / "50_50" / "test.txt").write_text("frame_0001\nframe_9999\n")


def _unreadable_folder(root: Path) -> None:
    (root / "masks").rename(root / "masks-away")
    (root / "masks").write_text("a file where the masks folder should be")


CASES = {
    "truncated png": _truncated,
    "zero-byte mask": _zero_bytes,
    "bit flip in a png": _bit_flip,
    "header claims 100000x100000": _header_bomb,
    "decompression bomb 9000x9000": _real_bomb,
    "symlink loop among images": _link_loop,
    "dangling mask link": _dangling,
    "folder link loop": _folder_loop,
    "complex (H,W,5) npy frame": _odd_npy,
    "instance-labelled mask": _instance_mask,
    "wrong-size mask": _wrong_size_mask,
    "split names a missing frame": _split_names_missing_frame,
    "a file where masks/ goes": _unreadable_folder,
}


def hostile_dataset(root: Path, case: str) -> Path:
    dataset = make_demo_dataset(root, frames=3, size=(32, 40), seed=5)
    CASES[case](dataset)
    return dataset
