"""Console scripts that import their program with the cyclic garbage collector paused.

Meltano, dbt and target-postgres create some hundreds of thousands of objects while they
import (dbt and mashumaro generate code for every artifact class), and every one of those
objects is walked again by each collection the imports trigger. The taps and the DuckDB
loader avoid that themselves (``outreach_kit.launch``); these programs are not ours, so
their console scripts (the standard ones pip and uv write) are rewritten to do the same:
the entry point's import runs with the collector paused, and what it created is frozen
(``gc.freeze``: kept out of later collections; it lives until the process ends anyway).
Nothing else changes: the same module, function, arguments and exit code.

Measured on this project's 2-core machine, CPU of a start (`--version`, then the import
alone): `meltano` 1.3-1.8 s -> 0.8-1.2 s, `target-postgres` 1.0-1.2 s -> 0.6 s, `dbt`
3.0-3.7 s -> 2.5-2.8 s. Every `meltano run` starts Meltano and each plugin once.

`python scripts/launchers.py SCRIPT...` rewrites the scripts given (`make install` does
this for Meltano's; scripts/plugin_bytecode.py for every plugin venv's after `meltano
install`).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

#: The entry point's import in a console script as pip and uv write it.
_ENTRY_IMPORT = re.compile(r"^from ([\w.]+) import (\w+)$", re.MULTILINE)
#: Marks a script already rewritten (the rewrite is idempotent).
MARKER = "# gc paused while the entry point imports (scripts/launchers.py)"


def is_console_script(text: str) -> bool:
    """Whether ``text`` is a standard generated console script: a Python shebang, one
    ``from module import name`` and ``sys.exit(name(...))``."""
    if not text.startswith("#!") or "python" not in text.splitlines()[0]:
        return False
    imports = _ENTRY_IMPORT.findall(text)
    return len(imports) == 1 and f"sys.exit({imports[0][1]}" in text


def pause_gc(text: str) -> str:
    """``text`` (a standard console script) with its entry point imported with the
    collector paused and then frozen."""
    (found,) = _ENTRY_IMPORT.finditer(text)
    wrapped = (
        f"{MARKER}\n"
        "import gc\n"
        "gc.disable()\n"
        "try:\n"
        f"    {found.group(0)}\n"
        "finally:\n"
        "    gc.freeze()\n"
        "    gc.enable()"
    )
    return text[: found.start()] + wrapped + text[found.end() :]


def rewrite(script: Path) -> bool:
    """Rewrite ``script`` in place if it is a standard console script not rewritten yet;
    return whether it changed."""
    try:
        text = script.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False  # a binary, or not readable: not a console script
    if MARKER in text or not is_console_script(text):
        return False
    script.write_text(pause_gc(text), encoding="utf-8")
    return True


def rewrite_venv(venv: Path) -> list[Path]:
    """Rewrite every standard console script in ``venv``'s bin; return those rewritten."""
    return [script for script in sorted((venv / "bin").iterdir()) if rewrite(script)]


if __name__ == "__main__":
    for name in sys.argv[1:]:
        path = Path(name)
        if not path.is_file():
            sys.exit(f"{path} is not a file: install it first.")
        rewrite(path)
