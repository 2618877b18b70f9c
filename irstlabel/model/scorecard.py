"""How a model does on data it never trained on: per-set figures for the generalisation table.

The check sets (:func:`check_sets`) are SIRST v1's test split, NUDT-SIRST's
test half, synthetic high-resolution frames with small targets in sky,
ground, sea and cloud scenes, and synthetic target-free frames of the same
sizes. None of them trains or chooses a model (the starter's synthetic
training and validation frames use other seeds). :func:`score_set` predicts a
set through the one prediction path and reports Pd, Pa, F1-T, IoU, nIoU,
false alarms per target-free frame and frames per second.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

from ..core.datasets.dataset import Dataset
from ..core.datasets.pairs import DatasetPairs, PairSource
from ..core.datasets.synthetic_sets import HR_SIZES, make_scene_set
from ..core.metrics.evaluation import Evaluator, MetricOptions

__all__ = ["CHECK_SEEDS", "check_sets", "score_set", "score_models", "table_rows"]

CHECK_SEEDS = {"synthetic-hr": 9001, "target-free": 9002}  # the starter's training sets use other seeds


def _synthetic(folder: Path, name: str, frames: int) -> Path:
    out = folder / name
    marker = out / ".complete"
    if not marker.exists():
        make_scene_set(out, frames=frames, seed=CHECK_SEEDS[name], sizes=HR_SIZES,
                       target_free=1.0 if name == "target-free" else 0.0)
        marker.write_text(f"{frames} frames\n")
    return out


def check_sets(*, sirst: str | None, nudt: str | None, work: str | Path, synthetic_frames: int = 24
               ) -> dict[str, tuple[PairSource, tuple[str, ...]]]:
    """The check sets that are available: name -> (source, frame ids).

    `sirst` and `nudt` are the datasets' folders (None leaves a set out);
    synthetic sets are written into `work` once (deterministic) and reused.
    """
    sets: dict[str, tuple[PairSource, tuple[str, ...]]] = {}
    for name, root in (("sirst-v1 test", sirst), ("nudt-sirst test", nudt)):
        if root:
            sets[name] = (DatasetPairs(root), tuple(Dataset.open(root).split("test")))
    for name in ("synthetic-hr", "target-free"):
        source = DatasetPairs(str(_synthetic(Path(work), name, synthetic_frames)))
        sets[name] = (source, tuple(source.frame_ids))
    return sets


def score_set(predictor, source: PairSource, frame_ids, *, distance: float = 2.0,
              progress: Callable[[int, int], None] | None = None) -> dict:
    """Figures of `predictor` on frames: pixel IoU and nIoU, Pd, Pa, F1-T, false alarms per target-free frame, fps.

    fps counts prediction only (reading the frames is left out); Pd, Pa and
    F1-T are None on a set without targets, where the false alarms per frame
    are the figure.
    """
    evaluator = Evaluator(MetricOptions(threshold=predictor.threshold, distance=distance, curve_bins=0), keep_frames=False)
    predicting, free_frames, free_alarms = 0.0, 0, 0
    frame_ids = list(frame_ids)
    for done, frame_id in enumerate(frame_ids, start=1):
        image, mask = source.read(frame_id)
        started = time.perf_counter()
        levels = predictor.levels(image)
        predicting += time.perf_counter() - started
        counts = evaluator.add(mask, levels, frame_id=frame_id)
        if counts.targets == 0:
            free_frames += 1
            free_alarms += counts.predicted
        if progress is not None:
            progress(done, len(frame_ids))
    result = evaluator.result()
    has_targets = free_frames < len(frame_ids)
    return {
        "frames": len(frame_ids), "target_free_frames": free_frames,
        "iou": result.pixel["iou"] if has_targets else None, "niou": result.pixel["niou"] if has_targets else None,
        "pd": result.target["pd"] if has_targets else None, "pa": result.target["pa"] if has_targets else None,
        "f1_t": result.target["f1"] if has_targets else None,
        "false_alarms_per_free_frame": free_alarms / free_frames if free_frames else None,
        "fps": len(frame_ids) / predicting if predicting > 0 else None,
        "targets": result.target["targets"],
        "evaluation": {"pixel": result.pixel, "target": result.target},  # as `irstlabel eval` reports them
    }


def score_models(models: dict, sets: dict, *, backend: str | None = None,
                 progress: Callable[[str], None] | None = None) -> dict:
    """``{model name: {set name: score_set(...)}}`` for checkpoints at their own inference settings."""
    from .predict import Predictor

    table: dict[str, dict] = {}
    for model_name, path in models.items():
        predictor = Predictor.from_checkpoint(path, device="cpu", backend=backend)
        table[model_name] = {"inference": predictor.settings.describe(), "backend": predictor.backend}
        for set_name, (source, ids) in sets.items():
            table[model_name][set_name] = score_set(predictor, source, ids)
            if progress is not None:
                progress(f"{model_name} on {set_name}: {table[model_name][set_name]}")
    return table


def _pct(value) -> str:
    return "-" if value is None else f"{100 * value:.1f}"


def table_rows(table: dict) -> list[list[str]]:
    """Rows (model, set, frames, Pd, Pa, F1-T, IoU, nIoU, false alarms per target-free frame, fps), in %."""
    rows = []
    for model_name, scores in table.items():
        for set_name, s in scores.items():
            if not isinstance(s, dict):
                continue
            alarms = s["false_alarms_per_free_frame"]
            rows.append([model_name, set_name, str(s["frames"]), _pct(s["pd"]), _pct(s["pa"]), _pct(s["f1_t"]),
                         _pct(s["iou"]), _pct(s["niou"]), "-" if alarms is None else f"{alarms:.2f}",
                         "-" if s["fps"] is None else f"{s['fps']:.1f}"])
    return rows
