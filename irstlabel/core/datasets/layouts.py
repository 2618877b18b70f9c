"""The dataset folder layouts irstlabel reads, and how each is indexed.

A layout knows how to recognise its folder, where frames and masks live, how
mask files are named, and which split files it defines. Indexing only lists
folders and reads split files: no image is decoded.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..errors import IrstlabelError, display_path
from ..io.files import FRAME_EXTENSIONS

__all__ = ["FrameRecord", "Index", "LAYOUTS", "find_layout", "detect_layout", "index_dataset"]

MASK_SUFFIXES = ("", "_pixels0")  # SIRST ships <id>_pixels0.png; most others <id>.png


@dataclass(frozen=True)
class FrameRecord:
    """One frame of a dataset: its id and where its image and mask are."""

    id: str
    image_path: Path
    mask_path: Path | None


@dataclass
class Index:
    """What indexing a dataset folder found."""

    layout: str
    frames: list[FrameRecord]
    splits: dict[str, tuple[str, ...]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)  # one line each, naming the folder or file


def list_image_files(folder: Path, extensions=FRAME_EXTENSIONS) -> dict[str, str]:
    """Map stem -> file name for the image files in `folder` (hidden files skipped)."""
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        raise IrstlabelError(folder, "folder not found") from None
    except NotADirectoryError:
        raise IrstlabelError(folder, "is a file, not a folder") from None
    except OSError as exc:
        raise IrstlabelError(folder, f"folder cannot be read ({exc.strerror or exc})") from None
    found: dict[str, str] = {}
    for entry in entries:
        name = entry.name
        stem, ext = os.path.splitext(name)
        if name.startswith(".") or ext.lower() not in extensions or not _is_file(folder, entry):
            continue
        if stem in found:
            raise IrstlabelError(
                folder / name, f"two files share the frame id '{display_path(stem)}' ({display_path(found[stem])})"
            )
        found[stem] = name
    return found


def _is_file(folder: Path, entry: os.DirEntry) -> bool:
    """A regular file, or a link to one; a link that leads nowhere (dangling, a loop) is an error naming it."""
    try:
        if entry.is_file():
            return True
    except OSError as exc:  # ELOOP: links pointing at each other
        raise IrstlabelError(folder / entry.name, f"symbolic link cannot be followed ({exc.strerror})") from None
    if entry.is_symlink() and not os.path.exists(entry.path):
        raise IrstlabelError(folder / entry.name, "dangling symbolic link (it points to nothing)")
    return False


def _strip_extension(line: str) -> str:
    stem, ext = os.path.splitext(line)
    return stem if ext.lower() in FRAME_EXTENSIONS else line


def read_split_file(path: Path, known_ids) -> tuple[str, ...]:
    """Read a split file (one frame id per line) and check each id exists.

    Lines are stripped of surrounding white space and of an image extension;
    blank lines are skipped; bytes that are not UTF-8 are kept as surrogate
    escapes so that they match file names read from the same disk.
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise IrstlabelError(path, "split file not found") from None
    except OSError as exc:
        raise IrstlabelError(path, f"split file cannot be read ({exc.strerror or exc})") from None
    text = raw.decode("utf-8-sig", "surrogateescape")
    ids = tuple(_strip_extension(line.strip()) for line in text.splitlines() if line.strip())
    missing = [frame_id for frame_id in ids if frame_id not in known_ids]
    if missing:
        shown = ", ".join(repr(display_path(m)) for m in missing[:3])
        more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
        raise IrstlabelError(path, f"lists frames missing on disk: {shown}{more}")
    return ids


def _records(images_dir: Path, masks_dir: Path | None, mask_suffixes=MASK_SUFFIXES) -> list[FrameRecord]:
    images = list_image_files(images_dir)
    if not images:
        raise IrstlabelError(images_dir, "no image files found (expected .png, .bmp, .jpg, .tif or .npy)")
    masks = list_image_files(masks_dir) if masks_dir is not None and masks_dir.is_dir() else {}
    records = []
    for frame_id in sorted(images, key=natural_key):
        mask_name = next((masks[frame_id + s] for s in mask_suffixes if frame_id + s in masks), None)
        records.append(
            FrameRecord(
                frame_id,
                images_dir / images[frame_id],
                None if mask_name is None else masks_dir / mask_name,
            )
        )
    return records


def natural_key(text: str):
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


def _splits_from_files(files: dict[str, Path], known) -> dict[str, tuple[str, ...]]:
    return {name: read_split_file(path, known) for name, path in files.items()}


# --- the layouts ---------------------------------------------------------------


def _index_sirst_v2(root: Path) -> Index:
    frames = _records(root / "images" / "targets", root / "annotations" / "masks")
    backgrounds = root / "images" / "backgrounds"
    if backgrounds.is_dir():
        frames += [FrameRecord(r.id, r.image_path, None) for r in _records(backgrounds, None)]
    known = {r.id for r in frames}
    split_dir = root / "splits"
    files = {p.stem: p for p in sorted(split_dir.glob("*.txt"))} if split_dir.is_dir() else {}
    return Index("sirst-v2", frames, _splits_from_files(files, known))


def _present_splits(files: dict[str, Path], conventional: tuple[str, ...], where: Path, pattern: str,
                    warnings: list[str]) -> dict[str, Path]:
    """The split files that exist; a warning for each conventional split that does not.

    Many public downloads hold only some splits (often only the test split): a
    dataset opens with whatever subset it has.
    """
    present = {name: path for name, path in files.items() if path.is_file()}
    absent = [name for name in conventional if name not in present]
    for name in absent:
        found = ", ".join(sorted(p.name for p in present.values())) or "none"
        warnings.append(f"{display_path(where)}: no {name} split ({pattern.format(name=name)} not found; "
                        f"split files here: {found})")
    return present


