"""``python -m fmtts.cli``: what torchrun and the egs/ recipes run."""

import sys

from fmtts.cli import main

sys.exit(main())
