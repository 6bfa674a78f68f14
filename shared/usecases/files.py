"""Files the tracker makes besides the workbook's updates: a new Appendix 1 workbook (`sli workbook init`) and
any other output a front end makes (the Teams app package, a working copy), always written whole (a temporary
file, then a rename) and never over the workbook, its journal, lock, owner file or backups."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from shared.builder import build_workbook
from shared.outputs import write_output_file
from shared.uow import Context, Store, as_context


def init_workbook(ctx: Context | Store, path: Path | str) -> Path:
    """Write a new, empty Appendix 1 workbook at `path`; refused (OutputError) where any file already is."""
    return write_output_file(path, build_workbook, as_context(ctx).store, new_file=True)


def write_file(ctx: Context | Store, path: Path | str, make: Callable[[Path], object]) -> Path:
    """`make(temporary)` writes a file, which then replaces `path` whole; refused (OutputError, nothing
    written) where `path` is the workbook or something kept beside it, a folder or a link."""
    return write_output_file(path, make, as_context(ctx).store)
