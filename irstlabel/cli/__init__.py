"""The ``irstlabel`` command line.

Subcommands live in small modules that import only ``argparse`` at the top;
the heavy libraries (numpy, OpenCV, Qt, torch) are imported inside each
command's function, so ``irstlabel --help`` is fast and ``irstlabel eval``
never imports Qt or torch.
"""

from __future__ import annotations

import argparse
import sys

from .. import __version__
from . import curate, data, gui, model, project, quality

COMMAND_MODULES = (gui, data, quality, curate, model, project)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="irstlabel",
        description="Workbench for infrared small-target segmentation datasets. "
        "With no command, opens the desktop app on the demo dataset.",
    )
    parser.add_argument("--version", action="version", version=f"irstlabel {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit status (2 for a user error)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        args = parser.parse_args(["gui", *(argv or [])])
    import warnings

    from ..core.errors import DatasetWarning, IrstlabelError, from_os_error

    def one_line(message, category, *rest, **kwargs):
        if issubclass(category, DatasetWarning):
            print(f"irstlabel: warning: {message}", file=sys.stderr)
        else:
            show_other(message, category, *rest, **kwargs)

    show_other = warnings.showwarning
    warnings.showwarning = one_line
    try:
        return int(args.run(args) or 0)
    except IrstlabelError as exc:
        print(f"irstlabel: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # the system refused a file (read-only, full, a file where a folder goes)
        print(f"irstlabel: error: {from_os_error(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("irstlabel: interrupted", file=sys.stderr)
        return 130
    finally:
        warnings.showwarning = show_other


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
