"""The annotation journey on real SIRST v1 frames (skips without ../shared/data/sirst-v1)."""

from __future__ import annotations

import pytest

from tests.window import open_window
from tests.journeys.drive import current_frame, drawn_mask, go_to_frame, press, selected_target, status_text

pytestmark = pytest.mark.realdata


def test_the_misc_284_proposal_that_swallowed_four_targets_is_refused(qtbot, sirst_v1, tmp_path):
    """Target 6 of Misc_284 (8 px, SCR 1.07): C then A made one 40,825-px target without a word."""
    window = open_window(qtbot, sirst_v1, project_dir=tmp_path / "project", settings_file=tmp_path / "settings.ini")
    go_to_frame(window, "Misc_284")
    assert current_frame(window) == "Misc_284"
    press(window, "C")
    for _ in range(6):
        press(window, "Tab")
    assert selected_target(window) == 6
    before = drawn_mask(window)
    press(window, "A")
    message = status_text(window)
    assert "40825 px for a target of 8 px" in message and "merge targets 4, 5 and 7" in message, message
    assert (drawn_mask(window) == before).all()
    press(window, "Escape")
    press(window, "Tab")  # another target: its proposal is judged on its own
    assert selected_target(window) == 7
    window.close()
