"""Reliability and security suite: faults, kills, bad input and secret scans, for every tap.

Every scenario runs the tap's console script against the sandbox at DEBUG log level with all
secrets known, and scans every byte of stdout and stderr for each secret and its encodings.
A run either completes with exactly the sandbox's records (one per primary key) or fails with
one clear paragraph, after which a re-run from the last STATE it wrote completes with nothing
lost. Results go to the reliability report (see conftest.py).
"""

from __future__ import annotations

import json
import tempfile
import typing as t
from pathlib import Path

import pytest
from support import TapRun, run_tap, run_until_killed, secret_forms
from taps import TAPS, TapSpec, bad_inputs, scenarios

from outreach_sandbox import SandboxServer

DEBUG = {"LOGLEVEL": "DEBUG"}


def _leaks(text: str, secrets: list[str]) -> int:
    return sum(1 for s in secrets for form in secret_forms(s) if form in text)


def _landed(spec: TapSpec, runs: list[TapRun]) -> tuple[dict[str, set], int]:
    """Union of record keys per stream over runs, and duplicates within any single run."""
    keys: dict[str, set] = {s: set() for s in spec.streams}
    duplicated = 0
    for run in runs:
        for stream, records in run.by_stream().items():
            if stream not in spec.streams:
                continue
            run_keys = [spec.key(stream, r) for r in records]
            duplicated += len(run_keys) - len(set(run_keys))
            keys[stream] |= set(run_keys)
    return keys, duplicated


def _score(spec: TapSpec, server: SandboxServer, runs: list[TapRun]) -> tuple[int, int, int, int]:
    """(expected, landed, lost, duplicated) over every default stream."""
    landed, duplicated = _landed(spec, runs)
    expected = lost = count = 0
    for stream in spec.streams:
        truth = spec.expected(server, stream)
        expected += len(truth)
        count += len(landed[stream] & truth)
        lost += len(truth - landed[stream])
    return expected, count, lost, duplicated


#: One test per (tap, fault scenario), so the first failure does not hide the others.
FAULT_CASES = [(spec, name) for spec in TAPS for name, _ in scenarios(spec)]


@pytest.mark.parametrize(
    ("spec", "name"), FAULT_CASES, ids=[f"{spec.tap}: {name}" for spec, name in FAULT_CASES]
)
def test_faults_complete_or_fail_clearly_and_resume(spec, name, reliability_report):
    faults = dict(scenarios(spec))[name]
    with SandboxServer(seed=51, scale=0.3) as server:
        server.control.add_faults(faults)
        runs = [run_tap(spec.tap, spec.config(server.url), env=DEBUG)]
        unfired = [f["kind"] for f in server.control.faults() if f["remaining"] > 0]
        assert not unfired, f"{name}: the run never met the fault {unfired}"
        if runs[0].returncode != 0:
            message = runs[0].stderr.strip().splitlines()[-1]
            assert message.startswith(f"{spec.tap}: error: "), (name, message)
            server.control.clear_faults()
            runs.append(
                run_tap(spec.tap, spec.config(server.url), state=runs[0].last_state, env=DEBUG)
            )
            assert runs[-1].returncode == 0, (name, runs[-1].stderr[-2000:])
        expected, landed, lost, duplicated = _score(spec, server, runs)
        leaks = _leaks("".join(r.stdout + r.stderr for r in runs), spec.secrets(server))
        outcome = "completed" if len(runs) == 1 else "failed clearly, resumed"
        reliability_report.add(
            spec.tap,
            f"fault: {name} ({outcome})",
            len(runs),
            expected,
            landed,
            lost,
            duplicated,
            leaks,
        )
        assert (lost, duplicated, leaks) == (0, 0, 0), (name, lost, duplicated, leaks)


def _is_state(line: str) -> bool:
    try:
        return json.loads(line).get("type") == "STATE"
    except ValueError:
        return False


def _kill_after(states: int) -> t.Callable[[str], bool]:
    """A stop rule: the line that is the `states`-th STATE message (0: the first line)."""
    seen = {"lines": 0, "states": 0}

    def stop(line: str) -> bool:
        seen["lines"] += 1
        seen["states"] += _is_state(line)
        return seen["states"] >= states if states else seen["lines"] >= 1

    return stop


