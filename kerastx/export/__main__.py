"""``python -m kerastx.export RUN_DIR``."""

import sys

from kerastx.export_cli import main

sys.exit(main(prog="python -m kerastx.export"))
