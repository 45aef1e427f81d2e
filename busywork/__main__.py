"""``python -m busywork``: the same command as ``busywork``."""

import sys

from busywork.cli import main

sys.exit(main())
