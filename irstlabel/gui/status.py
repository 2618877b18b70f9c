"""The status bar: passing messages, the frame line, what opening said, save state, pixel under the mouse."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMessageBox, QProgressBar, QPushButton, QStatusBar, QToolButton

from ..core.errors import display_path


class StatusLine:
    def __init__(self, bar: QStatusBar, note: str | None):
        self.bar = bar
        self.pixel_label = QLabel()
        self.save_label = QLabel()
        self.save_label.setObjectName("save-state")
        # what opening said (read-only, an absent split): said once, then kept behind an info button
        self.note = note or ""
        self.note_label = QToolButton()
        self.note_label.setObjectName("open-note")
        self.note_label.setText("\u24d8 dataset notes")
        self.note_label.setAutoRaise(True)
        self.note_label.setToolTip(self.note)
        self.note_label.setVisible(bool(note))
        self.note_label.clicked.connect(self._show_note)
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(260)
        self.progress.setVisible(False)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setVisible(False)
        for widget in (self.note_label, self.pixel_label, self.save_label, self.progress, self.cancel_button):
            bar.addPermanentWidget(widget)
        self.frame_text = ""
        if note:
            bar.showMessage(note, 15000)

    def _show_note(self) -> None:
        box = QMessageBox(QMessageBox.Icon.Information, "Dataset notes", self.note, QMessageBox.StandardButton.Close,
                          self.bar.window())
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    def say(self, text: str, ms: int = 5000) -> None:
        self.bar.showMessage(text, ms)

    # --- the progress of background jobs: owned here, fed by the job commands ------------

    def begin_progress(self, what: str) -> None:
        """A new job or stage: the bar starts empty (busy until the first progress), Cancel shown."""
        self.progress.setRange(0, 0)
        self.progress.setValue(0)
        self.progress.setFormat(f"{what} %p%")
        self.progress.setToolTip(what)
        self.progress.setVisible(True)
        self.cancel_button.setVisible(True)
        self.say(f"{what}...")

    def progress_is(self, what: str) -> bool:
        return self.progress.isVisible() and self.progress.format() == f"{what} %p%"

    def job_progress(self, step: int, total: int, message: str) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(step)
        self.progress.setToolTip(message)

    def end_progress(self) -> None:
        """No job runs any more (or the last one failed): the bar and Cancel go."""
        self.progress.setVisible(False)
        self.cancel_button.setVisible(False)

    def show_frame(self, frame, state: str) -> None:
        """The frame line (name, size, type, review state): shown until a passing message replaces it."""
        self.frame_text = (f"{display_path(frame.frame_id)}  {frame.image.shape[1]}x{frame.image.shape[0]} "
                           f"{frame.image.dtype}  state: {state}")
        self.bar.showMessage(self.frame_text)

    def saved(self, ok: bool, *, elsewhere: int = 0) -> None:
        """The save state of the frame on screen, and how many other frames could not be saved."""
        text = "saved" if ok else "NOT SAVED"
        if elsewhere:
            text += f"; {elsewhere} other frame{'s' if elsewhere > 1 else ''} NOT SAVED"
        self.save_label.setText(text)

    def unsaved(self) -> None:
        self.save_label.setText("unsaved")

    def pixel(self, text: str) -> None:
        self.pixel_label.setText(text)
