"""Shim: `python sli.py ...` runs the command line in the package sli/ (the same as `python -m sli` or `sli`)."""

import sys

from sli import main

if __name__ == "__main__":
    sys.exit(main())
