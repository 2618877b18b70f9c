"""Retraining as a person does it: Ctrl+R or the toolbar, the dialog, progress, curves, overlay, Results."""

from __future__ import annotations



from PySide6.QtWidgets import QCheckBox

from tests.journeys.retraining import (assert_row_equals_cli, cli_json, results_row,
                                       retrain_through_dialog, summary_text)
from tests.journeys.drive import (
    click,
    press,
    status_text,
    toolbar_button,
)

def _points(curve) -> int:
    xs = curve.getData()[0]
    return 0 if xs is None else len(xs)


def test_ctrl_r_retrains_and_shows_the_new_model_everywhere(window, qtbot, dataset):
    loss_points, said = [], []
    window.results.loss_curve.sigPlotChanged.connect(lambda item: loss_points.append(_points(item)))
    window.statusBar().messageChanged.connect(said.append)
    press(window, "H")  # no model yet: the status bar says so
    assert "No prediction yet" in status_text(window)

    name = retrain_through_dialog(window, qtbot, lambda: press(window, "Ctrl+R"))

    assert loss_points and max(loss_points) == 2  # the live curve got one point per epoch
    stages = [m for m in said if m.startswith("Retrain: ") and m.endswith("...")]
    assert stages[:3] == ["Retrain: training...", "Retrain: choosing inference settings...",
                          "Retrain: predicting every frame..."], stages  # the bar names each stage as it starts
    assert not window.status.progress.isVisible() and not window.status.cancel_button.isVisible()
    frame_shape = window.canvas.image_item.image.shape[:2]
    # predictions are outlined above the threshold by default; unticked, the map is drawn over the whole frame
    click(window.findChild(QCheckBox, "prediction-outline"))
    prediction = window.canvas.layers["prediction"].image
    assert prediction is not None and prediction.shape[:2] == frame_shape  # drawn on the frame on screen
    row = results_row(window, name)
    assert row["split"] is None and row["text"]["split"] == "test"
    assert float(row["text"]["fps"]) > 0 and 10 < float(row["text"]["params (M)"]) < 14
    cli = cli_json("evaluate", row["checkpoint"], str(dataset), "--split", "test", "--json")
    assert_row_equals_cli(row, cli)
    assert "is now the default model" in summary_text(window) and "F1-T" in summary_text(window)


def test_the_toolbar_button_fine_tunes_the_newest_model(window, qtbot, dataset):
    first = retrain_through_dialog(window, qtbot, lambda: click(toolbar_button(window, "Retrain")), epochs=1)
    second = retrain_through_dialog(window, qtbot, lambda: click(toolbar_button(window, "Retrain")), epochs=1)
    assert second != first or "stays the default" in summary_text(window)
    assert "->" in summary_text(window)  # before -> after for each figure, against the model in use
    row = results_row(window, second)
    assert_row_equals_cli(row, cli_json("evaluate", row["checkpoint"], str(dataset), "--split", "test", "--json"))
    assert window.results.table.rowCount() == 2
