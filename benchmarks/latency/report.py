"""What the benchmark prints and keeps: one line a figure (p50, p95, samples, the floor beside it and the
figure as a multiple of it), one line a target (the ratio, its limit, PASS or FAIL), and the same as JSON in
`out/bench/` (git-ignored) for the README's tables."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from latency.timing import Samples


@dataclass
class Target:
    name: str
    value: float
    limit: float
    unit: str  # "x" (a ratio) or "MB"

    @property
    def passed(self) -> bool:
        """Held: at or under the limit."""
        return self.value <= self.limit

    def line(self) -> str:
        """`TARGET name value limit PASS|FAIL`, one a line so it can be read by eye and by grep."""
        if self.unit == "MB":
            figure, limit = f"{self.value:8.0f} MB", f"<= {self.limit:.0f} MB"
        else:
            figure, limit = f"{self.value:8.2f}x ", f"<= {self.limit:g}x"
        return f"TARGET {self.name:<74} {figure} {limit:<10} {'PASS' if self.passed else 'FAIL'}"


@dataclass
class Report:
    """Everything one run measured, printed as it comes."""

    mode: str
    figures: dict[str, dict] = field(default_factory=dict)
    memory: dict[str, float] = field(default_factory=dict)
    notes: dict[str, object] = field(default_factory=dict)
    targets: list[Target] = field(default_factory=list)

    def say(self, text: str) -> None:
        """Print at once (flushed): a long run shows its figures as they come."""
        print(text, flush=True)

    def figure(self, samples: Samples, floor: Samples) -> None:
        """Print and keep `samples` beside `floor` (the same workbook's copy+fsync+rename+folder fsync)."""
        ratio = samples.p50 / floor.p50
        self.figures[samples.label] = {"p50_ms": samples.p50, "p95_ms": samples.p95, "n": len(samples.ms),
                                       "floor_p50_ms": floor.p50, "floor_label": floor.label, "x_floor": ratio,
                                       "ms": samples.ms}
        self.say(f"{samples.label:<72} p50 {samples.p50:9.1f} ms  p95 {samples.p95:9.1f} ms  (n={len(samples.ms)})"
                 f"  floor {floor.p50:7.2f} ms  {ratio:8.2f}x floor")

    def floor_of(self, label: str) -> Samples:
        """The floor figure `label` measured earlier in this run, to put beside a later figure."""
        return Samples(label, self.figures[label]["ms"])

    def megabytes(self, label: str, value: float) -> None:
        self.memory[label] = value
        self.say(f"{label:<72} {value:6.0f} MB")

    def p50(self, label: str) -> float:
        """The median of a figure printed earlier."""
        return self.figures[label]["p50_ms"]

    def target(self, name: str, value: float, limit: float, unit: str = "x") -> None:
        """Keep a target to print at the end."""
        self.targets.append(Target(name, value, limit, unit))

    def finish(self, path: Path) -> int:
        """Print the targets and write the JSON; returns how many failed."""
        self.say("")
        for target in self.targets:
            self.say(target.line())
        failed = sum(not t.passed for t in self.targets)
        self.say(f"targets: {len(self.targets) - failed} of {len(self.targets)} PASS, {failed} FAIL")
        path.parent.mkdir(parents=True, exist_ok=True)
        data = {"when": datetime.now(UTC).isoformat(timespec="seconds"), "mode": self.mode,
                "cores": os.cpu_count(), "load_average": os.getloadavg(), "notes": self.notes,
                "figures": self.figures, "memory_mb": self.memory,
                "targets": [{"name": t.name, "value": t.value, "limit": t.limit, "unit": t.unit, "pass": t.passed}
                            for t in self.targets]}
        temporary = path.with_name(f".{path.name}.tmp")
        temporary.write_text(json.dumps(data, indent=1))
        os.replace(temporary, path)
        self.say(f"results: {path}")
        return failed