@pytest.mark.long
@pytest.mark.parametrize("spec", TAPS, ids=lambda s: s.tap)
def test_kills_at_every_state_resume_without_loss(spec, reliability_report):
    """SIGKILL right after the k-th STATE message, for every k the tap writes (and once before
    any), then resume from the last STATE seen. Every resume input the tap can leave is tried,
    each with the fewest records already out: a kill later before the next STATE resumes from
    the same state with more records out, so it cannot find a loss this one does not."""
    with SandboxServer(seed=52, scale=0.15) as server:
        config = spec.config(server.url)
        totals = [0, 0, 0, 0]
        leaks = trials = 0
        states = None  # STATE messages of a whole run: known from the first resume (no state)
        while states is None or trials <= states:
            errors: list[str] = []
            killed = run_until_killed(
                spec.tap, config, _kill_after(trials), env=DEBUG, stderr=errors
            )
            partial = TapRun(-9, "", "".join(errors), killed)
            leaks += _leaks(json.dumps(killed) + partial.stderr, spec.secrets(server))
            state = partial.last_state
            assert len(partial.states()) == trials, (trials, "the run ended before the kill")
            resumed = run_tap(spec.tap, config, state=state, env=DEBUG)
            assert resumed.returncode == 0, (trials, resumed.stderr[-2000:])
            if states is None:
                states = len(resumed.states())  # resumed from nothing: a whole run
                assert states >= 2, f"{spec.tap} wrote {states} STATE messages: too few to kill at"
            expected, landed, lost, _ = _score(spec, server, [partial, resumed])
            _, _, _, duplicated = _score(spec, server, [resumed])
            leaks += _leaks(resumed.stdout + resumed.stderr, spec.secrets(server))
            totals = [
                a + b for a, b in zip(totals, [expected, landed, lost, duplicated], strict=True)
            ]
            assert lost == 0, f"kill after STATE {trials} lost {lost} records"
            assert duplicated == 0, f"resumed after STATE {trials}: {duplicated} duplicated"
            trials += 1
        reliability_report.add(
            spec.tap,
            f"kill -9 after each of its {states} STATE messages and before any, then resume",
            2 * trials,
            *totals,
            leaks,
        )
        assert leaks == 0


#: One test per (tap, bad input); the names do not depend on the sandbox's address.
BAD_INPUT_CASES = [(spec, name) for spec in TAPS for name, _, _ in bad_inputs(spec, "http://x")]


@pytest.fixture(scope="module")
def bad_input_sandbox():
    """One sandbox for every bad-input case: none of them changes its data."""
    with SandboxServer(seed=53, scale=0.1) as server:
        yield server


@pytest.mark.parametrize(
    ("spec", "name"), BAD_INPUT_CASES, ids=[f"{spec.tap}: {name}" for spec, name in BAD_INPUT_CASES]
)
def test_bad_input_gets_one_clear_paragraph_and_writes_nothing(
    spec, name, bad_input_sandbox, reliability_report
):
    server = bad_input_sandbox
    config, files = next((c, f) for n, c, f in bad_inputs(spec, server.url) if n == name)
    args: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        for kind, text in files.items():
            path = Path(tmp) / f"{kind}.json"
            path.write_text(text)
            args += [f"--{kind}", str(path)]
        run = run_tap(spec.tap, config, args=tuple(args), env=DEBUG)
        quiet = run_tap(spec.tap, config, args=tuple(args))
    errors = [line for line in run.stderr.splitlines() if line.startswith(f"{spec.tap}: error: ")]
    written = [m for m in run.messages if m["type"] in ("RECORD", "STATE")]
    leaks = _leaks(run.stdout + run.stderr + quiet.stdout + quiet.stderr, spec.secrets(server))
    reliability_report.add(spec.tap, f"bad input: {name}", 2, 0, 0, 0, 0, leaks)
    assert run.returncode != 0, name
    assert len(errors) == 1, (name, run.stderr[-1500:])
    assert "Traceback" not in quiet.stderr, name  # at the default level: no traceback
    assert quiet.stderr.strip().splitlines()[-1] == errors[0], name  # the same paragraph
    assert not written, name
    assert leaks == 0, name
