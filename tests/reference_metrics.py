"""A plain full-frame re-derivation of every figure `core.metrics` reports.

Written for clarity, not speed, and deliberately sharing no code with
`irstlabel.core`: targets come from `skimage.measure.label` on the whole frame,
matchings from `scipy.sparse.csgraph.maximum_bipartite_matching` or plain
loops, histograms from `np.bincount` over every pixel. Property tests compare
the tiled fast path with it figure by figure.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import maximum_bipartite_matching
from skimage.measure import label, regionprops


def predicted_mask(pred: np.ndarray, threshold: float) -> np.ndarray:
    if pred.dtype == bool:
        return pred
    if pred.dtype == np.uint8:
        return pred.astype(np.float64) / 255 > threshold
    return pred > threshold


def levels(pred: np.ndarray) -> np.ndarray:
    """The 256 probability levels ``round(255 p)`` the ROC/PR histograms count."""
    if pred.dtype == bool:
        return np.where(pred, 255, 0)
    if pred.dtype == np.uint8:
        return pred.astype(np.int64)
    return np.clip(np.rint(pred.astype(np.float64) * 255), 0, 255).astype(np.int64)


def components(mask: np.ndarray, connectivity: int = 8):
    """(label image, regionprops) over the whole frame; centroids as (x, y)."""
    labels = label(mask, connectivity=2 if connectivity == 8 else 1)
    props = regionprops(labels)
    centroids = np.array([[p.centroid[1], p.centroid[0]] for p in props]).reshape(-1, 2)
    return labels, props, centroids


def distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    out = np.zeros((len(a), len(b)))
    for i in range(len(a)):
        for j in range(len(b)):
            out[i, j] = round(math.hypot(a[i][0] - b[j][0], a[i][1] - b[j][1]), 9)  # as documented: 1e-9 px
    return out


def maximum_matches(d: np.ndarray, within: float, inclusive: bool = True) -> int:
    """Size of the largest one-to-one matching among pairs within `within`."""
    if d.size == 0:
        return 0
    allowed = d <= within if inclusive else d < within
    matched = maximum_bipartite_matching(csr_matrix(allowed.astype(np.int8)), perm_type="column")
    return int(np.sum(matched >= 0))


def greedy_matches(d: np.ndarray, within: float, inclusive: bool = True) -> int:
    """Nearest pairs first; ties by true index, then predicted index."""
    pairs = sorted((d[i, j], i, j) for i in range(d.shape[0]) for j in range(d.shape[1])
                   if (d[i, j] <= within if inclusive else d[i, j] < within))
    used_true, used_pred = set(), set()
    for _, i, j in pairs:
        if i not in used_true and j not in used_pred:
            used_true.add(i)
            used_pred.add(j)
    return len(used_true)


def first_found(d: np.ndarray, props_pred, within: float = 3.0) -> tuple[int, int]:
    """BasicIRSTD's PD_FA loop: detections and the pixels of unmatched predictions."""
    taken = [False] * d.shape[1]
    detected = 0
    for i in range(d.shape[0]):
        for j in range(d.shape[1]):
            if not taken[j] and d[i, j] < within:
                taken[j] = True
                detected += 1
                break
    return detected, int(sum(p.area for j, p in enumerate(props_pred) if not taken[j]))


def frame_figures(mask_true, pred, *, threshold=0.5, distance=2.0, inclusive=True, matching="hungarian",
                  connectivity=8, curve_distances=()) -> dict:
    """Every count one frame contributes, computed on the whole frame."""
    mask_true = np.asarray(mask_true) != 0
    mask_pred = predicted_mask(np.asarray(pred), threshold)
    tp = int(np.sum(mask_true & mask_pred))
    n_true, n_pred = int(mask_true.sum()), int(mask_pred.sum())
    labels_true, props_true, c_true = components(mask_true, connectivity)
    labels_pred, props_pred, c_pred = components(mask_pred, connectivity)
    target_ious = []
    for k, p in enumerate(props_true, start=1):
        target = labels_true == k
        touching = np.unique(labels_pred[target & mask_pred])
        union_pred = np.isin(labels_pred, touching[touching > 0])
        hit = int(np.sum(target & mask_pred))
        target_ious.append(hit / (int(target.sum()) + int(union_pred.sum()) - hit))
    d = distances(c_true, c_pred)
    match = maximum_matches if matching == "hungarian" else greedy_matches
    legacy_detected, legacy_false = first_found(d, props_pred)
    lv = levels(np.asarray(pred))
    union = n_true + n_pred - tp
    return {
        "pixels": int(mask_true.size), "tp": tp, "fp": n_pred - tp, "fn": n_true - tp,
        "target_ious": target_ious, "image_iou": tp / union if union else None,
        "targets": len(props_true), "predicted": len(props_pred),
        "true_detections": match(d, distance, inclusive),
        "legacy_detections": legacy_detected, "legacy_false_pixels": legacy_false,
        "curve_detections": [match(d, x, inclusive) for x in curve_distances],
        "hist_true": np.bincount(lv[mask_true], minlength=256),
        "hist_false": np.bincount(lv[~mask_true], minlength=256),
    }
