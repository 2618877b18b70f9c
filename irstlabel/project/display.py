"""What the workspace shows and which tool is in hand: a Qt-free model with one event per field.

The tool panel, the set drop-down, the actions and the canvas are views of a
:class:`DisplayState`: a widget the user changes writes the state, and every
view (that widget included) follows the state's event. No view reads another
widget. A setter emits only when the value changes, so a view that writes
back what it was told ends the loop there. Settings persist through
:meth:`DisplayState.settings` and :meth:`DisplayState.restore`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .session import Signal

__all__ = ["DisplayState", "OVERLAYS", "TOOLS", "STROKE_TOOLS", "BRUSH_TOOLS", "LEVELS_MODES",
           "PREDICTION_STYLES", "WAND_MODES", "BRUSH_RANGE"]

OVERLAYS = ("mask", "original", "edges", "proposal", "prediction", "markers")
TOOLS = ("select", "brush", "eraser", "polygon", "wand", "merge", "split")
STROKE_TOOLS = ("brush", "eraser", "merge", "split")  # a left-drag draws with these (pans with the others)
BRUSH_TOOLS = ("brush", "eraser")  # drawn with the brush size (merge and split draw thin lines)
LEVELS_MODES = ("view", "global")  # display levels from what the view shows, or from the whole frame
PREDICTION_STYLES = ("outline", "fill")  # above the set's threshold as outlines, or the probability as a heat map
WAND_MODES = ("contrast %", "grey levels")
BRUSH_RANGE = (1, 64)
CANNY_RANGE = (1, 1000)

_SHOWN = {"mask": True, "original": True, "edges": False, "proposal": False, "prediction": False, "markers": True}
_OPACITY = {"mask": 0.7, "original": 0.7, "edges": 0.7, "proposal": 0.7, "prediction": 0.7, "markers": 1.0}


@dataclass
class _Fields:
    visible: dict = field(default_factory=lambda: dict(_SHOWN))
    opacity: dict = field(default_factory=lambda: dict(_OPACITY))
    prediction_style: str = "outline"  # small targets: an outline leaves the pixels under it visible
    canny: tuple | None = None  # (low, high), or None: computed per frame
    canny_used: tuple | None = None  # the thresholds the frame on screen was drawn with
    prediction_set: str | None = None
    compare_set: str | None = None  # the set shown beside it in Compare
    review: bool = False
    tool: str = "select"
    brush: int = 3
    wand: tuple = ("contrast %", 50)
    levels_mode: str = "view"
    peeking: bool = False  # held: every overlay hidden, the raw pixels shown


class DisplayState:
    """Overlays (visibility, opacity, prediction style), Canny thresholds, the prediction set shown, review
    markers, the tool, the brush, the wand, the levels mode and hold-to-peek, each with one event.

    Examples
    --------
    >>> state = DisplayState()
    >>> seen = []
    >>> state.tool_changed.connect(seen.append)
    >>> state.set_tool("brush"); state.set_tool("brush")
    >>> seen
    ['brush']
    >>> state.drawn("mask"), state.set_peeking(True), state.drawn("mask")
    (True, None, False)
    """

    def __init__(self):
        self._f = _Fields()
        self.visibility_changed = Signal()  # (overlay, shown)
        self.opacity_changed = Signal()  # (overlay, 0..1)
        self.prediction_style_changed = Signal()  # (style)
        self.canny_changed = Signal()  # ((low, high) or None)
        self.canny_used_changed = Signal()  # ((low, high))
        self.prediction_set_changed = Signal()  # (name or None)
        self.compare_set_changed = Signal()  # (name or None)
        self.review_changed = Signal()  # (on)
        self.tool_changed = Signal()  # (tool)
        self.brush_changed = Signal()  # (diameter in pixels)
        self.wand_changed = Signal()  # ((mode, tolerance))
        self.levels_mode_changed = Signal()  # (mode)
        self.peeking_changed = Signal()  # (held)

    # --- reading ------------------------------------------------------------------------

    def shown(self, overlay: str) -> bool:
        """Whether the user has `overlay` switched on (whatever a peek does for the moment)."""
        return self._f.visible[_known(overlay, OVERLAYS, "overlay")]

    def drawn(self, overlay: str) -> bool:
        """Whether `overlay` is on screen now: switched on and not hidden by a peek."""
        return self.shown(overlay) and not self._f.peeking

    def opacity(self, overlay: str) -> float:
        return self._f.opacity[_known(overlay, OVERLAYS, "overlay")]

    def __getattr__(self, name):
        if name.startswith("_") or name not in _Fields.__dataclass_fields__:
            raise AttributeError(name)
        return getattr(self._f, name)

    def wand_settings(self) -> dict:
        """Keyword arguments of :func:`irstlabel.core.labels.editing.magic_wand`."""
        mode, tolerance = self._f.wand
        return {"contrast": tolerance / 100.0} if mode == "contrast %" else {"tolerance": float(tolerance)}

    # --- writing: each setter validates, sets, and emits its one event if the value changed ----

    def set_visible(self, overlay: str, shown: bool) -> None:
        if self._f.visible[_known(overlay, OVERLAYS, "overlay")] != bool(shown):
            self._f.visible[overlay] = bool(shown)
            self.visibility_changed.emit(overlay, bool(shown))

    def toggle(self, overlay: str) -> None:
        self.set_visible(overlay, not self.shown(overlay))

    def set_opacity(self, overlay: str, opacity: float) -> None:
        value = min(1.0, max(0.0, float(opacity)))
        if self._f.opacity[_known(overlay, OVERLAYS, "overlay")] != value:
            self._f.opacity[overlay] = value
            self.opacity_changed.emit(overlay, value)

    def set_prediction_style(self, style: str) -> None:
        self._set("prediction_style", _known(style, PREDICTION_STYLES, "prediction style"), self.prediction_style_changed)

    def set_canny(self, thresholds) -> None:
        """Manual (low, high) thresholds, put in order and range; None: computed for each frame."""
        if thresholds is not None:
            low, high = sorted(min(CANNY_RANGE[1], max(CANNY_RANGE[0], float(v))) for v in thresholds)
            thresholds = (low, high)
        self._set("canny", thresholds, self.canny_changed)

    def set_canny_used(self, thresholds) -> None:
        self._set("canny_used", tuple(float(v) for v in thresholds), self.canny_used_changed)

    def set_prediction_set(self, name: str | None) -> None:
        self._set("prediction_set", name or None, self.prediction_set_changed)

    def set_compare_set(self, name: str | None) -> None:
        self._set("compare_set", name or None, self.compare_set_changed)

    def set_review(self, on: bool) -> None:
        self._set("review", bool(on), self.review_changed)

    def set_tool(self, tool: str) -> None:
        self._set("tool", _known(tool, TOOLS, "tool"), self.tool_changed)

    def set_brush(self, diameter: int) -> None:
        self._set("brush", int(min(BRUSH_RANGE[1], max(BRUSH_RANGE[0], int(diameter)))), self.brush_changed)

    def set_wand(self, mode: str, tolerance: int) -> None:
        low, high = (1, 100) if _known(mode, WAND_MODES, "wand mode") == "contrast %" else (0, 65535)
        self._set("wand", (mode, int(min(high, max(low, int(tolerance))))), self.wand_changed)

    def set_levels_mode(self, mode: str) -> None:
        self._set("levels_mode", _known(mode, LEVELS_MODES, "levels mode"), self.levels_mode_changed)

    def set_peeking(self, held: bool) -> None:
        self._set("peeking", bool(held), self.peeking_changed)

    def _set(self, name: str, value, event: Signal) -> None:
        if getattr(self._f, name) != value:
            setattr(self._f, name, value)
            event.emit(value)

    # --- settings ---------------------------------------------------------------------

    def settings(self) -> dict:
        """What outlives a session (plain JSON-able values); the tool, the set shown and a peek do not."""
        f = self._f
        return {"visible": dict(f.visible), "opacity": dict(f.opacity), "prediction_style": f.prediction_style,
                "canny": list(f.canny) if f.canny else None, "brush": f.brush,
                "wand": list(f.wand), "levels_mode": f.levels_mode}

    def restore(self, values: dict) -> list[str]:
        """Apply saved settings through the setters (events fire); returns what was unusable and skipped."""
        skipped = []

        def attempt(what, apply):
            try:
                apply()
            except (KeyError, TypeError, ValueError):
                skipped.append(what)

        for key, shown in dict(values.get("visible") or {}).items():
            attempt(f"visible.{key}", lambda k=key, v=shown: self.set_visible(k, _flag(v)))
        for key, value in dict(values.get("opacity") or {}).items():
            attempt(f"opacity.{key}", lambda k=key, v=value: self.set_opacity(k, float(v)))
        for name, apply in (("prediction_style", lambda v: self.set_prediction_style(str(v))),
                            ("canny", lambda v: self.set_canny(None if not v else (v[0], v[1]))),
                            ("tool", lambda v: self.set_tool(str(v))), ("brush", lambda v: self.set_brush(int(v))),
                            ("wand", lambda v: self.set_wand(str(v[0]), int(v[1]))),
                            ("levels_mode", lambda v: self.set_levels_mode(str(v)))):
            if values.get(name) is not None or name == "canny" and name in values:
                attempt(name, lambda a=apply, v=values.get(name): a(v))
        return skipped


def _known(value, allowed, what: str):
    if value not in allowed:
        raise ValueError(f"unknown {what} '{value}'; one of: {', '.join(allowed)}")
    return value


def _flag(value) -> bool:
    """A saved flag: QSettings gives back 'true'/'false' strings on some platforms."""
    if isinstance(value, str):
        if value.lower() not in ("true", "false", "1", "0"):
            raise ValueError(value)
        return value.lower() in ("true", "1")
    return bool(value)
