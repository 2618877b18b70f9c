"""The display state: Qt-free, one event per field, emitted only on a change; settings that survive bad input."""

from __future__ import annotations

import pytest

from irstlabel.project.display import OVERLAYS, TOOLS, DisplayState

EVENTS = ("visibility_changed", "opacity_changed", "prediction_style_changed", "canny_changed", "canny_used_changed",
          "prediction_set_changed", "compare_set_changed", "review_changed", "tool_changed", "brush_changed",
          "wand_changed", "levels_mode_changed", "peeking_changed")

CHANGES = [
    ("visibility_changed", lambda s: s.set_visible("edges", True), ("edges", True)),
    ("opacity_changed", lambda s: s.set_opacity("mask", 0.25), ("mask", 0.25)),
    ("prediction_style_changed", lambda s: s.set_prediction_style("fill"), ("fill",)),
    ("canny_changed", lambda s: s.set_canny((90, 20)), ((20.0, 90.0),)),
    ("canny_used_changed", lambda s: s.set_canny_used((10, 30)), ((10.0, 30.0),)),
    ("prediction_set_changed", lambda s: s.set_prediction_set("model-a"), ("model-a",)),
    ("compare_set_changed", lambda s: s.set_compare_set("model-b"), ("model-b",)),
    ("review_changed", lambda s: s.set_review(True), (True,)),
    ("tool_changed", lambda s: s.set_tool("wand"), ("wand",)),
    ("brush_changed", lambda s: s.set_brush(99), (64,)),
    ("wand_changed", lambda s: s.set_wand("grey levels", 12), (("grey levels", 12),)),
    ("levels_mode_changed", lambda s: s.set_levels_mode("global"), ("global",)),
    ("peeking_changed", lambda s: s.set_peeking(True), (True,)),
]


def _recorder(state):
    heard = []
    for name in EVENTS:
        getattr(state, name).connect(lambda *args, n=name: heard.append((n, args)))
    return heard


@pytest.mark.parametrize("event, change, args", CHANGES, ids=[c[0] for c in CHANGES])
def test_each_change_is_one_event_and_repeating_it_is_none(event, change, args):
    state = DisplayState()
    heard = _recorder(state)
    change(state)
    change(state)
    assert heard == [(event, args)]


def test_every_field_has_its_event_and_a_peek_hides_without_changing_a_setting():
    assert {c[0] for c in CHANGES} == set(EVENTS)
    state = DisplayState()
    state.set_peeking(True)
    assert state.shown("mask") and not state.drawn("mask")


def test_settings_round_trip_and_bad_values_are_skipped_by_name():
    state = DisplayState()
    for _, change, _ in CHANGES:
        change(state)
    again = DisplayState()
    assert again.restore(state.settings()) == []
    assert again.settings() == state.settings()
    assert again.tool == "select" and not again.peeking  # neither outlives a session
    skipped = DisplayState().restore({"visible": {"mask": "maybe", "nonsense": True}, "brush": "wide",
                                      "levels_mode": "sideways", "opacity": {"edges": 0.3}})
    assert sorted(skipped) == ["brush", "levels_mode", "visible.mask", "visible.nonsense"]


def test_unknown_values_are_one_line_errors():
    state = DisplayState()
    with pytest.raises(ValueError, match="unknown tool 'lasso'; one of: select, brush"):
        state.set_tool("lasso")
    with pytest.raises(ValueError, match="unknown overlay 'heat'"):
        state.set_visible("heat", True)


def test_the_action_table_names_the_states_overlays_and_tools():
    from irstlabel.gui.actions import OVERLAYS as ACTION_OVERLAYS, TOOLS as ACTION_TOOLS

    assert tuple(key for key, _, _ in ACTION_OVERLAYS) == OVERLAYS
    assert tuple(tool for tool, _, _ in ACTION_TOOLS) == TOOLS
