"""Meltano pipelines (issue 19 items 2 and 4): `meltano run tap target` per tap's bulk stream
into DuckDB and PostgreSQL, and the no-change run of the `outreach-to-warehouse` job.

Where time goes comes from the process tree: every descendant of `meltano` is sampled in /proc
(user + system ticks, first and last seen), classed by the plugin venv its command line runs
from (`.meltano/extractors/<name>/`, ...); the tree's total CPU is `os.wait4`'s.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from pipeline import MELTANO, ROOT, meltano_env

TICK = os.sysconf("SC_CLK_TCK")
SAMPLE_S = 0.05


@dataclass
class Proc:
    """One descendant process as sampled: its plugin, CPU seconds, seconds it waited runnable
    for a CPU (/proc/<pid>/schedstat: a busy machine, not the pipeline), first and last seen."""

    kind: str
    cpu: float
    queued: float
    first: float
    last: float


@dataclass
class TreeRun:
    """A `meltano` command's wall time, its tree's CPU, and what each descendant cost."""

    seconds: float
    cpu_seconds: float
    procs: dict[int, Proc] = field(default_factory=dict)

    def cpu(self, kind: str) -> float:
        return sum(p.cpu for p in self.procs.values() if p.kind == kind)

    def count(self, kind: str) -> int:
        """Processes of `kind` (Meltano starts a tap twice: discovery, then the sync)."""
        return sum(1 for p in self.procs.values() if p.kind == kind)

    def queued(self, kind: str) -> float:
        return sum(p.queued for p in self.procs.values() if p.kind == kind)

    def alive(self, kind: str) -> float:
        """Seconds the processes of `kind` ran, summed (each from first to last sample)."""
        return sum(p.last - p.first for p in self.procs.values() if p.kind == kind)


def _kind(cmdline: str) -> str:
    """The Meltano plugin a process belongs to (its venv's folder), else "meltano"."""
    for marker in ("/.meltano/extractors/", "/.meltano/loaders/", "/.meltano/utilities/"):
        if marker in cmdline:
            return cmdline.split(marker, 1)[1].split("/", 1)[0]
    return "meltano"


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds) of a live process, or None if it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2 :].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / TICK


def _queued(pid: int) -> float:
    """Seconds the process has waited on a run queue (0 where schedstat is unavailable)."""
    try:
        return int(Path(f"/proc/{pid}/schedstat").read_text().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


def _sample(root: int, procs: dict[int, Proc], now: float) -> None:
    parents: dict[int, tuple[int, float]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (found := _stat(int(entry))):
            parents[int(entry)] = found
    tree, grew = {root}, True
    while grew:
        grew = False
        for pid, (ppid, _) in parents.items():
            if ppid in tree and pid not in tree:
                tree.add(pid)
                grew = True
    for pid in tree - {root}:
        cpu = parents[pid][1]
        if pid not in procs:
            try:
                cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            procs[pid] = Proc(_kind(cmd), cpu, 0.0, now, now)
        proc = procs[pid]
        proc.cpu, proc.queued, proc.last = max(proc.cpu, cpu), max(proc.queued, _queued(pid)), now


def run_tree(command: list[str], env: dict, log: Path, stdout: Path | None = None) -> TreeRun:
    """Run a command from the project root, sampling its process tree until it exits."""
    with log.open("ab") as err, (stdout or Path(os.devnull)).open("wb") as out:
        start = time.perf_counter()
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=err)
        procs: dict[int, Proc] = {}
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            _sample(process.pid, procs, time.perf_counter() - start)
            time.sleep(SAMPLE_S)
        seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        tail = log.read_text(errors="replace").strip().splitlines()[-8:]
        raise RuntimeError(
            f"{' '.join(command[1:4])} exited {process.returncode}:\n" + "\n".join(tail)
        )
    return TreeRun(seconds, usage.ru_utime + usage.ru_stime, procs)


@dataclass
class Project:
    """Meltano against the sandbox with its own state database and warehouses in `workdir`."""

    workdir: Path
    sandbox_url: str
    postgres_port: int | None = None
    extra: dict = field(default_factory=dict)

    @property
    def env(self) -> dict:
        env = {
            **os.environ,
            **meltano_env(self.sandbox_url),
            "MELTANO_DATABASE_URI": f"sqlite:///{self.workdir / 'meltano.db'}",
            "TARGET_DUCKDB_FILEPATH": str(self.workdir / "warehouse.duckdb"),
            "DBT_DUCKDB_PATH": str(self.workdir / "warehouse.duckdb"),
            "DBT_DUCKDB_TARGET_PATH": str(self.workdir / "dbt"),
            "DBT_DUCKDB_LOG_PATH": str(self.workdir / "dbt" / "logs"),
            # Pacing off: the sandbox runs without rate limits here (the rate-limit run is the
            # tap section's).
            "TAP_SALESBLINK_RATE_LIMIT_REQUESTS": "0",
            **self.extra,
        }
        if self.postgres_port:
            env |= {
                "TARGET_POSTGRES_HOST": "127.0.0.1",
                "TARGET_POSTGRES_PORT": str(self.postgres_port),
            }
        return env

    def meltano(self, *args: str, stdout: Path | None = None, env: dict | None = None) -> TreeRun:
        command = [str(MELTANO), "--environment=dev", *args]
        return run_tree(command, {**self.env, **(env or {})}, self.workdir / "meltano.log", stdout)


def select_env(tap: str, stream: str) -> dict:
    return {f"{tap.upper().replace('-', '_')}__SELECT": json.dumps([f"{stream}.*"])}


def count_records(path: Path) -> int:
    with path.open(encoding="utf-8") as lines:
        return sum(1 for line in lines if line.startswith('{"type":"RECORD"'))


def startup(executable: Path, runs: int = 3) -> float:
    """Median wall seconds of `<executable> --version`: interpreter, imports, exit."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([str(executable), "--version"], capture_output=True, check=False)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def job_plugins(job: str) -> dict[str, Path]:
    """Meltano and each plugin of `job` (meltano.yml), by the executable in its venv."""
    import yaml

    project = yaml.safe_load((ROOT / "meltano.yml").read_text(encoding="utf-8"))
    tasks = next(j["tasks"] for j in project["jobs"] if j["name"] == job)
    names = [part.split(":")[0] for task in tasks for part in task.split()]
    found = {"meltano": MELTANO}
    for kind, plugins in project["plugins"].items():
        for plugin in plugins:
            if plugin["name"] in names:
                exe = plugin.get("executable", plugin["name"])
                found[plugin["name"]] = (
                    ROOT / ".meltano" / kind / plugin["name"] / "venv" / "bin" / exe
                )
    return dict(sorted(found.items(), key=lambda kv: names.index(kv[0]) if kv[0] in names else -1))