def _index_images_masks_splits(root: Path, layout: str, split_dir: Path, conventional: tuple[str, ...]) -> Index:
    """images/ + masks/ with split files in `split_dir`, some of them conventional."""
    frames = _records(root / "images", root / "masks")
    files = {name: split_dir / f"{name}.txt" for name in conventional}
    files.update({p.stem: p for p in sorted(split_dir.glob("*.txt"))})
    warnings: list[str] = []
    files = _present_splits(files, conventional, split_dir, "{name}.txt", warnings)
    return Index(layout, frames, _splits_from_files(files, {r.id for r in frames}), warnings)


def _index_sirst_v1(root: Path) -> Index:
    return _index_images_masks_splits(root, "sirst-v1", root / "idx_427", ("trainval", "test"))


def _index_basicirstd(root: Path) -> Index:
    frames = _records(root / "images", root / "masks")
    known = {r.id for r in frames}
    idx = root / "img_idx"
    files = {p.stem: p for p in sorted(idx.glob("*.txt"))}
    warnings: list[str] = []
    for part in ("train", "test"):
        named = [stem for stem in files if stem.startswith(part + "_")]
        if not named:
            found = ", ".join(sorted(p.name for p in files.values())) or "none"
            warnings.append(f"{display_path(idx)}: no {part} split (no {part}_*.txt file; split files here: {found})")
        if len(named) == 1:  # train_NUAA-SIRST.txt is also reachable as "train"
            files[part] = files[named[0]]
    return Index("basicirstd", frames, _splits_from_files(files, known), warnings)


def _dnanet_split_dir(root: Path) -> Path | None:
    candidates = sorted(p for p in root.iterdir() if p.is_dir() and re.fullmatch(r"\d+_\d+", p.name))
    return candidates[0] if candidates else None


def _index_dnanet(root: Path) -> Index:
    return _index_images_masks_splits(root, "dnanet", _dnanet_split_dir(root), ("train", "test"))


def _index_irstd1k(root: Path) -> Index:
    frames = _records(root / "IRSTD1k_Img", root / "IRSTD1k_Label")
    known = {r.id for r in frames}
    warnings: list[str] = []
    files = _present_splits({"trainval": root / "trainval.txt", "test": root / "test.txt"}, ("trainval", "test"),
                            root, "{name}.txt", warnings)
    return Index("irstd-1k", frames, _splits_from_files(files, known), warnings)


def _index_generic(root: Path) -> Index:
    return Index("generic", _records(root / "images", root / "masks"), {})


@dataclass(frozen=True)
class Layout:
    name: str
    description: str
    detect: Callable[[Path], bool]
    index: Callable[[Path], Index]


def _has(root: Path, *parts: str) -> bool:
    return all((root / p).is_dir() for p in parts)


LAYOUTS: dict[str, Layout] = {
    layout.name: layout
    for layout in (
        Layout(
            "sirst-v2",
            "images/targets/, annotations/masks/<id>_pixels0.png, splits/*.txt",
            lambda r: _has(r, "images/targets", "annotations/masks"),
            _index_sirst_v2,
        ),
        Layout(
            "irstd-1k",
            "IRSTD1k_Img/, IRSTD1k_Label/, trainval.txt, test.txt",
            lambda r: _has(r, "IRSTD1k_Img"),
            _index_irstd1k,
        ),
        Layout(
            "sirst-v1",
            "images/, masks/<id>_pixels0.png, idx_427/{trainval,test}.txt",
            lambda r: _has(r, "images", "idx_427"),
            _index_sirst_v1,
        ),
        Layout(
            "basicirstd",
            "images/, masks/, img_idx/{train,test}_<name>.txt",
            lambda r: _has(r, "images", "img_idx"),
            _index_basicirstd,
        ),
        Layout(
            "dnanet",
            "images/, masks/, 50_50/{train,test}.txt",
            lambda r: _has(r, "images") and _dnanet_split_dir(r) is not None,
            _index_dnanet,
        ),
        Layout(
            "generic",
            "images/ and masks/ with matching file names, no split",
            lambda r: _has(r, "images"),
            _index_generic,
        ),
    )
}


def find_layout(root: str | os.PathLike) -> str | None:
    """Name the layout of a folder, or None when it is a folder of no known layout.

    Missing, unreadable or non-folder paths raise :class:`IrstlabelError`.
    """
    root = Path(root)
    if not root.exists():
        raise IrstlabelError(root, "dataset folder not found")
    if not root.is_dir():
        raise IrstlabelError(root, "is a file, not a dataset folder")
    try:
        return next((layout.name for layout in LAYOUTS.values() if layout.detect(root)), None)
    except PermissionError as exc:
        raise IrstlabelError(root, f"folder cannot be read ({exc.strerror})") from None


def detect_layout(root: str | os.PathLike) -> str:
    """Name the layout of a dataset folder, or raise :class:`IrstlabelError`."""
    found = find_layout(root)
    if found is not None:
        return found
    known = "; ".join(f"{l.name}: {l.description}" for l in LAYOUTS.values())
    raise IrstlabelError(Path(root), f"not a dataset folder of a known layout ({known})")


def index_dataset(root: str | os.PathLike, layout: str = "auto") -> Index:
    """Index a dataset folder in the given layout (``"auto"`` detects it)."""
    root = Path(root)
    if layout == "auto":
        layout = detect_layout(root)
    elif layout not in LAYOUTS:
        raise IrstlabelError(None, f"unknown layout '{layout}'; valid layouts: {', '.join(LAYOUTS)}")
    return LAYOUTS[layout].index(root)
