"""Deterministic randomness from (seed, parts), names with real-world variety, paging."""

from __future__ import annotations

import functools
import hashlib
import random

FIRST_NAMES = [
    "Zoë",
    "José",
    "Ørjan",
    "李",
    "Amélie",
    "Łukasz",
    "Siobhán",
    "Müller",
    "Ana",
    "John",
    "Priya",
    "Chloé",
    "Søren",
    "Yuki",
    "Đorđe",
    "Fatima",
    "Noah",
    "Émile",
]
LAST_NAMES = [
    "Åberg",
    "Núñez",
    "Hansen",
    "雷",
    "Dubois",
    "Wałęsa",
    "O'Brien",
    "Schmidt",
    "García",
    "Smith",
    "Patel",
    "Lefèvre",
    "Kierkegaard",
    "Tanaka",
    "Đoković",
    "Al-Sayed",
    "Brown",
    "Zoë-Ann",
]
COMPANIES = [
    "Acme GmbH",
    "Blåbær AS",
    "Café Olé SARL",
    "株式会社テスト",
    "Smith & Co",
    "Initech",
    "Umbrella plc",
    "Zürich Data AG",
    None,
]
INDUSTRIES = ["Banking", "Software", "Retail", "Logistics", "Health care", None]


def stable_hash(*parts: object) -> int:
    """A 64-bit hash that is the same in every process (unlike ``hash``)."""
    digest = hashlib.blake2b("\x1f".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def rng(*parts: object) -> random.Random:
    """A Random seeded from ``parts``: same parts, same sequence."""
    return random.Random(stable_hash(*parts))


def hex_id(*parts: object, length: int = 24) -> str:
    """A Mongo-ObjectId-like hex string derived from ``parts``."""
    return hashlib.blake2b("\x1f".join(map(str, parts)).encode(), digest_size=16).hexdigest()[
        :length
    ]


def uuid_from(*parts: object) -> str:
    h = hashlib.blake2b("\x1f".join(map(str, parts)).encode(), digest_size=16).hexdigest()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}"


def person(r: random.Random) -> tuple[str, str]:
    return r.choice(FIRST_NAMES), r.choice(LAST_NAMES)


def email_for(first: str, last: str, n: int) -> str:
    return f"{_ascii_part(first, 'user')}.{_ascii_part(last, 'contact')}{n}@example.com"


@functools.lru_cache(maxsize=1024)
def _ascii_part(name: str, fallback: str) -> str:
    """The ASCII letters of a name, lower case (cached: names come from short lists and
    every generated record needs one)."""
    return "".join(c for c in name.lower() if c.isascii() and c.isalpha()) or fallback


def page_slice(items: list, offset: int, size: int, duplicate_boundary: bool = False) -> list:
    """``items[offset:offset+size]``; with the fault, also the previous page's last item."""
    start = offset - 1 if duplicate_boundary and offset > 0 else offset
    return items[max(start, 0) : offset + size]
