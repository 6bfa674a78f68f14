"""The add-in's custom functions, in Excel as `=SLI.CHECK(F7, H7, I7)` and `=SLI.PENDING()`
(the `SLI` namespace is the `XLWINGS_FUNCTIONS_NAMESPACE` setting `excel/server.py` makes).

Like `custom_scripts`, the module holds only the functions: the work is in `excel/appendix_scripts.py`.
"""

from xlwings.server import arg, func


@func
@arg("status", doc="the Status cell, e.g. F7")
@arg("next_steps", doc="the Next steps cell, e.g. H7")
@arg("due", doc="the Next step due cell, e.g. I7")
def check(status, next_steps, due):
    """OK, or the first problem with this row's status, next steps and due date, in words."""
    from excel.appendix_scripts import check_cells

    return check_cells(status, next_steps, due)


@func(volatile=True)
def pending():
    """How many updates from partner leads are waiting to be applied to the workbook."""
    from excel.appendix_scripts import pending_count

    return pending_count()


del arg, func
