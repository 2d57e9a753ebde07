"""`python -m cme_tools`: the same as the `cme` command."""

import sys

from cme_tools.cli import main

sys.exit(main())
