"""Statistics plots (the paper's Fig. 8) as PNG files, with matplotlib's Agg backend.

Outside the layers: it only reads the dictionaries that
:func:`irstlabel.core.datasets.stats.dataset_statistics` returns.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .core.datasets.stats import SHARE_BINS_PERCENT

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


# (key, title, x curve, y curve, x label, y label) of the evaluation plots; every axis in percent
# except the distance d, as the Results table shows its figures in percent.
CURVE_PLOTS = (
    ("pr", "PR", "recall", "precision", "recall (%)", "precision (%)"),
    ("roc", "ROC", "fpr", "tpr", "false positive rate (%)", "true positive rate (%)"),
    ("pd", "Pd(d)", "distance", "pd", "d (pixels)", "Pd (%)"),
    ("pa", "Pa(d)", "distance", "pa", "d (pixels)", "Pa (%)"),
)


def curve_points(curves: dict, x: str, y: str) -> tuple[np.ndarray, np.ndarray] | None:
    """The (x, y) points of one curve of an evaluation, in display units (percent; d in pixels)."""
    if x not in curves or y not in curves:
        return None
    xs, ys = np.asarray(curves[x], float), np.asarray(curves[y], float)
    return (xs if x == "distance" else 100 * xs), 100 * ys


def evaluation_plots(evaluations: dict[str, dict], out, *, size_inches=(3.5, 2.8), dpi: int = 300) -> list[Path]:
    """PR, ROC, Pd(d) and Pa(d) of every prediction set as PNGs for a paper.

    `evaluations` maps a set's name to its evaluation result (with
    ``curves``). Plots are single-column size (3.5 in wide) at 300 dpi on a
    white background, one line per set, axes in percent.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for key, title, x, y, x_label, y_label in CURVE_PLOTS:
        figure, axes = plt.subplots(figsize=size_inches, dpi=dpi, facecolor="white")
        for name, result in evaluations.items():
            points = curve_points(result.get("curves", {}), x, y)
            if points is not None:
                axes.plot(*points, marker="o" if x == "distance" else None, markersize=3, linewidth=1.2, label=name)
        axes.set_title(title, fontsize=9)
        axes.set_xlabel(x_label, fontsize=8)
        axes.set_ylabel(y_label, fontsize=8)
        axes.tick_params(labelsize=7)
        axes.grid(alpha=0.3)
        if evaluations:
            axes.legend(fontsize=6)
        figure.tight_layout()
        path = out / f"{key}.png"
        figure.savefig(path, facecolor="white")
        plt.close(figure)
        written.append(path)
    return written
