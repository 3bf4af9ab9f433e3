"""The result rows and the one table they are printed as."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Row:
    what: str
    measured: str
    baseline: str
    ratio: float | None
    target: str
    ok: bool | None  # None: reported for reference, no target of its own


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def fmt_ratio(ratio: float | None) -> str:
    if ratio is None:
        return "-"
    return f"{ratio:.2f}x" if abs(ratio) < 100 else f"{ratio:.0f}x"


def render(rows: Sequence[Row], environment: str, seconds: float) -> str:
    headers = ("What", "Measured", "Baseline", "Ratio", "Target", "Result")
    verdicts = {True: "PASS", False: "FAIL", None: "info"}
    cells = [(r.what, r.measured, r.baseline, fmt_ratio(r.ratio), r.target, verdicts[r.ok]) for r in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(headers)]

    def line(values: Sequence[str]) -> str:
        return "| " + " | ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)) + " |"

    rule = "|-" + "-|-".join("-" * w for w in widths) + "-|"
    failed = sum(1 for r in rows if r.ok is False)
    verdict = "all targets met" if not failed else f"{failed} target(s) missed"
    return "\n".join(
        [
            f"Environment: {environment}",
            "",
            line(headers),
            rule,
            *(line(c) for c in cells),
            "",
            f"{verdict}; bench took {seconds:.0f} s",
        ]
    )
