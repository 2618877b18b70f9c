"""Targets keep who they are: statuses that stay, a selection that follows its target, one LPD.

Every step is a key press or a click at a screen position. The frame has three
targets (ids 1, 2, 3 in raster order); target 3's label covers only the top-left
2x2 of its 4x4 bright blob, so the proposal, the wand and the prediction all
have something to change there.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.datasets import frame_with, make_dataset
from tests.window import open_window
from tests.journeys.drive import table_rows
from irstlabel.core.io.files import read_mask
from tests.journeys.drive import click_image, drag_image, drawn_mask, press, status_text, wait_for

T1, T2, T3_BLOB = (10, 50, 13, 53), (30, 20, 33, 23), (48, 60, 52, 64)


@pytest.fixture
def window(qtbot, tmp_path):
    image, mask = frame_with([T1, T2, T3_BLOB])
    mask[48:52, 60:64] = False
    mask[48:50, 60:62] = True  # target 3's label: a corner of its blob
    second = frame_with([(20, 20, 23, 23)], seed=1)
    dataset = make_dataset(tmp_path / "data", {"a": (image, mask), "b": second})
    window = open_window(qtbot, dataset, tmp_path / "settings.ini")
    yield window
    window.close()


def rows(window) -> dict[int, dict]:
    return {int(r["id"]): r for r in table_rows(window.target_table)}


def selected_id(window):
    chosen = window.target_table.selectionModel().selectedRows()
    return int(window.target_table.item(chosen[0].row(), 0).text()) if chosen else None


def stored(window) -> dict[int, dict]:
    return {r["target"]: r for r in window.project.targets("a")}


def test_a_click_on_a_targets_exact_centre_selects_it(window):
    """The marker drawn on the centre used to take the click for itself."""
    for target_id, (r0, c0, r1, c1) in ((1, T1), (2, T2)):
        click_image(window.canvas, (c0 + c1 - 1) / 2, (r0 + r1 - 1) / 2)
        assert selected_id(window) == target_id
    click_image(window.canvas, 70, 5)  # empty sky: nothing selected
    assert selected_id(window) is None


def test_a_rejected_target_stays_rejected_and_untouched_targets_keep_their_source(window):
    click_image(window.canvas, 21, 31)
    press(window, "R")  # and on to the next target that needs a decision, centred
    assert rows(window)[2]["status"] == "rejected" and selected_id(window) == 3
    press(window, "Home")  # the whole frame again
    press(window, "B")
    drag_image(window.canvas, [(5, 58), (9, 58), (12, 58)])  # a new target far from the others
    press(window, "Ctrl+S")
    shown, saved = rows(window), stored(window)
    assert shown[2]["status"] == saved[2]["status"] == "rejected"
    for untouched in (1, 3):
        assert (shown[untouched]["status"], shown[untouched]["source"]) == ("pending", "dataset")
        assert (saved[untouched]["status"], saved[untouched]["source"]) == ("pending", "dataset")
    assert (shown[4]["status"], shown[4]["source"]) == (saved[4]["status"], saved[4]["source"]) == ("edited", "manual")
    press(window, "PgDown")
    press(window, "PgUp")  # reopened from the store: the same ids and statuses
    assert rows(window)[2]["status"] == "rejected" and set(rows(window)) == {1, 2, 3, 4}


def test_the_selection_follows_its_target_when_an_edit_adds_one_before_it(window):
    click_image(window.canvas, 60.5, 48.5)  # target 3's label
    assert selected_id(window) == 3
    press(window, "B")
    drag_image(window.canvas, [(2, 2), (4, 2)])  # a new target, first in raster order
    assert selected_id(window) == 3
    assert [int(r["id"]) for r in table_rows(window.target_table)][0] == 4  # the new one, listed first
    before = drawn_mask(window)
    press(window, "A")  # the proposal for target 3, not for the target now first in the list
    press(window, "PgUp")  # A went on to the next frame's first target (target 3 was the last): back
    mask = drawn_mask(window)
    assert mask[48:52, 60:64].sum() >= 12, "A accepted the proposal of another target"
    assert (mask[:40] == before[:40]).all()
    press(window, "Ctrl+S")
    saved = stored(window)
    assert saved[3]["area"] >= 12 and saved[3]["source"] == "canny" and saved[4]["source"] == "manual"
    assert (saved[1]["source"], saved[2]["source"]) == ("dataset", "dataset")


def test_the_table_and_the_store_give_the_same_lpd_after_shrinking_a_label(window):
    press(window, "X")
    for _ in range(2):
        press(window, "[")
    drag_image(window.canvas, [(20, 32), (22, 32)])  # shave the bottom row of target 2
    press(window, "Ctrl+S")
    shown, saved = rows(window), stored(window)
    assert set(shown) == set(saved)
    for target_id, record in saved.items():
        for column, key in (("LPD orig", "lpd_old"), ("LPD now", "lpd_new")):
            expected = "-" if record[key] is None else f"{record[key]:.2f}"
            assert shown[target_id][column] == expected, (target_id, column)
    assert saved[2]["lpd_old"] != saved[2]["lpd_new"]


def test_a_wand_click_on_a_target_centre_reaches_the_target(window):
    press(window, "W")
    click_image(window.canvas, 61, 49)  # under target 3's marker
    mask = drawn_mask(window)
    assert mask[48:52, 60:64].all() and mask.sum() == 9 + 9 + 16, "the wand flooded or never ran"
    assert rows(window)[3]["area"] == "16"


def test_a_proposal_that_would_swallow_other_targets_is_refused_until_confirmed(qtbot, tmp_path):
    image, mask = frame_with([(20, 20, 23, 23)])
    image[40:43, 30:42] = 200  # one bright bar holding two labelled targets
    mask[40:43, 30:33] = mask[40:43, 39:42] = True
    window = open_window(qtbot, make_dataset(tmp_path / "data", {"a": (image, mask)}), tmp_path / "s.ini")
    click_image(window.canvas, 31, 41)
    before = drawn_mask(window)
    press(window, "A")
    message = status_text(window)
    assert "not accepted" in message and "would merge target 3" in message and "Press A again" in message
    assert (drawn_mask(window) == before).all()
    press(window, "A")  # confirmed
    assert drawn_mask(window)[40:43, 30:42].all()
    assert len(rows(window)) == 2
    window.close()


def test_the_frame_list_shows_target_counts_and_updates_after_an_edit(window):
    listed = lambda: {r["frame"]: r for r in table_rows(window.frame_list.table)}  # noqa: E731
    wait_for(lambda: listed()["b"]["targets"] == "1", what="the target count of an unedited frame")
    assert listed()["a"]["targets"] == "3"
    press(window, "B")
    drag_image(window.canvas, [(5, 58), (9, 58)])
    press(window, "Ctrl+S")
    row = listed()["a"]
    assert row["targets"] == "4" and row["edited"] == "yes" and row["state"] == "in_progress"
    assert "state: in_progress" in status_text(window)


def test_undo_gives_a_deleted_target_back_its_id_and_status(window):
    click_image(window.canvas, 51, 11)
    press(window, "R")
    press(window, "Home")
    click_image(window.canvas, 51, 11)  # R moved on: back to target 1
    press(window, "Delete")
    assert 1 not in rows(window)
    press(window, "Ctrl+Z")
    assert rows(window)[1]["status"] == "rejected"
    press(window, "Ctrl+S")
    assert stored(window)[1]["status"] == "rejected"


def test_pixels_under_a_saved_target_are_the_same_in_the_store(window):
    press(window, "B")
    drag_image(window.canvas, [(30, 10), (34, 10)])
    press(window, "Ctrl+S")
    from scipy import ndimage

    mask = read_mask(window.project.masks_folder / "a.png").mask  # the file written
    assert np.array_equal(mask, drawn_mask(window))
    labels, _ = ndimage.label(mask, structure=np.ones((3, 3)))
    for target_id, record in stored(window).items():
        own = labels == labels[record["anchor_r"], record["anchor_c"]]
        rows_, cols = np.nonzero(own)
        assert own.sum() == record["area"] and mask[record["anchor_r"], record["anchor_c"]], target_id
        assert (rows_.min(), cols.min(), rows_.max() + 1, cols.max() + 1) == \
            (record["r0"], record["c0"], record["r1"], record["c1"]), target_id
