"""Entry point of the frozen app: the same CLI, so `irstlabel worker JOB.json` works frozen too."""

import multiprocessing
import sys

from irstlabel.cli import main

if __name__ == "__main__":
    multiprocessing.freeze_support()
    sys.exit(main())
