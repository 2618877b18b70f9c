"""Reading a project's current labels without its writer lock (jobs run beside the GUI)."""

from __future__ import annotations

import sqlite3
import warnings
from pathlib import Path

from ..core.io.files import read_mask
from ..core.labels.targets import without_targets
from ..core.datasets.pairs import PairSource


class ProjectPairs(PairSource):
    """Frames from the dataset, masks from the project (edited) or the dataset (unedited).

    Reads the mask files directly, so it works while another process holds the
    project's writer lock; safe to send to data-loader worker processes.

    What a person decided travels with the masks (docs/choices.md, "What
    trains"): a target marked rejected is not a target, so its pixels leave
    the mask; its box is a known false alarm (:meth:`hard_negatives`). A frame
    is labelled when the dataset has a mask for it, the project has an edit,
    or the user marked it done (:meth:`labelled_ids`).
    """

    def __init__(self, dataset_dir: str, project_dir: str):
        self.dataset_dir, self.project_dir = str(dataset_dir), str(project_dir)
        self._dataset = None
        self._decisions = None

    def _open(self):
        if self._dataset is None:
            from ..core.datasets.dataset import Dataset

            with warnings.catch_warnings():  # what the layout lacks was said when the project opened it
                warnings.simplefilter("ignore")
                self._dataset = Dataset.open(self.dataset_dir, cache_size=0)
        return self._dataset

    @property
    def dataset(self):
        return self._open()

    def read_frame(self, frame_id: str):
        return self._open().read_frame(frame_id)

    @property
    def frame_ids(self):
        return self._open().frame_ids

    def _edited_path(self, frame_id: str) -> Path:
        return Path(self.project_dir) / "masks" / f"{frame_id}.png"

    def read_mask(self, frame_id: str):
        dataset = self._open()
        edited = self._edited_path(frame_id)
        if edited.exists():
            mask = read_mask(edited, shape=dataset.read_frame(frame_id).shape).mask
        else:
            mask = dataset.read_mask(frame_id).mask
        decisions = self._read_decisions()
        rejected = decisions.rejected.get(frame_id)
        return without_targets(mask, rejected, decisions.anchors.get(frame_id, ())) if rejected else mask

    def hard_negatives(self, frame_id: str) -> list[tuple[int, int, int, int]]:
        return [box for _, box, _ in self._read_decisions().rejected.get(frame_id, ())]

    def labelled_ids(self) -> tuple[str, ...]:
        dataset, done = self._open(), self._read_decisions().done
        return tuple(f for f in dataset.frame_ids
                     if dataset.record(f).mask_path is not None or f in done or self._edited_path(f).exists())

    def _read_decisions(self) -> "Decisions":
        if self._decisions is None:
            self._decisions = read_decisions(Path(self.project_dir) / "project.sqlite")
        return self._decisions

    def __getstate__(self):
        return {"dataset_dir": self.dataset_dir, "project_dir": self.project_dir, "_dataset": None,
                "_decisions": self._decisions}


class Decisions:
    """What the project's store says a person decided: frames marked done, targets rejected.

    ``rejected[frame_id]`` lists ``(anchor, box, parts)`` per rejected target;
    ``anchors[frame_id]`` holds the anchor pixels of the frame's other targets.
    """

    def __init__(self, done=(), rejected=None, anchors=None):
        self.done = frozenset(done)
        self.rejected: dict[str, list] = rejected or {}
        self.anchors: dict[str, set] = anchors or {}


def read_decisions(database: Path) -> Decisions:
    """Done frames and rejected targets from a project database, read-only (none if there is no database yet)."""
    from ..project.rows import frame_id_from_key

    if not database.exists():
        return Decisions()
    db = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30)
    try:
        done = [frame_id_from_key(k) for (k,) in db.execute("SELECT frame_id FROM frames WHERE state = 'done'")]
        rejected: dict[str, list] = {}
        anchors: dict[str, set] = {}
        for key, status, ar, ac, r0, c0, r1, c1, parts in db.execute(
                "SELECT frame_id, status, anchor_r, anchor_c, r0, c0, r1, c1, parts FROM targets "
                "WHERE frame_id IN (SELECT frame_id FROM targets WHERE status = 'rejected')"):
            frame_id = frame_id_from_key(key)
            anchor = (int(ar), int(ac)) if ar is not None else None
            if status == "rejected":
                rejected.setdefault(frame_id, []).append((anchor, (int(r0), int(c0), int(r1), int(c1)), int(parts)))
            elif anchor is not None:
                anchors.setdefault(frame_id, set()).add(anchor)
    finally:
        db.close()
    return Decisions(done, rejected, anchors)
