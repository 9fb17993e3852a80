"""``python -m identilink``: the command line."""

from __future__ import annotations

import sys

from identilink.cli import main

sys.exit(main())
