"""What the canvas and the target table show of the session, redone only as far as a change needs.

Each session event and each tool-panel signal maps to the least work: an
opacity tick sets an opacity; a stroke repaints the mask inside its box;
Canny edges are recomputed only when the frame or the thresholds change, the
proposal only when the frame, the selection, the selected target's pixels or
the thresholds change; the prediction map is read from the cache once per
frame and set. ``counts`` tallies that work (tests check it per action).
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from ..core.metrics.evaluation import binarize
from ..core.datasets.predictions import to_levels
from ..core.labels.proposals import canny_edges, propose_target
from .overlays import COLOURS, centroids, heat_lut, mask_index, mask_lut, proposal_index, update_mask_index


PROPOSALS_KEPT = 8


def _luts() -> dict[str, np.ndarray]:
    return {
        "mask": mask_lut(COLOURS["mask"], fill_alpha=90),
        "original": mask_lut(COLOURS["original"], fill_alpha=0),
        "edges": mask_lut(COLOURS["edges"], fill_alpha=255),
        # the proposal: a faint fill and a ring just outside it, so the current mask stays visible under it
        "proposal": np.array([(0, 0, 0, 0), (*COLOURS["proposal"], 25), (*COLOURS["proposal"], 255),
                              (*COLOURS["edges"], 150)], np.uint8),
        "prediction": heat_lut(),
        "prediction_outline": mask_lut((255, 150, 0), fill_alpha=0),
    }


class CanvasView:
    """Keeps the canvas layers, the markers and the target table in step with the session."""

    def __init__(self, session, canvas, state, table, *, counts: Counter, read_prediction, read_threshold=None):
        self.session, self.canvas, self.state, self.table = session, canvas, state, table
        self.counts = counts
        self._read_prediction = read_prediction  # (set name, frame) -> probability map or None
        self._read_threshold = read_threshold or (lambda name: 0.5)  # set name -> its model's threshold
        self._luts = _luts()
        self._mask_index: np.ndarray | None = None
        self._cache: dict = {}  # per frame: edges, prediction, proposal
        session.frame_changed.connect(self._frame_changed)
        session.mask_changed.connect(self._mask_changed)
        session.targets_changed.connect(self._targets_changed)
        session.selection_changed.connect(lambda target_id: self._selection_changed())
        state.visibility_changed.connect(self._visibility_changed)
        state.opacity_changed.connect(self._opacity_changed)
        state.canny_changed.connect(lambda thresholds: self._canny_changed())
        state.prediction_style_changed.connect(lambda style: self._show_prediction())
        state.prediction_set_changed.connect(self._prediction_set_changed)
        state.peeking_changed.connect(canvas.hide_overlays)
        state.levels_mode_changed.connect(lambda mode: self._follow_levels())

    @property
    def prediction_set(self) -> str | None:
        return self.state.prediction_set
    @property
    def frame(self):
        return self.session.frame

    # --- session events ---------------------------------------------------------------

    def _frame_changed(self, frame) -> None:
        self._cache = {}
        self.canvas.show_frame(frame.image)
        self._follow_levels()
        for key in ("mask", "original", "edges", "prediction"):
            self._show(key)
        self._targets_changed()

    def _mask_changed(self, box) -> None:
        if self._mask_index is not None:
            update_mask_index(self._mask_index, self.frame.mask, box)
            self.canvas.refresh_layer("mask", (box[0] - 2, box[1] - 2, box[2] + 2, box[3] + 2))  # with its outline

    def _targets_changed(self) -> None:
        frame = self.frame
        self._markers()
        self.table.set_rows(frame.records(), frame.selected)
        self._show_proposal()

    def _selection_changed(self) -> None:
        frame = self.frame
        record = frame.targets.get(frame.selected)
        self.canvas.select_marker(None if record is None or not self.state.shown("markers") else record.centroid)
        self.table.select_id(frame.selected)
        self._show_proposal()
        self._follow_levels()

    def _follow_levels(self) -> None:
        """Levels from around the selected target (view mode), else from what the view shows, or the whole frame."""
        frame = self.frame
        record = None if frame is None else frame.targets.get(frame.selected)
        self.follow_levels(None if record is None else record.bbox)

    def follow_levels(self, box) -> None:
        """Levels from around `box` (a place the walk stands on), as the levels mode says."""
        self.canvas.set_levels_mode(self.state.levels_mode, box)

    # --- tool panel -------------------------------------------------------------------

    def _visibility_changed(self, key: str, shown: bool) -> None:
        if self.frame is None:
            return
        if key == "markers":
            self._markers()
        elif key == "proposal":
            self._show_proposal()
        elif key == "prediction":
            self._show_prediction()
        else:
            self._show(key)

    def _opacity_changed(self, key: str, opacity: float) -> None:
        if key in self.canvas.layers:
            self.canvas.layers[key].setOpacity(opacity)

    def _canny_changed(self) -> None:
        if self.frame is None:
            return
        self._cache.pop("edges", None)
        self._cache.pop("proposal", None)
        self._show("edges")
        self._show_proposal()

    # --- layers -----------------------------------------------------------------------

    def _show(self, key: str) -> None:
        if key == "prediction":
            self._show_prediction()
            return
        if not self.state.shown(key):
            if key == "mask":
                self._mask_index = None
            self.canvas.set_layer(key, None)
            return
        if key == "mask":
            self._mask_index = mask_index(self.frame.mask)
            index = self._mask_index
        elif key == "original":
            index = mask_index(self.frame.original)
        else:
            index = self.edges().view(np.uint8)
        self.canvas.set_layer(key, index, self._luts[key], opacity=self.state.opacity(key))

    def edges(self) -> np.ndarray:
        """Canny edges of the frame at the panel's thresholds (computed once per frame and thresholds)."""
        if "edges" not in self._cache:
            self.counts["edges"] += 1
            low, high = self.state.canny or (None, None)
            edges, used = canny_edges(self.frame.image, low=low, high=high)
            self.state.set_canny_used(used)
            self._cache["edges"] = edges
        return self._cache["edges"]

    def _prediction_set_changed(self, name: str | None) -> None:
        self._cache.pop("prediction", None)
        if self.frame is not None:
            self._show_prediction()

    def prediction_changed(self) -> None:
        """The cache has new maps (a retrain wrote them): read the frame's again."""
        self._cache.pop("prediction", None)
        if self.frame is not None:
            self._show_prediction()

    def prediction(self) -> np.ndarray | None:
        """The chosen set's map of the frame on screen (one cache read per frame and set), or None."""
        if self.prediction_set is None or self.frame is None:
            return None
        if "prediction" not in self._cache:
            self.counts["prediction_read"] += 1
            self._cache["prediction"] = self._read_prediction(self.prediction_set, self.frame)
        return self._cache["prediction"]

    def prediction_threshold(self) -> float:
        """The threshold the chosen set's model was recorded with (0.5 for sets without one)."""
        return 0.5 if self.prediction_set is None else float(self._read_threshold(self.prediction_set))

    def prediction_mask(self) -> np.ndarray | None:
        """The chosen set's mask of the frame on screen: its map above the set's threshold."""
        probability = self.prediction()
        return None if probability is None else binarize(probability, self.prediction_threshold())

    def _show_prediction(self) -> None:
        probability = self.prediction() if self.frame is not None and self.state.shown("prediction") else None
        if probability is None:
            self.canvas.set_layer("prediction", None)
            self.canvas.set_prediction_markers(None)
            return
        predicted = binarize(probability, self.prediction_threshold())
        if self.state.prediction_style == "outline":
            self.canvas.set_layer("prediction", mask_index(predicted), self._luts["prediction_outline"],
                                  opacity=self.state.opacity("prediction"))
        else:
            self.canvas.set_layer("prediction", to_levels(probability), self._luts["prediction"],
                                  opacity=self.state.opacity("prediction"))
        self.canvas.set_prediction_markers(centroids(predicted))

    def proposal(self):
        """The Canny proposal for the selected target, or None (cached until its inputs change)."""
        frame = self.frame
        record = None if frame is None else frame.targets.get(frame.selected)
        if record is None:
            return None
        return self.proposal_for(lambda: frame.targets.mask_of(record.id),
                                 key=(record.id, record.bbox, record.area, record.anchor))

    def proposal_for(self, target_mask, *, key):
        """The Canny proposal around ``target_mask()`` (a label, or a predicted target), kept by `key`."""
        key = (*key, self.state.canny)
        proposals = self._cache.setdefault("proposal", {})  # the frame's recent proposals: stepping back is free
        if key not in proposals:
            self.counts["proposal"] += 1
            low, high = self.state.canny or (None, None)
            proposals[key] = propose_target(self.frame.image, target_mask(), low=low, high=high)
            self.state.set_canny_used(proposals[key].thresholds)
            while len(proposals) > PROPOSALS_KEPT:
                proposals.pop(next(iter(proposals)))
        return proposals[key]

    def _show_proposal(self) -> None:
        proposal = self.proposal() if self.frame is not None and self.state.shown("proposal") else None
        if proposal is None:
            self.canvas.set_layer("proposal", None)
            return
        index = proposal_index(proposal.mask)
        r0, c0, r1, c1 = proposal.window
        index[r0:r1, c0:c1][proposal.edges & ~proposal.mask[r0:r1, c0:c1]] = 3
        self.canvas.set_layer("proposal", index, self._luts["proposal"], opacity=self.state.opacity("proposal"))

    def _markers(self) -> None:
        frame = self.frame
        records = frame.targets.records if self.state.shown("markers") else ()
        centroids = np.array([r.centroid for r in records], float).reshape(-1, 2)
        selected = next((k for k, r in enumerate(records) if r.id == frame.selected), None)
        self.canvas.set_markers(centroids, [r.id for r in records], selected)

