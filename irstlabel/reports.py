"""Statistics plots (the paper's Fig. 8) as PNG files, with matplotlib's Agg backend.

Outside the layers: it only reads the dictionaries that
:func:`irstlabel.core.stats.dataset_statistics` returns.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .core.stats import SHARE_BINS_PERCENT

SCR_BINS = (0, 1, 2, 3, 5, 7, 10, 15, 20, 30, 50, np.inf)
AREA_BINS = (0, 4, 9, 16, 25, 50, 100, 200, 400, 800, 1600, np.inf)


def _label(edges, k) -> str:
    lo, hi = edges[k], edges[k + 1]
    return f">{lo:g}" if np.isinf(hi) else f"{lo:g}-{hi:g}"


def statistics_plots(summaries: dict[str, dict], out) -> list[Path]:
    """SCR, target size and target share histograms, one PNG each, datasets side by side."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    quantities = (
        ("scr", "target SCR", SCR_BINS, lambda s: [r["scr"] for r in s["records"] if np.isfinite(r["scr"])]),
        ("size", "target pixels", AREA_BINS, lambda s: [r["area"] for r in s["records"]]),
        ("share", "share of the frame covered by targets (%)", SHARE_BINS_PERCENT, lambda s: s["frame_shares"]),
    )
    written = []
    for key, title, edges, values in quantities:
        figure, axes = plt.subplots(figsize=(8, 4), dpi=100)
        width = 0.8 / max(len(summaries), 1)
        for d, (name, summary) in enumerate(summaries.items()):
            data = np.asarray(values(summary), float)
            counts = np.histogram(data, bins=np.asarray(edges, float))[0] if data.size else np.zeros(len(edges) - 1)
            share = counts / max(counts.sum(), 1)
            axes.bar(np.arange(len(share)) + d * width, share, width=width, label=name)
        axes.set_xticks(np.arange(len(edges) - 1) + 0.4 - width / 2)
        axes.set_xticklabels([_label(edges, k) for k in range(len(edges) - 1)], rotation=30, fontsize=8)
        axes.set_xlabel(title)
        axes.set_ylabel("share")
        axes.legend(fontsize=8)
        figure.tight_layout()
        path = out / f"{key}.png"
        figure.savefig(path)
        plt.close(figure)
        written.append(path)
    return written
