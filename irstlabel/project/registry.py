"""The project's registry: checkpoints, prediction sets, the default set, evaluations.

One table each in ``project.sqlite`` beside the store's masks and review
state, reached as ``project.registry``. Jobs never write here themselves:
:mod:`irstlabel.jobs.registry` records every job result through this class.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from ..core.errors import IrstlabelError
from ..core.io.jsonio import to_json
from .schema import transaction

__all__ = ["Registry"]


class Registry:
    """Models and results of a project (``db``: its open SQLite connection)."""

    def __init__(self, db, folder: Path, *, readonly: bool):
        self.db, self.folder, self.readonly = db, Path(folder), readonly

    def _check_writable(self) -> None:
        if self.readonly:
            raise IrstlabelError(self.folder, "project was opened read-only")

    def register_checkpoint(self, name: str, path, *, config: dict | None = None, metrics: dict | None = None) -> None:
        self._check_writable()
        with transaction(self.db):
            self.db.execute(
                "INSERT INTO checkpoints (name, path, created, config, metrics) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT(name) DO UPDATE SET path = excluded.path, created = excluded.created, "
                "config = excluded.config, metrics = excluded.metrics",
                (name, str(path), time.time(), to_json(config or {}), to_json(metrics or {})),
            )

    def checkpoints(self) -> list[dict]:
        keys = ("name", "path", "created", "config", "metrics")
        rows = self.db.execute("SELECT name, path, created, config, metrics FROM checkpoints ORDER BY created")
        return [{**dict(zip(keys, r)), "config": json.loads(r[3]), "metrics": json.loads(r[4])} for r in rows]

    def register_prediction_set(self, name: str, kind: str, source: str) -> None:
        self._check_writable()
        with transaction(self.db):
            # a set registered again (a re-run, or early frames then the whole set) keeps its place in the order
            self.db.execute("INSERT INTO prediction_sets VALUES (?, ?, ?, ?) ON CONFLICT(name) DO UPDATE SET "
                            "kind = excluded.kind, source = excluded.source", (name, kind, str(source), time.time()))

    def prediction_sets(self) -> list[dict]:
        keys = ("name", "kind", "source", "created")
        return [dict(zip(keys, r)) for r in self.db.execute("SELECT * FROM prediction_sets ORDER BY created")]

    def default_prediction_set(self) -> str | None:
        """The set that Shift+A, the overlay and review use by default: the one chosen last, else the newest."""
        sets = [s["name"] for s in self.prediction_sets()]
        row = self.db.execute("SELECT value FROM meta WHERE key = 'default_set'").fetchone()
        if row is not None and row[0] in sets:
            return row[0]
        return sets[-1] if sets else None

    def set_default_prediction_set(self, name: str) -> None:
        """Make a registered set the default (a retrain that scored at least as well, or the user's switch)."""
        self._check_writable()
        if name not in {s["name"] for s in self.prediction_sets()}:
            raise IrstlabelError(self.folder, f"no prediction set named '{name}' in this project")
        with transaction(self.db):
            self.db.execute("INSERT INTO meta VALUES ('default_set', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                            (name,))

    def add_evaluation(self, prediction_set: str, split: str, result: dict, *, options: dict | None = None) -> None:
        self._check_writable()
        with transaction(self.db):
            self.db.execute("INSERT INTO evaluations (prediction_set, split, created, options, result) VALUES (?, ?, ?, ?, ?)",
                            (prediction_set, split, time.time(), to_json(options or {}), to_json(result)))

    def frame_disagreement(self) -> dict[str, dict]:
        """Per frame, the misses and false alarms of the default set's latest evaluation over all frames."""
        row = self.db.execute("SELECT result FROM evaluations WHERE split = 'all' AND prediction_set = ? "
                              "ORDER BY id DESC LIMIT 1", (self.default_prediction_set(),)).fetchone() or \
            self.db.execute("SELECT result FROM evaluations WHERE split = 'all' ORDER BY id DESC LIMIT 1").fetchone()
        if row is None:
            return {}
        return {r["frame_id"]: {"misses": r["misses"], "false_alarms": r["false_alarms"]}
                for r in json.loads(row[0]).get("per_frame", [])}

    def evaluations(self) -> list[dict]:
        keys = ("prediction_set", "split", "created", "options", "result")
        rows = self.db.execute("SELECT prediction_set, split, created, options, result FROM evaluations ORDER BY id")
        return [{**dict(zip(keys, r)), "options": json.loads(r[3]), "result": json.loads(r[4])} for r in rows]
