"""Every repository path the docs cite exists (README.md, docs/*.md, */README.md, meltano.yml).

A cited path is a Markdown link target, or a word that starts with one of the repository's own
top-level entries (``tests/...``, ``outreach-kit/...``, ``meltano.yml``). Paths under what the
project generates (gitignored: build/, output/, reports/, ...) are not checked, nor globs and
templates (``*``, ``<name>``, ``{x}``).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
#: Written by runs, never committed (see .gitignore): citing them is fine.
GENERATED = {
    "build",
    "output",
    "reports",
    "warehouse",
    "dist",
    ".meltano",
    ".venv",
    ".venv-meltano",
    ".venv-dagster",
    ".dagster",
    ".sandbox",
}
TOP = sorted(p.name for p in ROOT.iterdir() if not p.name.startswith(".git"))
_LINK = re.compile(r"\]\(([^)\s]+)\)")
_WORD = re.compile(
    r"(?<![\w./-])(" + "|".join(re.escape(t) for t in TOP) + r")((?:/[\w.\-*<>{}]+)*/?)(?![\w-])"
)


def docs() -> list[Path]:
    found = [ROOT / "README.md", ROOT / "meltano.yml", *sorted((ROOT / "docs").glob("*.md"))]
    found += sorted(ROOT.glob("*/README.md")) + sorted(ROOT.glob("*/*/README.md"))
    # The project's own docs: not those of tools' folders (.venv*, .pytest_cache, .meltano).
    return [p for p in found if not any(part.startswith(".") for part in p.relative_to(ROOT).parts)]


def cited(doc: Path) -> set[tuple[Path, str]]:
    """(path it resolves to, as written) for every path `doc` cites."""
    text = doc.read_text(encoding="utf-8")
    if doc.suffix == ".yml":  # only the comments of meltano.yml
        text = "\n".join(line.split("#", 1)[1] for line in text.splitlines() if "#" in line)
    out = set()
    for target in _LINK.findall(text):
        target = target.split("#", 1)[0]
        if target and not re.match(r"^[a-z]+:", target):
            out.add(((doc.parent / target).resolve(), target))
    for top, rest in _WORD.findall(text):
        written = (top + rest).rstrip(".")
        beside = doc.parent / written  # e.g. transform/README.md citing its own tests/
        out.add((beside if beside.exists() else ROOT / written, written))
    return {(p, w) for p, w in out if not _exempt(p, w)}


def _exempt(path: Path, written: str) -> bool:
    if any(c in written for c in "*<>{}$"):
        return True
    try:
        first = path.relative_to(ROOT).parts[:1]
    except ValueError:
        return False  # outside the repository: reported as missing below
    return bool(first) and first[0] in GENERATED


@pytest.mark.parametrize("doc", docs(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_cited_path_exists(doc):
    missing = sorted(w for p, w in cited(doc) if not p.exists())
    assert not missing, f"{doc.relative_to(ROOT)} cites paths that do not exist: {missing}"


def test_the_check_sees_citations():
    """The patterns find what docs cite (a check that finds nothing would always pass)."""
    found = {w for p, w in cited(ROOT / "README.md")}
    assert any(w.startswith("docs/") for w in found) and any(w.startswith("tests/") for w in found)
