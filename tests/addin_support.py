"""What the add-in tests share: serving a workbook copy the way `sli addin` configures it."""

from __future__ import annotations

from pathlib import Path

import pytest


def serve(monkeypatch: pytest.MonkeyPatch, workbook: Path) -> None:
    """The add-in serves `workbook` (its journal beside it) for this test, as `sli addin` configures it."""
    from excel import appendix_scripts as scripts
    from shared.settings import Settings

    monkeypatch.setattr(scripts, "_served", None)
    scripts.configure(Settings(workbook=workbook))
