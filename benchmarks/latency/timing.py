"""Samples, their summary, and the floor every figure is divided by.

The floor is what no way of saving a workbook of this size can beat on this disk: copying the file, fsync,
rename over the target, fsync of the folder. It is measured in the same run, interleaved with the figures it
sits beside, so a busy machine slows both. `durable_replace` is that same fsync-and-replace sequence, which
the naive way uses too, so it pays exactly what ours pays for durability.
"""

from __future__ import annotations

import os
import shutil
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path


def percentile(samples: list[float], fraction: float) -> float:
    """The nearest-rank percentile (no interpolation: p95 of 10 samples is the 10th)."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


@dataclass
class Samples:
    """Milliseconds of one figure, in the order taken."""

    label: str
    ms: list[float] = field(default_factory=list)

    def time(self, work: Callable[[], object]) -> object:
        """Run `work` once, keeping how long it took."""
        start = time.perf_counter()
        result = work()
        self.ms.append((time.perf_counter() - start) * 1000)
        return result

    @property
    def p50(self) -> float:
        return statistics.median(self.ms)

    @property
    def p95(self) -> float:
        return percentile(self.ms, 0.95)


def fsync_folder(folder: Path) -> None:
    """Make a rename in `folder` durable, as `save_atomically` does."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def durable_replace(write: Callable[[Path], object], target: Path) -> None:
    """`write` a temporary file beside `target`, fsync it, rename it over `target`, fsync the folder:
    what `shared.xlsx.save_atomically` does (less its backup copy and permission checks)."""
    temporary = target.with_name(f".{target.name}.bench-tmp")
    write(temporary)
    with open(temporary, "rb+") as handle:
        os.fsync(handle.fileno())
    os.replace(temporary, target)
    fsync_folder(target.parent)


def floor(workbook: Path) -> None:
    """The floor for `workbook`: copy it, fsync, rename, folder fsync (onto a file beside it)."""
    durable_replace(lambda temporary: shutil.copyfile(workbook, temporary),
                    workbook.with_name(f".floor-{workbook.name}"))
