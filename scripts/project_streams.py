"""Each tap's streams, their primary keys, and which of them the Meltano project selects.

Read from the taps' own stream classes (``STREAM_TYPES``) and ``meltano.yml``'s ``select``,
so scripts and tests never keep a second list that could drift from either.
"""

from __future__ import annotations

import functools
import importlib
import typing as t
from fnmatch import fnmatch
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
#: The taps, by the sandbox's vendor name (the tap is ``tap-<vendor>``).
VENDORS = ("salesblink", "salesflow", "salesrocks")
TAPS = tuple(f"tap-{vendor}" for vendor in VENDORS)


def stream_types(vendor: str) -> list[type]:
    """The tap's stream classes, in its discovery order."""
    return list(importlib.import_module(f"tap_{vendor}.streams").STREAM_TYPES)


def primary_keys(vendor: str) -> dict[str, tuple[str, ...]]:
    """Stream name -> key fields, as the tap declares them."""
    return {cls.name: tuple(cls.primary_keys) for cls in stream_types(vendor)}


@functools.cache
def _select_rules() -> dict[str, list[str]]:
    """Extractor name -> its ``select`` rules in meltano.yml (absent: Meltano's ``*.*``)."""
    project = yaml.safe_load((ROOT / "meltano.yml").read_text(encoding="utf-8"))
    return {
        plugin["name"]: list(plugin.get("select") or ["*.*"])
        for plugin in project["plugins"]["extractors"]
    }


def selected(vendor: str, rules: t.Sequence[str] | None = None) -> tuple[str, ...]:
    """The vendor streams a ``meltano run`` of the project extracts, in discovery order.

    A stream is selected when a rule's entity pattern matches it and no ``!entity.*`` rule
    excludes it (a ``!entity.attribute`` rule only drops a column). ``rejected_records``,
    the kit's stream of unusable records, is not a vendor stream and never listed.
    """
    rules = _select_rules()[f"tap-{vendor}"] if rules is None else rules
    include = [r.split(".", 1)[0] for r in rules if not r.startswith("!")]
    exclude = [r[1:].split(".", 1)[0] for r in rules if r.startswith("!") and r.endswith(".*")]
    return tuple(
        cls.name
        for cls in stream_types(vendor)
        if any(fnmatch(cls.name, p) for p in include)
        and not any(fnmatch(cls.name, p) for p in exclude)
    )


#: Streams each tap selects by default, by the sandbox's vendor name.
DEFAULT_STREAMS: dict[str, tuple[str, ...]] = {vendor: selected(vendor) for vendor in VENDORS}


def default_keys(vendor: str) -> dict[str, tuple[str, ...]]:
    """Key fields of the streams the project selects (:data:`DEFAULT_STREAMS`)."""
    keys = primary_keys(vendor)
    return {name: keys[name] for name in DEFAULT_STREAMS[vendor]}
