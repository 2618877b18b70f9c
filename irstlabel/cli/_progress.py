"""The CLI's progress bar: tqdm on stderr, silent when stderr is not a terminal."""

from __future__ import annotations

import sys


def progress_bar(total: int | None, desc: str):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, file=sys.stderr, disable=None, leave=False, dynamic_ncols=True)
