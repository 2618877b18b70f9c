"""How the store's facts sit in files and rows: frame-id keys, target rows, a mask file kept until its commit."""

from __future__ import annotations

import os
from pathlib import Path

from ..core.errors import IrstlabelError, NotWritable
from ..core.io.files import write_bytes_atomic
from ..core.labels.target_records import TargetRecord

__all__ = ["key_of", "frame_id_from_key", "check_source", "decided_target", "TARGET_COLUMNS", "target_row",
           "previous_kept"]


def key_of(frame_id: str) -> str:
    """A frame id as stored in SQLite, which cannot hold undecodable file-name bytes.

    Ids that are valid UTF-8 are stored as they are; others as NUL (which no
    file name contains) followed by the hex of their bytes.
    """
    try:
        frame_id.encode("utf-8")
        return frame_id
    except UnicodeEncodeError:
        return "\0" + frame_id.encode("utf-8", "surrogateescape").hex()


def frame_id_from_key(key: str) -> str:
    return bytes.fromhex(key[1:]).decode("utf-8", "surrogateescape") if key.startswith("\0") else key




def decided_target(row: dict):
    anchor = None if row["anchor_r"] is None else (row["anchor_r"], row["anchor_c"])
    return anchor, (row["r0"], row["c0"], row["r1"], row["c1"]), row["parts"]


def check_source(source: str) -> str:
    if source in ("manual", "canny", "import") or (source.startswith("prediction:") and len(source) > 11):
        return source
    raise IrstlabelError(None, f"unknown mask source '{source}'; use manual, canny or prediction:<set>")


TARGET_COLUMNS = ("frame_id", "target", "area", "x", "y", "r0", "c0", "r1", "c1", "anchor_r", "anchor_c",
                   "lpd_old", "lpd_new", "change", "scr", "parts", "status", "source")


def target_row(record: TargetRecord) -> dict:
    r0, c0, r1, c1 = record.bbox
    return {"target": record.id, "area": record.area, "x": record.centroid[0], "y": record.centroid[1],
            "r0": r0, "c0": c0, "r1": r1, "c1": c1, "anchor_r": record.anchor[0], "anchor_c": record.anchor[1],
            "lpd_old": record.lpd_old, "lpd_new": record.lpd_new, "change": record.change,
            "scr": record.scr, "parts": record.parts,
            "status": record.status, "source": record.source}


class previous_kept:
    """Keep a mask file's previous version (a hard link, no space needed) and put it back on failure."""

    def __init__(self, path: Path):
        self.path = path
        self.backup = path.with_name(f".{path.name}.previous")
        self.previous: bytes | None = None

    def __enter__(self):
        try:
            self.backup.unlink(missing_ok=True)
            if self.path.exists():
                try:
                    os.link(self.path, self.backup)
                except OSError:  # no hard links here: keep the bytes instead
                    self.previous = self.path.read_bytes()
        except OSError as exc:  # e.g. the masks folder is gone or is a file: nothing is written
            raise NotWritable(self.path.parent, f"masks folder cannot be written ({exc.strerror or exc})") from None
        return self

    def __exit__(self, kind, value, traceback):
        try:
            if kind is not None:
                if self.backup.exists():
                    if not (self.path.exists() and os.path.samefile(self.path, self.backup)):  # it was replaced
                        os.replace(self.backup, self.path)
                elif self.previous is not None and self.path.read_bytes() != self.previous:
                    write_bytes_atomic(self.path, self.previous)
                else:
                    self.path.unlink(missing_ok=True)  # there was none before
        finally:
            self.backup.unlink(missing_ok=True)
        return False
