"""The Markdown report: rows of measured / reference / target / result, under sections."""

from __future__ import annotations

import os
import platform
import subprocess
import time
import typing as t
from dataclasses import dataclass, field

from taprun import ROOT

T = t.TypeVar("T")


def say(text: str) -> None:
    print(text, flush=True)


def middle(items: t.Sequence[T], key: t.Callable[[T], float]) -> T:
    """The item with the median `key` (of an even count, the lower of the two middle ones):
    a measurement repeated on a noisy machine is reported by its middle run, whole."""
    return sorted(items, key=key)[(len(items) - 1) // 2]


P = t.TypeVar("P", bound=tuple)


def median_pair(pairs: t.Sequence[P]) -> tuple[P, str]:
    """Of pairs measured as (ratio, ...): the one with the median ratio (see `middle`), and
    every ratio as text, in the order measured."""
    return middle(pairs, key=lambda pair: pair[0]), ", ".join(f"{p[0]:.2f}x" for p in pairs)


def verdict(ok: bool, detail: str = "") -> str:
    return ("**met**" if ok else "**not met**") + (f" ({detail})" if detail else "")


@dataclass(frozen=True)
class Row:
    """One line of a report table."""

    measure: str
    measured: str
    reference: str
    target: str = "-"
    result: str = "-"


@dataclass
class Section:
    """A heading, a paragraph on what it measures, its rows."""

    title: str
    about: str
    rows: list[Row] = field(default_factory=list)

    def lines(self) -> list[str]:
        return [
            f"## {self.title}",
            "",
            self.about,
            "",
            "| measure | measured | reference / minimum | target | result |",
            "|---|---|---|---|---|",
            *(
                f"| {r.measure} | {r.measured} | {r.reference} | {r.target} | {r.result} |"
                for r in self.rows
            ),
            "",
        ]


def revision() -> str:
    """The commit measured, and whether the working tree differs from it (read-only git)."""
    git = ["git", "-C", str(ROOT)]
    head = subprocess.run(
        [*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    dirty = subprocess.run(
        [*git, "status", "--porcelain", "--untracked-files=no"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return f"`{head or 'unknown'}`" + (" plus uncommitted changes" if dirty else "")


def machine(started: float, load: float) -> str:
    """Where and when: the sentence that opens the report."""
    import duckdb

    return (
        f"Written by `make bench` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
        f"revision {revision()}, {os.cpu_count()} cores, {platform.python_implementation()} "
        f"{platform.python_version()}, DuckDB {duckdb.__version__}, load average {load:.1f} at "
        f"the start and {os.getloadavg()[0]:.1f} at the end (a shared machine: compare ratios "
        f"within this run, not numbers across runs); the run took "
        f"{(time.perf_counter() - started) / 60:.1f} min and every number comes from it."
    )


def write(path, title: str, opening: str, sections: list[Section]) -> None:
    lines = [f"# {title}", "", "## How measured", "", opening, ""]
    for section in sections:
        lines += section.lines()
    path.write_text("\n".join(lines), encoding="utf-8")
