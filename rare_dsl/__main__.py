"""`python -m rare_dsl` runs the `rare` command line."""

import sys

from rare_dsl.cli import main

sys.exit(main())
