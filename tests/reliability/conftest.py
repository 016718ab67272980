"""The reliability summary: one row per tap and scenario, written to docs/reliability.md."""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
REPORT = Path(__file__).resolve().parents[2] / "docs" / "reliability.md"


class Report:
    def __init__(self) -> None:
        self.rows: list[tuple] = []

    def add(self, tap: str, scenario: str, runs: int, expected: int, landed: int, lost: int,
            duplicated: int, leaks: int) -> None:  # fmt: skip
        self.rows.append((tap, scenario, runs, expected, landed, lost, duplicated, leaks))

    def write(self) -> None:
        lines = [
            "# Reliability and security summary",
            "",
            "Written by `tests/reliability` (part of `make test`) on "
            f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC. Every run is a tap process against",
            "the sandbox at DEBUG log level; *leaks* counts secret occurrences (raw, URL- or",
            "JSON-encoded) in all of its stdout and stderr. A fault either completes, or fails",
            "with one paragraph and is resumed from the last STATE it wrote. *Expected* and",
            "*landed* count primary keys over every default stream; *duplicated* counts records",
            "emitted twice within one run. Page-level faults (empty page, repeated record) apply",
            "to the paged APIs (SalesBlink, Sales.Rocks): Salesflow's lists are not paged. Token",
            "expiry applies to Sales.Rocks, the only API with expiring tokens.",
            "",
            "| tap | scenario | runs | expected | landed | lost | duplicated | leaks |",
            "|---|---|---:|---:|---:|---:|---:|---:|",
        ]
        lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in self.rows]
        totals = [sum(row[i] for row in self.rows) for i in (5, 6, 7)]
        lines += ["", f"Total over {len(self.rows)} scenarios: lost {totals[0]}, duplicated "
                  f"{totals[1]}, leaks {totals[2]}.", ""]  # fmt: skip
        REPORT.write_text("\n".join(lines), encoding="utf-8")


@pytest.fixture(scope="session")
def reliability_report():
    report = Report()
    yield report
    if report.rows:
        report.write()
