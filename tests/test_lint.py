"""The code base stays lint-clean and formatted (ruff, configured in pyproject.toml)."""

from __future__ import annotations

import re
import subprocess

from support import BIN, ROOT


def test_ruff_check_and_format():
    check = subprocess.run(
        [str(BIN / "ruff"), "check", "."], cwd=ROOT, capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout[-3000:]
    fmt = subprocess.run(
        [str(BIN / "ruff"), "format", "--check", "."], cwd=ROOT, capture_output=True, text=True
    )
    assert fmt.returncode == 0, fmt.stdout[-3000:]


def test_formatter_output_is_the_style():
    """At most 10 formatter escapes (skip/off comments), each with a reason after it."""
    escape = re.compile(r"#\s*fmt:\s*(?:skip|off)\b(.*)$")
    tracked = subprocess.run(
        ["git", "ls-files", "*.py"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    escapes = [
        (f"{name}:{number}", match.group(1).strip(" :-#"))
        for name in tracked
        for number, line in enumerate((ROOT / name).read_text(encoding="utf-8").splitlines(), 1)
        if (match := escape.search(line))
    ]
    assert len(escapes) <= 10, escapes
    unexplained = [where for where, reason in escapes if not reason]
    assert not unexplained, f"a formatter escape needs a reason after it: {unexplained}"


def test_test_module_names_are_unique():
    """pytest imports test modules by basename (rootdir-relative, no packages): two
    `test_x.py` in different folders stop the whole run at collection."""
    names = [p.name for p in (ROOT / "tests").rglob("test_*.py")]
    repeated = sorted({n for n in names if names.count(n) > 1})
    assert not repeated, f"test modules with the same name in two folders: {repeated}"
