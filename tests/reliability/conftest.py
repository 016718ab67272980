"""The reliability summary: one row per tap and scenario.

A test run writes it under build/ (gitignored), so `make test` never rewrites a tracked file;
`make reliability-report` runs this suite with ``RELIABILITY_REPORT=docs/reliability.md`` to
publish it.

The first table (faults, kills, bad input) has fixed columns; other suites add their own
tables with ``reliability_report.section(title, intro, columns)`` and ``.add(*row)``, so each
behaviour class (hostile vendor, credentials, ...) reports in the columns that fit it.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
from parallel import RUN_DIR, locked

sys.path.insert(0, str(Path(__file__).resolve().parent))
ROOT = Path(__file__).resolve().parents[2]


def report_path() -> Path:
    """Where the report goes: $RELIABILITY_REPORT (relative to the repository) or build/."""
    return ROOT / os.environ.get("RELIABILITY_REPORT", "build/reliability.md")


class Section:
    """A table of its own in the report: a title, a paragraph and named columns."""

    def __init__(self, title: str, intro: str, columns: list[str]) -> None:
        self.title, self.intro, self.columns = title, intro, columns
        self.rows: list[tuple] = []

    def add(self, *row: object) -> None:
        if len(row) != len(self.columns):
            raise ValueError(f"{self.title}: {len(self.columns)} columns, got {len(row)}")
        self.rows.append(row)

    def lines(self) -> list[str]:
        numeric = [all(isinstance(r[i], int) for r in self.rows) for i in range(len(self.columns))]
        out = [f"## {self.title}", "", self.intro, ""]
        out.append("| " + " | ".join(self.columns) + " |")
        out.append("|" + "|".join("---:" if n else "---" for n in numeric) + "|")
        out += ["| " + " | ".join(str(c) for c in row) + " |" for row in self.rows]
        return [*out, ""]


class Report:
    def __init__(self) -> None:
        self.rows: list[tuple] = []
        self.sections: dict[str, Section] = {}

    def add(
        self,
        tap: str,
        scenario: str,
        runs: int,
        expected: int,
        landed: int,
        lost: int,
        duplicated: int,
        leaks: int,
    ) -> None:
        self.rows.append((tap, scenario, runs, expected, landed, lost, duplicated, leaks))

    def section(self, title: str, intro: str, columns: list[str]) -> Section:
        """The table named ``title``, created on first use (rows sorted on write)."""
        if title not in self.sections:
            self.sections[title] = Section(title, intro, columns)
        return self.sections[title]

    def write(self) -> None:
        lines = [
            "# Reliability and security summary",
            "",
            "Written by `make reliability-report` (tests/reliability) on "
            f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC. Every run is a tap process against",
            "the sandbox at DEBUG log level; *leaks* counts secret occurrences (raw, URL- or",
            "JSON-encoded) in all of its stdout and stderr. A fault either completes, or fails",
            "with one paragraph and is resumed from the last STATE it wrote. *Expected* and",
            "*landed* count primary keys over every default stream; *duplicated* counts records",
            "emitted twice within one run. Page-level faults (empty page, repeated record) apply",
            "to the paged APIs (SalesBlink, Sales.Rocks): Salesflow's lists are not paged. Token",
            "expiry applies to Sales.Rocks, the only API with expiring tokens.",
            "",
        ]
        if self.rows:
            lines += [
                "| tap | scenario | runs | expected | landed | lost | duplicated | leaks |",
                "|---|---|---:|---:|---:|---:|---:|---:|",
            ]
            lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in self.rows]
            totals = [sum(row[i] for row in self.rows) for i in (5, 6, 7)]
            lines += [
                "",
                f"Total over {len(self.rows)} scenarios: lost {totals[0]}, duplicated "
                f"{totals[1]}, leaks {totals[2]}.",
                "",
            ]
        for title in sorted(self.sections):
            section = self.sections[title]
            section.rows.sort(key=lambda row: tuple(str(c) for c in row[:2]))
            lines += section.lines()
        path = report_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines), encoding="utf-8")

    def dump(self) -> dict:
        sections = {s.title: [s.intro, s.columns, s.rows] for s in self.sections.values()}
        return {"rows": self.rows, "sections": sections}

    @classmethod
    def merged(cls, parts: list[dict]) -> Report:
        """One report from the workers' parts; rows sorted, as their order depends on timing."""
        report = cls()
        for part in parts:
            report.rows += [tuple(row) for row in part["rows"]]
            for title, (intro, columns, rows) in part["sections"].items():
                report.section(title, intro, columns).rows += [tuple(row) for row in rows]
        report.rows.sort(key=lambda row: (row[0], row[1]))
        return report


def publish(report: Report) -> None:
    """Write the report; on an xdist worker, add this worker's part and render every part
    written so far (under a lock, so the last worker to finish writes the whole report)."""
    run_dir = os.environ.get(RUN_DIR)
    if not run_dir:
        report.write()
        return
    folder = Path(run_dir)
    with locked(folder / "report.lock"):
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        part = folder / f"report-{worker}.json"
        part.write_text(json.dumps(report.dump()), encoding="utf-8")
        found = [json.loads(p.read_text()) for p in sorted(folder.glob("report-*.json"))]
        Report.merged(found).write()


@pytest.fixture(scope="session")
def reliability_report():
    report = Report()
    yield report
    if report.rows or report.sections:
        publish(report)
