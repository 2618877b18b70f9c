"""``python -m irstlabel``: the command line (with no command, the desktop app)."""

import sys

from .cli import main

sys.exit(main())
