"""The window's actions in one table: names, texts, keys, what they do, where they appear.

The table makes both the key bindings and the F1 list (:mod:`.help` reads the
window's actions), so a key cannot be bound without being listed. Slots are
looked up by name in the controllers at start-up: a name with no slot is an
error there, not a dead key.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QWidget

from .resources import icon


@dataclass(frozen=True)
class ActionSpec:
    name: str
    text: str
    keys: tuple[str, ...] = ()
    help: str = ""
    checkable: bool = False
    place: str = ""  # "toolbar", "review", "menu:File", ... ("" : keys only)
    icon: str | None = None
    held: bool = False  # acts while its key is held: the press triggers it, the slot waits for the release


TOOLS = (
    ("select", "S", "select tool: click a target"),
    ("brush", "B", "brush: paint the mask"),
    ("eraser", "X", "eraser"),
    ("polygon", "G", "polygon: click vertices, Enter closes"),
    ("wand", "W", "magic wand: click a target (Shift+click subtracts)"),
    ("merge", "J", "merge: draw a line joining targets"),
    ("split", "L", "split: draw a line cutting a target"),
)

# in the order and with the names of irstlabel.project.display.OVERLAYS (a test holds them equal)
OVERLAYS = (("mask", "current mask", "M"), ("original", "original label", "O"), ("edges", "Canny edges", "E"),
            ("proposal", "proposal", "C"), ("prediction", "prediction", "H"), ("markers", "markers", "T"))

ACTIONS = (
    *(ActionSpec(f"tool_{tool}", tool.capitalize(), (key,), what, checkable=True, place="toolbar", icon=tool)
      for tool, key, what in TOOLS),
    ActionSpec("accept_proposal", "Accept proposal", ("A",), "accept the Canny proposal for the selected target, then the next target that needs a decision",
               place="toolbar"),
    ActionSpec("accept_prediction_target", "Accept prediction (target)", ("Shift+A",),
               "accept the model's prediction for the selected target, then the next target that needs a decision", place="toolbar"),
    ActionSpec("accept_prediction_frame", "Accept prediction (frame)", ("Ctrl+Shift+A",),
               "accept the model's prediction for the whole frame", place="toolbar"),
    ActionSpec("reject_target", "Reject target", ("R",),
               "not a target: kept in the project, left out of exports and training (a rejected prediction is a "
               "known false alarm); then the next target that needs a decision", place="toolbar"),
    ActionSpec("label_is_right", "Label is right", ("Return", "Enter"),
               "the selected label is right (accepted), then the next pending target; with the polygon tool, "
               "closes the polygon", place="toolbar"),
    ActionSpec("delete_target", "Delete target", ("Delete", "Backspace"), "delete the selected target", place="toolbar"),
    ActionSpec("done_next", "Done", ("D",), "mark the frame done and go to the next one", place="toolbar"),
    ActionSpec("flag_next", "Flag", ("F",), "flag the frame and go to the next one", place="toolbar"),
    ActionSpec("next_frame", "Next frame", ("PgDown", "."), "next frame (in the list's order and filter)"),
    ActionSpec("previous_frame", "Previous frame", ("PgUp", ","), "previous frame"),
    ActionSpec("next_target", "Next decision", ("Tab",),
               "next target that needs a decision: a pending label, or (prediction shown) a predicted target no "
               "label covers; on through the frames in the list's order"),
    ActionSpec("previous_target", "Previous decision", ("Shift+Tab",), "previous target that needs a decision"),
    ActionSpec("next_any_target", "Next target", ("N",), "next label, decided or not (on to the next frame)"),
    ActionSpec("previous_any_target", "Previous target", ("Shift+N",), "previous label, decided or not"),
    ActionSpec("go_to_frame", "Go to frame...", ("Ctrl+G",), "type part of a frame's name to jump to it"),
    ActionSpec("peek", "Peek", ("Space",), "hold to see the raw pixels: every overlay and marker hidden while held",
               held=True),
    ActionSpec("fit", "Fit", ("Home",), "fit the frame in the view"),
    ActionSpec("one_to_one", "One to one", ("=",), "one frame pixel per screen pixel"),
    ActionSpec("bigger_brush", "Bigger brush", ("]",), "brush one pixel wider"),
    ActionSpec("smaller_brush", "Smaller brush", ("[",), "brush one pixel narrower"),
    ActionSpec("save", "Save", ("Ctrl+S",), "save the frame's mask now (it is also saved every few seconds)"),
    *(ActionSpec(f"toggle_{key}", f"Toggle {key}", (shortcut,), f"show / hide the {label}")
      for key, label, shortcut in OVERLAYS),
    ActionSpec("retrain", "Retrain", ("Ctrl+R",), "retrain ISPANet on the current labels, in the background",
               place="review", icon="retrain"),
    ActionSpec("evaluate", "Evaluate", ("Ctrl+E",), "score the chosen prediction set on the test split", place="review"),
    ActionSpec("review_queue", "Review queue", ("Q",),
               "the frames where the model and the labels disagree most, first (the frame list sorted by misses "
               "+ false alarms); Tab walks them target by target", place="review"),
    ActionSpec("review_markers", "Review markers", ("V",),
               "circle hits, misses and false alarms of the chosen prediction set", checkable=True, place="review"),
    ActionSpec("open_dataset", "Open dataset...", ("Ctrl+O",), "open another dataset folder", place="menu:File"),
    ActionSpec("import_predictions", "Import predictions folder...", (), "import a folder of masks or probability maps",
               place="menu:File"),
    ActionSpec("quit", "Quit", ("Ctrl+Q",), "quit (asks first while a job runs)", place="menu:File"),
    ActionSpec("curate", "Curate dataset...", (), "de-duplicate, sample, merge and split datasets", place="menu:Tools"),
    ActionSpec("reset_layout", "Reset layout", (), "put the docks back where a first start has them",
               place="menu:View"),
    ActionSpec("help", "Keyboard shortcuts", ("F1",), "this list", place="menu:Help"),
)


def make_action(parent: QWidget, spec: ActionSpec, slot: Callable[[], None]) -> QAction:
    """A QAction on `parent` from its spec; `slot` takes no argument."""
    action = QAction(spec.text, parent)
    action.setObjectName(spec.name)
    action.setStatusTip(spec.help or spec.text)
    action.setShortcuts([QKeySequence(key) for key in spec.keys])
    if spec.held:  # the press triggers it once; its slot watches for the release
        action.setAutoRepeat(False)
        action.setProperty("held_keys", list(spec.keys))
    action.setCheckable(spec.checkable)
    if spec.icon:
        action.setIcon(icon(spec.icon))
    if spec.keys:
        action.setToolTip(f"{spec.help or spec.text} ({spec.keys[0]})")
    # triggered(bool) would pass `checked` as the slot's first argument: slots take none
    action.triggered.connect(lambda checked=False: slot())
    parent.addAction(action)
    return action


def make_actions(parent: QWidget, slots: dict[str, Callable[[], None]]) -> dict[str, QAction]:
    """Every action of the table, bound to ``slots[name]``; the tool actions form one exclusive group."""
    missing = [spec.name for spec in ACTIONS if spec.name not in slots]
    if missing:
        raise KeyError(f"actions without a slot: {', '.join(missing)}")
    actions = {spec.name: make_action(parent, spec, slots[spec.name]) for spec in ACTIONS}
    group = QActionGroup(parent)
    for tool, _, _ in TOOLS:
        group.addAction(actions[f"tool_{tool}"])
    actions["tool_select"].setChecked(True)
    return actions


def spec_named(name: str) -> ActionSpec:
    return next(s for s in ACTIONS if s.name == name)


def specs_at(place: str) -> list[ActionSpec]:
    return [spec for spec in ACTIONS if spec.place == place]
