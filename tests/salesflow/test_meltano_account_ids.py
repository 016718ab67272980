"""Account ids written as YAML numbers in meltano.yml reach the tap as numbers and work."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from pathlib import Path

import yaml
from support import ROOT, run_tap

from outreach_sandbox import DEFAULT_SALESFLOW_ACCOUNTS, SandboxServer

MELTANO = ROOT / ".venv-meltano" / "bin" / "meltano"


def test_numeric_account_ids_in_meltano_yml():
    project = yaml.safe_load((ROOT / "meltano.yml").read_text())
    plugin = next(p for p in project["plugins"]["extractors"] if p["name"] == "tap-salesflow")
    (first, first_token), (second, second_token) = DEFAULT_SALESFLOW_ACCOUNTS.items()
    with SandboxServer(seed=66, scale=0.1) as server, tempfile.TemporaryDirectory() as tmp:
        # As a user writes it in YAML: `account_id: 41001`, numbers, not strings.
        text = (
            f"requires_meltano: '>=4,<5'\nproject_id: {project['project_id']}\n"
            "send_anonymous_usage_stats: false\nplugins:\n  extractors:\n  - "
            + yaml.safe_dump({k: plugin[k] for k in ("name", "namespace", "pip_url", "settings")})
            .replace("\n", "\n    ")
            .rstrip()
            + f"\n    config:\n      api_url: {server.url}/salesflow/api\n"
            f"      statistics_api_url: {server.url}/salesflow/api\n"
            f"      accounts:\n      - account_id: {int(first)}\n        token: {first_token}\n"
            f"      - account_id: {int(second)}\n        token: {second_token}\n"
        )
        (Path(tmp) / "meltano.yml").write_text(text)
        printed = subprocess.run(
            [str(MELTANO), "config", "--unsafe", "print", "tap-salesflow"],
            cwd=tmp,
            capture_output=True,
            text=True,
            timeout=180,
            env={**os.environ, "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false"},
        )
        assert printed.returncode == 0, printed.stderr[-2000:]
        config = json.loads(printed.stdout)
        assert [a["account_id"] for a in config["accounts"]] == [int(first), int(second)]
        run = run_tap("tap-salesflow", {**config, "retry_base_seconds": 0.01})
        assert run.returncode == 0, run.stderr[-2000:]
        landed = {(r["account_id"], r["Id"]) for r in run.records("campaigns")}
        truth = {tuple(k) for k in server.control.expected("salesflow", "campaigns")["keys"]}
        assert landed == truth and {a for a, _ in landed} == {first, second}
