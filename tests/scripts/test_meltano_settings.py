"""meltano.yml declares each tap setting a second time (for `meltano config`): it must say
what the tap's own schema says, so the schema stays the one source of names and defaults."""

from __future__ import annotations

import importlib

import pytest
import yaml
from project_streams import ROOT, TAPS


def _extractors() -> dict[str, dict]:
    project = yaml.safe_load((ROOT / "meltano.yml").read_text(encoding="utf-8"))
    return {p["name"]: p for p in project["plugins"]["extractors"]}


def _schema(tap: str) -> dict:
    """The tap's own settings: not those singer-sdk adds to the class's schema once a tap is
    made (stream maps, flattening), which Meltano knows from the plugin's capabilities."""
    module = importlib.import_module(f"{tap.replace('-', '_')}.tap")
    (tap_class,) = [
        c for c in vars(module).values() if isinstance(c, type) and getattr(c, "name", "") == tap
    ]
    builtin: dict = {"properties": {}}
    tap_class.append_builtin_config(builtin)
    return {
        name: prop
        for name, prop in tap_class.config_jsonschema["properties"].items()
        if name not in builtin["properties"]
    }


@pytest.mark.parametrize("tap", TAPS)
def test_meltano_yml_declares_the_taps_settings_with_its_defaults_and_secrets(tap):
    schema = _schema(tap)
    settings = {s["name"]: s for s in _extractors()[tap]["settings"]}
    assert set(settings) == set(schema)
    for name, setting in settings.items():
        prop = schema[name]
        assert setting.get("value") == prop.get("default"), name
        assert bool(setting.get("sensitive")) == bool(prop.get("secret")), name
