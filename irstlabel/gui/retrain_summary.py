"""The end of a retraining, said until dismissed: which model is the default now, the figures before -> after,
and one click to switch when the new model was not adopted."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton


class RetrainSummaryBar(QFrame):
    """A bar above the canvas; hidden until a retraining ends, then shown until Dismiss."""

    switch_to = Signal(str)  # the set the user chose to make the default

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("retrain-summary")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.text = QLabel()
        self.text.setObjectName("retrain-summary-text")
        self.text.setWordWrap(True)
        self.switch_button = QPushButton()
        self.switch_button.setObjectName("retrain-switch")
        self.dismiss_button = QPushButton("Dismiss")
        self.dismiss_button.setObjectName("retrain-dismiss")
        row = QHBoxLayout(self)
        row.setContentsMargins(8, 4, 8, 4)
        row.addWidget(self.text, 1)
        row.addWidget(self.switch_button)
        row.addWidget(self.dismiss_button)
        self.dismiss_button.clicked.connect(self.hide)
        self.switch_button.clicked.connect(self._switch)
        self._other: str | None = None
        self.hide()

    def show_summary(self, summary: dict) -> None:
        """A finished retraining's summary: the verdict, the main figures, and the switch when it was not adopted.

        Kept to two or three lines at 1366x768; every figure is in the tooltip.
        """
        lines = summary.get("lines") or []
        main = [line.replace(" (better)", "").replace(" (worse)", "").replace(" (same)", "")
                for line in lines if line.split()[0] in ("F1-T", "IoU", "nIoU")]
        text = summary.get("verdict", "")
        if main:
            text += f"\nHeld out ({summary.get('split')}): " + ",  ".join(main)
        if summary.get("inference_error"):
            text += f"\n{summary['inference_error']}"
        self.text.setText(text)
        self.text.setToolTip("\n".join([summary.get("verdict", ""), *lines]))
        self._other = summary["name"] if summary.get("adopted") is False else None
        self.switch_button.setText(f"Use {summary['name']} anyway" if self._other else "")
        self.switch_button.setVisible(self._other is not None)
        self.show()

    def _switch(self) -> None:
        if self._other is not None:
            name, self._other = self._other, None
            self.switch_button.hide()
            self.text.setText(f"{name} is now the default model (chosen by you).")
            self.switch_to.emit(name)
