"""Exporting a project: the relabelled dataset in its source layout, a generic copy, or COCO JSON.

The source dataset is never written; the output folder must be new or empty.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from xml.etree import ElementTree

import numpy as np

from ..core.errors import IrstlabelError
from ..core.io.files import write_bytes_atomic, write_mask
from ..core.io.jsonio import to_json
from ..core.io.paths import staged_folder
from ..core.labels.targets import find_targets, first_pixels
from ..core.datasets.voc_xml import boxes_xml, centroids_xml

__all__ = ["export_project", "coco_dict"]

_MASK_FOLDERS = {
    "sirst-v2": ("annotations/masks", "_pixels0"),
    "sirst-v1": ("masks", "_pixels0"),
    "irstd-1k": ("IRSTD1k_Label", ""),
}


def _mask_target(project, out: Path, frame_id: str) -> Path:
    record = project.dataset.record(frame_id)
    root = project.dataset.root
    if record.mask_path is not None:
        relative = Path(os.path.relpath(record.mask_path, root))
        return (out / relative).with_suffix(".png")
    folder, suffix = _MASK_FOLDERS.get(project.dataset.layout, ("masks", ""))
    return out / folder / f"{frame_id}{suffix}.png"


def export_project(project, out, *, layout: str = "source", include_rejected: bool = False, progress=None) -> dict:
    """Write the current labels of every frame; returns a summary.

    ``"source"``: a copy of the dataset in its own layout (split files and
    all) with the current masks in place of the originals, and its box and
    centroid XML rewritten to match. ``"generic"``: ``images/`` and
    ``masks/``. ``"coco"``: ``annotations.json`` with RLE masks, boxes, areas,
    centroids and each target's review ``status`` (written with pycocotools).

    Targets a person rejected are not targets: they are left out of the masks
    and of COCO, unless `include_rejected` (then COCO marks them ``rejected``).
    """
    out = Path(out)
    if layout not in ("source", "generic", "coco"):
        raise IrstlabelError(None, f"unknown export layout '{layout}'; use source, generic or coco")
    with staged_folder(out) as stage:
        summary = _export(project, stage, layout, include_rejected, progress)
    return {**summary, "out": str(out)}


def _export(project, out: Path, layout: str, include_rejected: bool, progress) -> dict:
    dataset = project.dataset
    if layout == "coco":
        data = coco_dict(project, include_rejected=include_rejected)
        (out / "annotations.json").write_text(to_json(data))
        return {"layout": "coco", "frames": len(data["images"]), "targets": len(data["annotations"])}
    skipped: list[str] = []
    if layout == "source":
        skipped = _copy_tree(dataset.root, out)
    edited = 0
    for k, frame_id in enumerate(dataset.frame_ids, 1):
        mask = project.decided_mask(frame_id, include_rejected=include_rejected)
        if layout == "generic":
            image = dataset.record(frame_id).image_path
            (out / "images").mkdir(exist_ok=True)
            (out / "masks").mkdir(exist_ok=True)
            shutil.copy2(image, out / "images" / image.name)
            write_mask(out / "masks" / f"{frame_id}.png", mask)
        else:
            target = _mask_target(project, out, frame_id)
            record = dataset.record(frame_id)
            if record.mask_path is not None and record.mask_path.suffix.lower() != ".png":
                (out / os.path.relpath(record.mask_path, dataset.root)).unlink(missing_ok=True)
            target.parent.mkdir(parents=True, exist_ok=True)
            write_mask(target, mask)
            if project.is_edited(frame_id) or not np.array_equal(mask, project.original_mask(frame_id)):
                _rewrite_annotation_xml(project, out, frame_id, mask)
        edited += project.is_edited(frame_id)
        if progress is not None:
            progress(k, len(dataset))
    summary = {"layout": layout if layout == "generic" else dataset.layout, "frames": len(dataset), "edited": edited}
    if skipped:
        summary["folder_links_not_followed"] = skipped
    return summary


# box and centroid files beside the masks (SIRST-V2): rewritten for edited frames, or they would contradict them
_XML_FOLDERS = {"annotations/bboxes": "boxes", "annotations/centroids": "centroids"}


def _rewrite_annotation_xml(project, out: Path, frame_id: str, mask: np.ndarray) -> None:
    for folder, kind in _XML_FOLDERS.items():
        path = out / folder / f"{frame_id}.xml"
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        try:
            name = ElementTree.fromstring(text).findtext("object/name") or "Target"
            text = (boxes_xml(text, mask, name=name) if kind == "boxes"
                    else centroids_xml(text, project.dataset.read_frame(frame_id), mask, name=name))
        except ElementTree.ParseError as exc:
            raise IrstlabelError(project.dataset.root / folder / f"{frame_id}.xml",
                                 f"cannot be rewritten for the edited mask: not valid XML ({exc})") from None
        write_bytes_atomic(path, text.encode("utf-8"))


def _copy_tree(src: Path, dst: Path) -> list[str]:
    """Copy a dataset folder without following links to folders; returns the links left out.

    Hidden entries (the project folder among them) are left out. A link to a
    file is copied as the file's content; a link to a folder is not followed
    (``images/loop -> ..`` would copy without end); a dangling or looping link
    is an error naming it.
    """
    skipped = []
    for folder, dirs, files in os.walk(src):  # followlinks=False: linked folders are listed, not entered
        here = Path(folder)
        target = dst / here.relative_to(src)
        target.mkdir(parents=True, exist_ok=True)
        skipped += [str((here / d).relative_to(src)) for d in dirs if (here / d).is_symlink() and not d.startswith(".")]
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and not (here / d).is_symlink())
        for name in sorted(files):
            path = here / name
            if name.startswith("."):
                continue
            if not path.exists():
                raise IrstlabelError(path, "dangling or looping symbolic link; fix or remove it before exporting")
            shutil.copy2(path, target / name)
    return skipped


def coco_dict(project, *, include_rejected: bool = False) -> dict:
    """COCO instance annotations of the current masks: one annotation per target, with its review ``status``.

    Rejected targets are left out unless `include_rejected`.
    """
    from pycocotools import mask as mask_utils

    dataset = project.dataset
    images, annotations = [], []
    for image_id, frame_id in enumerate(dataset.frame_ids, 1):
        mask = project.decided_mask(frame_id, include_rejected=include_rejected)
        statuses = project.statuses_by_anchor(frame_id)
        h, w = mask.shape
        images.append({"id": image_id, "file_name": os.path.relpath(dataset.record(frame_id).image_path, dataset.root),
                       "height": h, "width": w, "frame_id": frame_id})
        targets = find_targets(mask)
        anchors = first_pixels(targets)
        for k in range(len(targets)):
            rle = mask_utils.encode(np.asfortranarray(targets.mask_of(k).astype(np.uint8)))
            r0, c0, r1, c1 = (int(v) for v in targets.bbox[k])
            annotations.append({
                "id": len(annotations) + 1, "image_id": image_id, "category_id": 1, "iscrowd": 0,
                "segmentation": {"size": [h, w], "counts": rle["counts"].decode("ascii")},
                "area": int(targets.area[k]), "bbox": [c0, r0, c1 - c0, r1 - r0],
                "centroid": [float(targets.centroid[k][0]), float(targets.centroid[k][1])],
                "status": statuses.get((int(anchors[k][0]), int(anchors[k][1])), "pending"),
            })
    return {"info": {"description": "irstlabel export", "version": "1"}, "images": images,
            "annotations": annotations, "categories": [{"id": 1, "name": "target", "supercategory": "target"}]}
