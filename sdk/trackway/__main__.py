"""`python -m trackway` runs the CLI."""

from __future__ import annotations

import sys

from trackway.cli.main import main

sys.exit(main())
