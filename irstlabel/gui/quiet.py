"""Setting a widget to what a model says without the widget writing it back (its signals held meanwhile)."""

from __future__ import annotations

from contextlib import contextmanager

__all__ = ["signals_held", "quietly"]


@contextmanager
def signals_held(widget):
    """Inside the block the widget emits nothing; afterwards it emits as it did before (nesting is safe)."""
    blocked = widget.blockSignals(True)
    try:
        yield widget
    finally:
        widget.blockSignals(blocked)


def quietly(widget, setter, *args) -> None:
    """``setter(*args)`` with `widget`'s signals held: a view following its model, not a user's change."""
    with signals_held(widget):
        setter(*args)
