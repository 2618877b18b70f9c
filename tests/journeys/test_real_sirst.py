"""The annotation journey on real SIRST v1 frames (skips without ../shared/data/sirst-v1)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from tests.journeys.annotating import open_window_on
from tests.journeys.drive import press, status_text, wait_for

pytestmark = pytest.mark.realdata


def test_the_misc_284_proposal_that_swallowed_four_targets_is_refused(qtbot, sirst_v1, tmp_path):
    """Target 6 of Misc_284 (8 px, SCR 1.07): C then A made one 40,825-px target without a word."""
    window = open_window_on(qtbot, sirst_v1, tmp_path / "project", tmp_path / "settings.ini")
    press(window, "Ctrl+G")
    box = window.frame_list.search
    wait_for(box.hasFocus, timeout=5, what="the go-to box")
    QTest.keyClicks(box, "Misc_284")
    QTest.keyClick(box, Qt.Key.Key_Return)
    assert window.session.frame.frame_id == "Misc_284"
    press(window, "C")
    for _ in range(6):
        press(window, "Tab")
    assert window.session.frame.selected == 6
    before = window.session.frame.mask.copy()
    press(window, "A")
    message = status_text(window)
    assert "40825 px for a target of 8 px" in message and "merge targets 4, 5 and 7" in message, message
    assert (window.session.frame.mask == before).all()
    press(window, "Escape")
    press(window, "Tab")  # another target: its proposal is judged on its own
    assert window.session.frame.selected == 7
    window.close()
