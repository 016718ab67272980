"""Bytecode and start-up for the virtual environments `meltano install` makes under `.meltano/`.

Meltano runs `uv pip install` with an environment of its own (the project's, not the
caller's), so `UV_COMPILE_BYTECODE` never reaches it and the plugins' packages stay as
source. Where Python may not write bytecode (``PYTHONDONTWRITEBYTECODE``: containers, CI)
every tap, loader and dbt process then compiles all it imports, each time it starts:
target-postgres 3.7 instead of 1.4 s of CPU, outreach-target-duckdb 2.2 instead of 0.9 s.
Their console scripts then import with the garbage collector paused (scripts/launchers.py).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

from launchers import rewrite_venv

#: What `meltano install` installs from: the project file, the local packages' metadata (the
#: editable pip_urls) and Meltano itself. Code changes need no reinstall (editable installs).
INSTALL_INPUTS = (
    "meltano.yml",
    "outreach-kit/pyproject.toml",
    "loader-duckdb/pyproject.toml",
    "tap-salesblink/pyproject.toml",
    "tap-salesflow/pyproject.toml",
    "tap-salesrocks/pyproject.toml",
)
#: Bumped when what follows `meltano install` changes (an older stamp is stale).
INSTALL_STEPS = b"install, compile plugin bytecode, gc-paused console scripts"

#: The plugin kinds whose venvs `meltano install` makes (`.meltano/<kind>/<plugin>/venv`).
PLUGIN_KINDS = ("extractors", "loaders", "mappers", "utilities", "transformers", "files")


def plugin_venvs(root: Path) -> list[Path]:
    """Every plugin venv of the project at `root`, in a stable order."""
    meltano = root / ".meltano"
    found = [meltano.glob(f"{kind}/*/venv") for kind in PLUGIN_KINDS]
    return sorted(venv for venvs in found for venv in venvs if (venv / "bin" / "python").exists())


def compile_plugin_venvs(root: Path) -> list[Path]:
    """Compile every plugin venv's packages with that venv's own interpreter (the bytecode
    is tagged with its version); return the venvs compiled.

    A file that does not compile (a template shipped as .py) is left as source: it is
    never imported, and the rest still compiles, so the exit code is not checked.
    """
    venvs = plugin_venvs(root)
    for venv in venvs:
        subprocess.run(
            [str(venv / "bin" / "python"), "-m", "compileall", "-q", "-j", "0", str(venv / "lib")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )
    return venvs


def installed_stamp(root: Path) -> Path:
    """Where the fingerprint of the last complete install of `root`'s plugins is kept."""
    return root / ".meltano" / "installed-from.sha256"


def install_fingerprint(root: Path, meltano: Path) -> str:
    """The inputs of `meltano install` (see INSTALL_INPUTS) and the steps after it."""
    digest = hashlib.sha256(str(meltano.resolve()).encode() + b"\0" + INSTALL_STEPS)
    for name in INSTALL_INPUTS:
        path = root / name
        digest.update(name.encode() + b"\0" + (path.read_bytes() if path.exists() else b""))
    return digest.hexdigest()


def install_plugins(root: Path, meltano: Path, *, quiet: bool = False) -> bool:
    """`meltano install` in the project at `root`, then the plugins' bytecode, unless the
    last install there completed from the same inputs (a no-op `meltano install` still costs
    about 10 s of CPU); return whether it installed. Raises CalledProcessError (with
    Meltano's output when `quiet`) when the install fails; the stamp is then gone."""
    stamp, fingerprint = installed_stamp(root), install_fingerprint(root, meltano)
    if stamp.exists() and stamp.read_text() == fingerprint:
        return False
    stamp.unlink(missing_ok=True)
    env = {**os.environ, "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false"}
    subprocess.run(
        [str(meltano), "install"], cwd=root, env=env, check=True, capture_output=quiet, text=True
    )
    for venv in compile_plugin_venvs(root):
        rewrite_venv(venv)
    stamp.write_text(fingerprint)
    return True


if __name__ == "__main__":  # `make install`: the project's plugins, once per change of inputs
    from pipeline import MELTANO, ROOT

    if not MELTANO.exists():
        sys.exit(f"{MELTANO} is missing: run `make install`, which installs Meltano first.")
    installed = install_plugins(ROOT, MELTANO)
    print("Meltano plugins installed" if installed else "Meltano plugins up to date")
