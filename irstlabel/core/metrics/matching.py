"""Matching predicted targets to true targets by centroid distance.

Two conventions:

* the paper's (Section V-B): a predicted target is a true detection when its
  centroid lies within ``d`` pixels of a true target's centroid, each target
  matched at most once. How the one-to-one matching is made is not said; we
  offer ``"hungarian"`` (default: the largest number of pairs, ties broken by
  the smallest total distance, via :func:`scipy.optimize.linear_sum_assignment`)
  and ``"greedy"`` (nearest pairs first).
* BasicIRSTD's ``PD_FA`` (the legacy figures): each true target in label order
  takes the first unmatched predicted target, in label order, whose centroid is
  strictly closer than 3 pixels (:func:`match_first_found`).
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment

__all__ = ["MATCHING_METHODS", "centroid_distances", "match_targets", "match_first_found"]

MATCHING_METHODS = ("hungarian", "greedy")
_UNMATCHABLE = 1e12


DISTANCE_DECIMALS = 9  # distances are compared with the threshold at 1e-9 px


def centroid_distances(centroids_true: np.ndarray, centroids_pred: np.ndarray) -> np.ndarray:
    """Euclidean distances, shape ``(n_true, n_pred)``, between ``(x, y)`` centroids, rounded to 1e-9 px.

    Two targets of the same shape one pixel apart are exactly 1 px apart, but
    their centroids (means of many coordinates) carry rounding errors that
    depend on the order of summation: unrounded, such a pair would be "within
    1 px" or not by the last bit. Rounding makes the comparison with ``d`` the
    exact one wherever the distance is (as it is here) a multiple of 1e-9.
    """
    a = np.asarray(centroids_true, float).reshape(-1, 2)
    b = np.asarray(centroids_pred, float).reshape(-1, 2)
    return np.round(np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(axis=2)), DISTANCE_DECIMALS)


def _within(distances: np.ndarray, distance: float, inclusive: bool) -> np.ndarray:
    return distances <= distance if inclusive else distances < distance


def match_targets(
    distances: np.ndarray,
    *,
    distance: float = 2.0,
    inclusive: bool = True,
    method: str = "hungarian",
) -> np.ndarray:
    """One-to-one matches between true and predicted targets.

    Parameters
    ----------
    distances : ndarray, (n_true, n_pred)
        From :func:`centroid_distances`.
    distance : float, keyword-only
        The paper's ``d`` (2 by default).
    inclusive : bool, keyword-only
        ``True``: a pair matches when its distance is ``<= d`` ("within d
        pixels"); ``False``: strictly ``< d``.
    method : {"hungarian", "greedy"}, keyword-only

    Returns
    -------
    ndarray of int, (n_matches, 2)
        ``(true_index, pred_index)`` rows, sorted by true index.

    Examples
    --------
    >>> d = np.array([[1.0, 1.5], [1.2, 9.0]])
    >>> match_targets(d, method="hungarian").tolist()
    [[0, 1], [1, 0]]
    >>> match_targets(d, method="greedy").tolist()
    [[0, 0]]
    """
    if method not in MATCHING_METHODS:
        raise ValueError(f"unknown matching method '{method}'; valid: {', '.join(MATCHING_METHODS)}")
    if distance < 0:
        raise ValueError(f"distance must be >= 0, got {distance}")
    distances = np.asarray(distances, float)
    allowed = _within(distances, distance, inclusive)
    if not allowed.any():
        return np.zeros((0, 2), np.int64)
    if allowed.sum(axis=0).max() == 1 and allowed.sum(axis=1).max() == 1:
        # no target competes for another's partner: every allowed pair is a match
        rows, cols = np.nonzero(allowed)
        return np.stack([rows, cols], axis=1).astype(np.int64)
    if method == "greedy":
        pairs = _greedy(distances, allowed)
    else:
        rows_used = np.flatnonzero(allowed.any(axis=1))
        cols_used = np.flatnonzero(allowed.any(axis=0))
        sub = distances[np.ix_(rows_used, cols_used)]
        cost = np.where(allowed[np.ix_(rows_used, cols_used)], sub, _UNMATCHABLE)
        rows, cols = linear_sum_assignment(cost)
        keep = cost[rows, cols] < _UNMATCHABLE
        pairs = np.stack([rows_used[rows[keep]], cols_used[cols[keep]]], axis=1)
    return pairs[np.argsort(pairs[:, 0], kind="stable")].astype(np.int64)


def _greedy(distances: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    rows, cols = np.nonzero(allowed)
    order = np.lexsort((cols, rows, distances[rows, cols]))
    used_true, used_pred, pairs = set(), set(), []
    for k in order:
        i, j = int(rows[k]), int(cols[k])
        if i not in used_true and j not in used_pred:
            used_true.add(i)
            used_pred.add(j)
            pairs.append((i, j))
    return np.array(pairs, np.int64).reshape(-1, 2)


def match_first_found(distances: np.ndarray, *, distance: float = 3.0) -> np.ndarray:
    """BasicIRSTD's matching: first unmatched prediction strictly within `distance`.

    True targets are visited in label order; each takes the first predicted
    target (in label order) not yet taken whose centroid distance is
    ``< distance``. Returns ``(true_index, pred_index)`` rows.
    """
    distances = np.asarray(distances, float)
    taken = np.zeros(distances.shape[1], bool)
    pairs = []
    for i in range(distances.shape[0]):
        candidates = np.flatnonzero((distances[i] < distance) & ~taken)
        if candidates.size:
            taken[candidates[0]] = True
            pairs.append((i, int(candidates[0])))
    return np.array(pairs, np.int64).reshape(-1, 2)
