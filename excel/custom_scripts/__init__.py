"""The add-in's scripts, as xlwings Server runs them: `POST /xlwings/custom-scripts-call/<name>`.

xlwings Server calls whatever attribute of this module a request names, so the module holds the two
`@script` functions and nothing else: no imported names, no helpers (the work is in
`excel/appendix_scripts.py`, imported inside each function). `excel/server.py` also answers 404 for
any name that is not an `@script` function here, before anything is looked up.
"""

import xlwings as xw
from xlwings.server import script


@script(exclude="Change log")
def validate_appendix1(book: xw.Book):
    """Check Appendix 1 with the shared rules: colour the problem cells, list them on sheet Validation."""
    from excel.appendix_scripts import validate_for_taskpane

    validate_for_taskpane(book)


@script(exclude="Validation")
def apply_pending_updates(book: xw.Book):
    """Write partner leads' pending updates into the open workbook and its Change log; keep conflicts."""
    from excel.appendix_scripts import apply_for_taskpane

    apply_for_taskpane(book)


del xw, script
