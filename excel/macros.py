"""The classic desktop macro, for officers with Python and the xlwings add-in on Windows Excel.

In the workbook's VBA (a module with the xlwings reference, or via the xlwings add-in):

    Sub ValidateAppendix1()
        RunPython "from excel.macros import validate_appendix1; validate_appendix1()"
    End Sub

It runs the very function the add-in's `validate_appendix1` script runs (`excel.appendix_scripts.validate_book`),
on the workbook that called it: same rules, same colours, same Validation sheet, same alert.
"""

from __future__ import annotations

import xlwings as xw

from excel.appendix_scripts import ValidationReport, validate_book


def validate_appendix1(book: xw.Book | None = None) -> ValidationReport:
    """Validate the calling workbook (or `book`), as the add-in's button does."""
    return validate_book(book if book is not None else xw.Book.caller())
