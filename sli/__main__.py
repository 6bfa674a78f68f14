"""`python -m sli`: the command line."""

import sys

from sli.cli import main

sys.exit(main())
