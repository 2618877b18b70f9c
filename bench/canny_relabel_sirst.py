"""Relabel every SIRST v1 target with an automatic Canny proposal and compare LPD (Table IV).

    python bench/canny_relabel_sirst.py

Each labelled target of ../shared/data/sirst-v1 seeds a proposal (its own mask
as the seed, default settings, no person confirming). Prints the proposals'
IoU with the human labels and the LPD comparison of old and proposed labels.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _table import machine, print_table  # noqa: E402

from irstlabel.core.datasets.dataset import Dataset  # noqa: E402
from irstlabel.core.labels.label_compare import compare_labels, summarize_changes  # noqa: E402
from irstlabel.core.labels.proposals import propose_target  # noqa: E402
from irstlabel.core.labels.targets import find_targets  # noqa: E402

REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "sirst-v1"


def main() -> None:
    if not REAL.is_dir():
        sys.exit(f"real data not found at {REAL}")
    dataset = Dataset.open(REAL)
    ious, changes, seconds = [], [], 0.0
    for frame_id in dataset.frame_ids:
        image = dataset.read_frame(frame_id)
        mask = dataset.read_mask(frame_id).mask
        targets = find_targets(mask)
        proposed = np.zeros_like(mask)
        for k in range(len(targets)):
            own = targets.mask_of(k)
            start = time.perf_counter()
            p = propose_target(image, own).mask
            seconds += time.perf_counter() - start
            ious.append((p & own).sum() / (p | own).sum())
            proposed |= p
        changes += compare_labels(image, mask, proposed, frame_id=frame_id)
    ious = np.array(ious)
    print_table(f"Canny proposals vs SIRST labels, {len(ious)} targets ({machine()})",
                ["median IoU", "mean IoU", "share IoU >= 0.5", "ms per proposal"],
                [[float(np.median(ious)), float(ious.mean()), float((ious >= 0.5).mean()), 1000 * seconds / len(ious)]])
    s = summarize_changes(changes)
    rows = [[name, s["table"][key]["increase"], s["table"][key]["constant"], s["table"][key]["decrease"]]
            for name, key in (("SIRST labels", "old"), ("Canny proposals", "new"))]
    print_table(f"LPD, target by target ({s['targets']} compared, {s['added']} added, {s['removed']} removed)",
                ["labels", "increase", "constant", "decrease"], rows)


if __name__ == "__main__":
    main()
