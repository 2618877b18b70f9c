"""The annotation store: current masks, review state and the edit log (the registry of models and results is
:mod:`.registry`, reached as ``project.registry``).

A project sits beside a dataset (``<dataset>/.irstlabel/`` by default) and
never modifies it. Its folder holds:

* ``masks/<frame_id>.png`` -- the current mask of every edited frame, 0/255,
  written atomically. These files are the source of truth for labels.
* ``project.sqlite`` -- review states, per-target records (area, centroid,
  LPD of the original and current label, source), the append-only edit log,
  checkpoints, prediction sets and evaluation results (WAL, one transaction per
  user action).
* ``predictions/*.h5`` -- the prediction cache (see :mod:`.cache`).
* ``lock`` -- held by the one process that may write.

Examples
--------
>>> import tempfile
>>> from irstlabel.core.datasets.synthetic import make_demo_dataset
>>> root = make_demo_dataset(tempfile.mkdtemp(), frames=2, size=(32, 40))
>>> project = Project.open(root)
>>> frame_id = project.frame_ids[0]
>>> mask = project.load_mask(frame_id)
>>> project.save_mask(frame_id, mask, source="manual").frame_id == frame_id
True
>>> project.close()
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core.datasets.dataset import Dataset
from ..core.errors import IrstlabelError, NotWritable, display_path
from ..core.io.files import encode_mask_png, read_mask, write_bytes_atomic
from ..core.labels.target_records import (FrameTargets, KnownTarget, SavedTargets, frame_targets,
                                   merge_with_saved)
from ..core.io.jsonio import to_json
from ..core.io.paths import PROJECT_FOLDER, refuse_inside
from ..core.labels.targets import without_targets
from .cache import PredictionCache
from .originals import OriginalMasks
from .lock import WriterLock
from .registry import Registry
from .rows import (TARGET_COLUMNS, check_source, decided_target, frame_id_from_key, key_of, previous_kept,
                   target_row)
from .schema import FRAME_STATES, TARGET_STATES, connect, transaction

__all__ = ["Project", "SaveResult", "FRAME_STATES", "TARGET_STATES"]



@dataclass(frozen=True)
class SaveResult:
    frame_id: str
    sha256: str
    targets: list[dict]


class Project:
    """An annotation project over a dataset. Use :meth:`Project.open`."""

    def __init__(self, dataset: Dataset, folder: Path, readonly: bool):
        self.dataset = dataset
        self.folder = folder
        self.readonly = readonly
        self.masks_folder = folder / "masks"
        self._originals = OriginalMasks(lambda frame_id: dataset.read_mask(frame_id).mask)
        self._lock = None
        if not readonly:
            self._lock = WriterLock(folder)
            self._lock.acquire()
        try:
            self.db = connect(folder / "project.sqlite", readonly=readonly)
            self.predictions = PredictionCache(folder / "predictions")
            self.registry = Registry(self.db, folder, readonly=readonly)
            if not readonly:
                self._init_meta()
                self.reconcile()
        except BaseException:
            self.close()
            raise

    @classmethod
    def open(cls, dataset_dir, project_dir=None, *, readonly: bool = False, layout: str = "auto") -> "Project":
        """Open (creating if needed) the project of a dataset.

        Parameters
        ----------
        dataset_dir : path-like
            The dataset folder, in any layout irstlabel reads; never written.
        project_dir : path-like, optional
            Where the project lives (default ``<dataset>/.irstlabel``).
        readonly : bool, keyword-only
            Open without taking the writer lock (reviewing, another process).

        Raises
        ------
        IrstlabelError
            Unreadable dataset, a project folder that cannot be created, or a
            project already open for writing by another live process.
        """
        dataset = Dataset.open(dataset_dir, layout=layout)
        if project_dir is not None and not readonly:
            refuse_inside(project_dir, dataset_dir, what="the project folder")
        folder = Path(project_dir) if project_dir is not None else Path(dataset_dir) / PROJECT_FOLDER
        try:
            for sub in ("masks", "predictions"):
                if not (folder / sub).is_dir():
                    (folder / sub).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise NotWritable(folder, f"project folder cannot be created ({exc.strerror})") from None
        return cls(dataset, folder, readonly)

    # --- life cycle -------------------------------------------------------------------

    def close(self) -> None:
        originals = getattr(self, "_originals", None)
        if originals is not None:
            originals.close()
        db = getattr(self, "db", None)
        if db is not None:
            db.close()
            self.db = None
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _init_meta(self) -> None:
        with transaction(self.db):
            self.db.execute("INSERT OR IGNORE INTO meta VALUES ('dataset', ?)", (str(self.dataset.root.resolve()),))
            self.db.execute("INSERT OR IGNORE INTO meta VALUES ('layout', ?)", (self.dataset.layout,))
            self.db.executemany(
                "INSERT OR IGNORE INTO frames (frame_id) VALUES (?)", [(key_of(i),) for i in self.dataset.frame_ids]
            )

    def reconcile(self) -> int:
        """Bring the database in line with the mask files after a crash; returns fixes made.

        A save writes the PNG and then commits; a crash in between leaves a
        newer file than the log says. Each such file gets a ``recovered`` edit.
        Leftover temporary files of interrupted writes are removed.
        """
        fixes = 0
        for pattern in (".*.tmp", ".*.previous"):  # a crash mid-save: the mask file itself is the truth
            for leftover in self.masks_folder.glob(pattern):
                leftover.unlink(missing_ok=True)
        logged = {frame_id_from_key(k): sha for k, sha in self.db.execute("SELECT frame_id, mask_sha256 FROM frames WHERE edited = 1")}
        for path in self.masks_folder.glob("*.png"):
            frame_id = os.fsdecode(path.stem)
            if frame_id not in self.dataset:
                continue
            sha = hashlib.sha256(path.read_bytes()).hexdigest()
            if logged.get(frame_id) != sha:
                try:
                    mask = read_mask(path, shape=self.dataset.read_frame(frame_id).shape).mask
                except IrstlabelError as exc:  # damaged or wrong-size: flag this frame, open the rest
                    self._flag_damaged(frame_id, sha, str(exc))
                else:
                    self._record(frame_id, sha, "recovered", "file", self._recovered_targets(frame_id, mask))
                fixes += 1
        return fixes

    def _recovered_targets(self, frame_id: str, mask: np.ndarray) -> FrameTargets:
        """Records for a mask file newer than the database: ids and statuses kept where the saved records still fit."""
        saved = self.saved_targets(frame_id)
        targets = self.frame_targets(frame_id, mask, known=list(saved.known), next_id=saved.next_id)
        before = None if saved.known else self.original_mask(frame_id)
        return merge_with_saved(targets, saved, before, mask, source="recovered")

    def _flag_damaged(self, frame_id: str, sha: str, problem: str) -> None:
        with transaction(self.db):
            self.db.execute("UPDATE frames SET state = 'flagged', edited = 1, mask_sha256 = ?, updated = ? WHERE frame_id = ?",
                            (sha, time.time(), key_of(frame_id)))
            self.db.execute("INSERT INTO edits (time, frame_id, action, source, detail, mask_sha256) "
                            "VALUES (?, ?, 'damaged', 'file', ?, ?)",
                            (time.time(), key_of(frame_id), to_json({"problem": problem}), sha))

    def damaged(self, frame_id: str) -> str | None:
        """Why the frame's mask file cannot be used (the one-line error), or None when it can."""
        row = self.db.execute("SELECT action, detail FROM edits WHERE frame_id = ? ORDER BY id DESC LIMIT 1",
                              (key_of(frame_id),)).fetchone()
        if row is None or row[0] != "damaged":
            return None
        return json.loads(row[1]).get("problem")

    # --- masks ------------------------------------------------------------------------

    def _mask_path(self, frame_id: str) -> Path:
        return self.masks_folder / f"{frame_id}.png"

    @property
    def frame_ids(self) -> tuple[str, ...]:
        return self.dataset.frame_ids

    def original_mask(self, frame_id: str) -> np.ndarray:
        """The dataset's own mask (never changed by irstlabel); read-only, kept in a small LRU."""
        return self._originals.get(frame_id)

    def load_frame(self, frame_id: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(image, original mask, current mask)`` of a frame, the two files decoded in parallel.

        The original mask is decoded on a helper thread while this one decodes
        the frame (both decoders release the GIL): a first visit of a
        1280x1024 16-bit frame waits for the slower of the two, not their sum.
        """
        pending = self._originals.get_beside(frame_id)
        image = self.dataset.read_frame(frame_id)
        original = self.original_mask(frame_id) if pending is None else pending.result()
        return image, original, self.load_mask(frame_id)

    def prefetch(self, frame_id: str) -> None:
        """Decode a frame and its original mask into the caches (safe from a helper thread)."""
        try:
            self.dataset.read_frame(frame_id)
            self.original_mask(frame_id)
        except IrstlabelError:
            pass  # the user hears about it when the frame is opened

    def load_mask(self, frame_id: str) -> np.ndarray:
        """The current mask: the edited one if any, else the dataset's."""
        path = self._mask_path(frame_id)
        if path.exists():
            return read_mask(path, shape=self.dataset.read_frame(frame_id).shape).mask
        return self.original_mask(frame_id).copy()

    def decided_mask(self, frame_id: str, *, include_rejected: bool = False) -> np.ndarray:
        """The current mask less the targets a person rejected (what exports and training take as the label).

        A rejected label is not a target; it stays in the project (so it can
        be restored) but leaves the mask. ``include_rejected=True`` gives the
        current mask as it is.
        """
        mask = self.load_mask(frame_id)
        if include_rejected:
            return mask
        rows = self.targets(frame_id)
        rejected = [decided_target(r) for r in rows if r["status"] == "rejected"]
        if not rejected:
            return mask
        keep = [(r["anchor_r"], r["anchor_c"]) for r in rows if r["status"] != "rejected" and r["anchor_r"] is not None]
        return without_targets(mask, rejected, keep)

    def statuses_by_anchor(self, frame_id: str) -> dict[tuple[int, int], str]:
        """Each recorded target's status by its first pixel (row, col); targets without a record are pending."""
        return {(r["anchor_r"], r["anchor_c"]): r["status"] for r in self.targets(frame_id) if r["anchor_r"] is not None}

    def is_edited(self, frame_id: str) -> bool:
        return self._mask_path(frame_id).exists()

    def save_mask(self, frame_id: str, mask: np.ndarray, *, source: str = "manual",
                  targets: FrameTargets | None = None) -> SaveResult:
        """Save a frame's mask: atomic PNG, then one transaction (targets, state, edit log).

        `targets` are the records the editor computed for `mask` (ids,
        statuses, sources): they are stored as they are, the frame is not
        labelled again. Without them (scripts, imports) the mask is labelled
        here: targets keep their ids, statuses and sources across saves
        (:mod:`irstlabel.core.labels.target_records`) and a changed or new one becomes
        ``edited`` from `source`. A mask equal to the dataset's own is not
        kept as a file: the frame is unedited again (its records stay).

        On a write failure (full disk, read-only folder), of the PNG or of the
        database commit after it, the previous mask file is put back and
        IrstlabelError says why; nothing saved before changes.
        """
        self._check_writable()
        source = check_source(source)
        frame = self.dataset.read_frame(frame_id)
        mask = np.asarray(mask)
        if mask.shape != frame.shape:
            raise IrstlabelError(self._mask_path(frame_id), f"mask is {mask.shape[1]}x{mask.shape[0]} but the frame is {frame.shape[1]}x{frame.shape[0]}")
        mask = mask.astype(bool)
        if targets is None:
            targets = self._label_for_saving(frame_id, mask, source)
        elif np.shape(targets.ids) != mask.shape or not np.array_equal(targets.ids > 0, mask):
            raise IrstlabelError(None, "the target id image does not match the mask (a bug: please report it)")
        for record in targets.records:
            if record.source != "dataset":
                check_source(record.source)
        if np.array_equal(mask, self.original_mask(frame_id)):
            return self._revert(frame_id, targets)
        png = encode_mask_png(mask)
        sha = hashlib.sha256(png).hexdigest()
        with previous_kept(self._mask_path(frame_id)):
            write_bytes_atomic(self._mask_path(frame_id), png)
            rows = self._record(frame_id, sha, "save", source, targets)
        return SaveResult(frame_id, sha, rows)

    def _label_for_saving(self, frame_id: str, mask: np.ndarray, source: str) -> FrameTargets:
        saved = self.saved_targets(frame_id)
        try:
            before = self.load_mask(frame_id)
        except IrstlabelError:  # a damaged mask file is being replaced: every target counts as changed
            before = np.zeros_like(mask)
        ids = self.frame_targets(frame_id, before, known=list(saved.known)).ids
        targets = self.frame_targets(frame_id, mask, ids_before=ids, next_id=saved.next_id)
        return merge_with_saved(targets, saved, before, mask, source=source)

    def _revert(self, frame_id: str, targets: FrameTargets) -> SaveResult:
        """The mask is the dataset's again: drop the file (put back if the commit fails), keep the records."""
        path = self._mask_path(frame_id)
        with previous_kept(path):
            path.unlink(missing_ok=True)
            rows = self._record(frame_id, None, "revert", "manual", targets)
        return SaveResult(frame_id, "", rows)

    def save_statuses(self, frame_id: str, targets: FrameTargets) -> None:
        """A status-only write: the records of the saved mask with their statuses; one log entry per decision.

        No mask file is written, the frame's edited flag and review state stay;
        a frame never saved gets its records here (ids and anchors, so its
        targets keep their ids when it is opened again).
        """
        self._check_writable()
        for record in targets.records:
            if record.status not in TARGET_STATES:
                raise IrstlabelError(None, f"unknown target status '{record.status}'; use {', '.join(TARGET_STATES)}")
        old = {r["target"]: r["status"] for r in self.targets(frame_id)}
        key, now = key_of(frame_id), time.time()
        decided = [r for r in targets.records if old.get(r.id, "pending") != r.status]
        with transaction(self.db):
            self._replace_targets(key, [target_row(r) for r in targets.records])
            self.db.executemany("INSERT INTO edits (time, frame_id, action, source, detail) VALUES (?, ?, ?, 'manual', ?)",
                                [(now, key, f"target:{r.status}", to_json({"target": r.id})) for r in decided])

    def _replace_targets(self, key: str, rows: list[dict]) -> None:
        self.db.execute("DELETE FROM targets WHERE frame_id = ?", (key,))
        self.db.executemany(
            f"INSERT INTO targets ({', '.join(TARGET_COLUMNS)}) VALUES ({', '.join('?' * len(TARGET_COLUMNS))})",
            [(key, *(r[c] for c in TARGET_COLUMNS[1:])) for r in rows],
        )

    def frame_targets(self, frame_id: str, mask: np.ndarray, **identity) -> FrameTargets:
        """Target records of `mask` on this frame (:func:`irstlabel.core.labels.target_records.frame_targets`)."""
        return frame_targets(self.dataset.read_frame(frame_id), self.original_mask(frame_id), mask, **identity)

    def saved_targets(self, frame_id: str) -> SavedTargets:
        """The frame's saved targets (one query): their ids back for the same mask, their statuses."""
        rows = self.targets(frame_id)
        known = tuple(KnownTarget(r["target"], (r["r0"], r["c0"], r["r1"], r["c1"]), r["area"],
                                  None if r["anchor_r"] is None else (r["anchor_r"], r["anchor_c"])) for r in rows)
        return SavedTargets(known, {r["target"]: (r["status"], r["source"]) for r in rows})

    def _record(self, frame_id, sha, action, source, targets: FrameTargets) -> list[dict]:
        rows = [target_row(r) for r in targets.records]
        now = time.time()
        key = key_of(frame_id)
        with transaction(self.db):
            self.db.execute(
                "UPDATE frames SET edited = ?, mask_sha256 = ?, updated = ?, "
                "state = CASE state WHEN 'todo' THEN 'in_progress' ELSE state END WHERE frame_id = ?",
                (int(sha is not None), sha, now, key),
            )
            self._replace_targets(key, rows)
            self.db.execute(
                "INSERT INTO edits (time, frame_id, action, source, detail, mask_sha256) VALUES (?, ?, ?, ?, ?, ?)",
                (now, key, action, source, to_json({"targets": len(rows)}), sha),
            )
        return rows

    def _check_writable(self) -> None:
        if self.readonly:
            raise IrstlabelError(self.folder, "project was opened read-only")

    # --- review state -----------------------------------------------------------------

    def frame_state(self, frame_id: str) -> str:
        row = self.db.execute("SELECT state FROM frames WHERE frame_id = ?", (key_of(frame_id),)).fetchone()
        return row[0] if row else "todo"

    def set_frame_state(self, frame_id: str, state: str) -> None:
        self._check_writable()
        if state not in FRAME_STATES:
            raise IrstlabelError(None, f"unknown frame state '{state}'; use {', '.join(FRAME_STATES)}")
        self.dataset.record(frame_id)
        with transaction(self.db):
            self.db.execute("UPDATE frames SET state = ?, updated = ? WHERE frame_id = ?", (state, time.time(), key_of(frame_id)))
            self.db.execute("INSERT INTO edits (time, frame_id, action, source) VALUES (?, ?, ?, 'manual')",
                            (time.time(), key_of(frame_id), f"state:{state}"))

    def targets(self, frame_id: str) -> list[dict]:
        """Per-target records of an edited frame by id (empty for unedited frames).

        Keys: ``target`` (the id), ``area``, ``x``, ``y``, ``r0`` ... ``c1``,
        ``anchor_r``, ``anchor_c``, ``lpd_old``, ``lpd_new``, ``change``,
        ``scr``, ``parts``, ``status``, ``source``.
        """
        cursor = self.db.execute(f"SELECT {', '.join(TARGET_COLUMNS[1:])} FROM targets WHERE frame_id = ? ORDER BY target",
                                 (key_of(frame_id),))
        return [dict(zip(TARGET_COLUMNS[1:], row)) for row in cursor]

    def set_target_status(self, frame_id: str, target: int, status: str) -> None:
        self._check_writable()
        if status not in TARGET_STATES:
            raise IrstlabelError(None, f"unknown target status '{status}'; use {', '.join(TARGET_STATES)}")
        with transaction(self.db):
            updated = self.db.execute("UPDATE targets SET status = ? WHERE frame_id = ? AND target = ?",
                                      (status, key_of(frame_id), target)).rowcount
            if not updated:
                raise IrstlabelError(None, f"frame '{display_path(frame_id)}' has no recorded target {target}")
            self.db.execute("INSERT INTO edits (time, frame_id, action, source, detail) VALUES (?, ?, ?, 'manual', ?)",
                            (time.time(), key_of(frame_id), f"target:{status}", to_json({"target": target})))

    def edit_log(self, frame_id: str | None = None) -> list[dict]:
        query = "SELECT id, time, frame_id, action, source, detail, mask_sha256 FROM edits"
        args = ()
        if frame_id is not None:
            query += " WHERE frame_id = ?"
            args = (key_of(frame_id),)
        keys = ("id", "time", "frame_id", "action", "source", "detail", "mask_sha256")
        rows = [dict(zip(keys, row)) for row in self.db.execute(query + " ORDER BY id", args)]
        for row in rows:
            row["frame_id"] = frame_id_from_key(row["frame_id"])
        return rows

    def frame_summary(self, frame_id: str | None = None) -> list[dict]:
        """One row per frame (or just `frame_id`'s) for the frame list: state, edited, targets, LPD changes."""
        where, args = ("WHERE frame_id = ?", (key_of(frame_id),)) if frame_id is not None else ("", ())
        counts = {frame_id_from_key(row[0]): row[1:] for row in self.db.execute(
            "SELECT frame_id, COUNT(*), SUM(change = 'increased'), SUM(change = 'decreased'), MIN(lpd_new - lpd_old) "
            f"FROM targets {where} GROUP BY frame_id", args)}
        rows = []
        for key, state, edited in self.db.execute(f"SELECT frame_id, state, edited FROM frames {where}", args):
            frame_id = frame_id_from_key(key)
            n, up, down, worst = counts.get(frame_id, (None, 0, 0, None))
            rows.append({"frame_id": frame_id, "state": state, "edited": bool(edited), "targets": n,
                         "lpd_increased": up or 0, "lpd_decreased": down or 0, "lpd_worst_change": worst})
        disagreement = self.registry.frame_disagreement()
        for row in rows:
            found = disagreement.get(row["frame_id"])
            row["model_misses"] = None if found is None else found["misses"]
            row["model_false_alarms"] = None if found is None else found["false_alarms"]
        order = {frame_id: k for k, frame_id in enumerate(self.dataset.frame_ids)}
        rows.sort(key=lambda r: order.get(r["frame_id"], len(order)))
        return rows
